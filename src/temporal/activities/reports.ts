// The report activities' types, for reportWorkflow (workflow code imports activity types from here only).
export type { ReportKind } from '../../stats/reports/period';
export type { ReportActivities, ScheduledReport } from '../../stats/reports/report.activities';
