import type { ReportKind } from './period';
import { scheduledPeriod } from './period';
import type { ReportsService } from './reports.service';

export interface ReportActivityDeps {
  reports: ReportsService;
}

export interface ScheduledReport {
  reportId: string;
  kind: ReportKind;
  from: string;
  to: string;
  /** The report of this period was stored before (a schedule fired twice, a retry). */
  duplicate: boolean;
}

/**
 * The report schedules' activities, thin adapters over ReportsService. Both are idempotent:
 * a report is unique per kind and period, and its notice is keyed by the report.
 */
export function createReportActivities(deps: ReportActivityDeps) {
  return {
    /** Builds and stores the report of the day or week ending at `scheduledAt` (ISO), or finds the one stored. */
    async buildScheduledReport({ kind, scheduledAt }: { kind: ReportKind; scheduledAt: string }): Promise<ScheduledReport> {
      const period = scheduledPeriod(kind, new Date(scheduledAt), deps.reports.timeZone);
      const { duplicate, record } = await deps.reports.create(kind, period, 'schedule', 'schedule');
      return { reportId: record.id, kind, from: record.from, to: record.to, duplicate };
    },

    /** Records the `report.published` notice for the leads; false when it was recorded before. */
    async publishReport({ reportId }: { reportId: string }): Promise<boolean> {
      return deps.reports.publish(reportId);
    },
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
