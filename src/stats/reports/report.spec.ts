import { buildDailyReport, buildExecutiveReport, containmentOutcome, enrichmentCounts, incidentOutcome } from './report';
import { containment, dailyData, enrichmentData, executiveData, incident } from '../../../test/fixtures/reports/report.fixtures';

describe('reports', () => {
  describe(buildDailyReport.name, () => {
    it('sums the alert rollups by status, storm and severity', () => {
      expect(buildDailyReport(dailyData()).alerts).toEqual({
        received: 50,
        correlated: 42,
        duplicates: 5,
        suppressed: 3,
        foldedIntoStorms: 40,
        bySeverity: { low: 5, medium: 43, high: 0, critical: 2 },
      });
    });

    it('counts incidents with every severity and priority present', () => {
      expect(buildDailyReport(dailyData()).incidents).toEqual({
        opened: 4,
        storms: 1,
        bySeverity: { low: 0, medium: 3, high: 0, critical: 1 },
        byPriority: { P1: 1, P2: 0, P3: 3, P4: 0 },
      });
    });

    it('totals breaches by kind and says when the list is cut', () => {
      const r = buildDailyReport(dailyData());
      expect({
        total: r.slaBreaches.total,
        byKind: r.slaBreaches.byKind,
        shown: r.slaBreaches.items.length,
        truncated: r.slaBreaches.truncated,
      }).toEqual({
        total: 3,
        byKind: { ack: 2, resolve: 1 },
        shown: 1,
        truncated: true,
      });
    });

    it('lists the notable findings with their outcomes and times', () => {
      const f = buildDailyReport(dailyData()).findings;
      expect({
        p1: f.p1Incidents.items.map((i) => [i.outcome, i.task?.ttaSeconds, i.task?.ttrSeconds]),
        storm: f.storms.items.map((s) => [s.title, s.sources, s.firstSeenAt]),
        containment: f.containment.items.map((c) => [c.action, c.target, c.outcome]),
        notices: [f.failedNotices.total, f.failedNotices.byChannel, f.failedNotices.items[0].error],
      }).toEqual({
        p1: [['true_positive', 300, 7200]],
        storm: [['Port scan storm', 12, '2025-03-03T02:00:00.000Z']],
        containment: [['block_ip', '203.0.113.7', 'rolled_back']],
        notices: [2, { webhook: 2 }, 'webhook http://hooks.example answered 410'],
      });
    });

    it('sums the headline figures', () => {
      expect(buildDailyReport(dailyData()).summary).toEqual({
        alertsReceived: 50,
        incidentsOpened: 4,
        p1Incidents: 1,
        slaBreaches: 3,
        truePositives: 1,
        storms: 1,
        containmentProblems: 1,
        failedNotices: 2,
      });
    });
  });

  describe(buildExecutiveReport.name, () => {
    it('counts P1 and P2 incidents and their outcomes, most urgent and oldest first', () => {
      const r = buildExecutiveReport(executiveData());
      expect({
        p1: r.incidents.p1,
        p2: r.incidents.p2,
        order: r.incidents.items.map((i) => i.id),
        byOutcome: r.incidents.byOutcome,
      }).toEqual({
        p1: 3,
        p2: 1,
        order: ['c', 'd', 'a', 'b'],
        byOutcome: { true_positive: 1, false_positive: 1, acknowledged: 1, 'no task': 1 },
      });
    });

    it('fills every day of the period in the response trend', () => {
      const days = buildExecutiveReport(executiveData()).response.byDay;
      expect(days.map((d) => [d.day, d.tasks, d.mttaP50Seconds, d.mttrP50Seconds])).toEqual([
        ['2025-03-03', 0, null, null],
        ['2025-03-04', 4, 120, 3600],
        ['2025-03-05', 0, null, null],
        ['2025-03-06', 6, 600, null],
        ['2025-03-07', 0, null, null],
        ['2025-03-08', 0, null, null],
        ['2025-03-09', 0, null, null],
      ]);
    });

    it('rounds the overall response times and gives every priority', () => {
      const r = buildExecutiveReport(executiveData()).response;
      expect({ overall: r.overall, p1: r.byPriority.P1, p4: r.byPriority.P4 }).toEqual({
        overall: {
          tasks: 10,
          acknowledged: 9,
          resolved: 8,
          mtta: { p50Seconds: 300, p90Seconds: 900 },
          mttr: { p50Seconds: 7200, p90Seconds: 20000 },
        },
        p1: { tasks: 3, mttaP50Seconds: 60, mttrP50Seconds: 1800 },
        p4: { tasks: 0, mttaP50Seconds: null, mttrP50Seconds: null },
      });
    });

    it('counts containment by action and outcome, an undone step as rolled back', () => {
      const c = buildExecutiveReport(executiveData()).containment;
      expect({ total: c.total, byAction: c.byAction }).toEqual({
        total: 5,
        byAction: { block_ip: { succeeded: 3, rolled_back: 1 }, disable_user: {}, isolate_host: { denied: 1 } },
      });
    });

    it('sums the headline figures and names the targeted assets', () => {
      const r = buildExecutiveReport(executiveData());
      expect({ summary: r.summary, targets: r.topTargets }).toEqual({
        summary: { p1Incidents: 3, p2Incidents: 1, slaBreaches: 2, containmentActions: 5, mttaP50Seconds: 300, mttrP50Seconds: 7200 },
        targets: {
          destinationIps: [{ ip: '10.0.0.5', incidents: 3, alerts: 12, topPriority: 'P1' }],
          hosts: [{ host: 'shop-1', incidents: 2, alerts: 5, topPriority: 'P2' }],
        },
      });
    });
  });

  describe(enrichmentCounts.name, () => {
    it('names countries, networks, tactics, techniques, intel lists and assets, and counts incidents by criticality', () => {
      expect(buildDailyReport(dailyData()).enrichment).toEqual({
        countries: [
          { country: 'SE', name: 'Sweden', incidents: 3 },
          { country: 'CN', name: 'China', incidents: 1 },
        ],
        asns: [{ asn: 29518, organization: 'Bredband2 AB', incidents: 3 }],
        tactics: [{ id: 'TA0007', name: 'Discovery', incidents: 2 }],
        techniques: [{ id: 'T1046', name: 'Network Service Discovery', incidents: 2 }],
        intelLists: [{ list: 'circl-locky', incidents: 1 }],
        assetCriticality: { low: 2, medium: 0, high: 0, critical: 1 },
        assets: [{ name: 'pay-db-01', kind: 'host', criticality: 'critical', team: 'payments', incidents: 1 }],
      });
    });

    it('keeps the top ten of each list', () => {
      const techniques = Array.from({ length: 12 }, (_, i) => ({ id: `T10${10 + i}`, name: `T ${i}`, incidents: 12 - i }));
      expect(enrichmentCounts(enrichmentData({ techniques })).techniques.map((t) => t.id)).toEqual([
        'T1010',
        'T1011',
        'T1012',
        'T1013',
        'T1014',
        'T1015',
        'T1016',
        'T1017',
        'T1018',
        'T1019',
      ]);
    });

    it('is in the executive summary too', () => {
      expect(buildExecutiveReport(executiveData()).enrichment.intelLists).toEqual([{ list: 'circl-locky', incidents: 1 }]);
    });
  });

  describe('outcomes', () => {
    it('shows the disposition once resolved, else the task status, else that there is no task', () => {
      expect([
        incidentOutcome(incident()),
        incidentOutcome(incident({ disposition: null, task_status: 'assigned' })),
        incidentOutcome(incident({ task_id: null })),
      ]).toEqual(['true_positive', 'assigned', 'no task']);
    });

    it('shows an undo, when there was one, over the step’s own status', () => {
      expect([
        containmentOutcome(containment()),
        containmentOutcome(containment({ compensation_status: 'compensated' })),
        containmentOutcome(containment({ compensation_status: 'failed' })),
        containmentOutcome(containment({ status: 'refused' })),
      ]).toEqual(['succeeded', 'rolled_back', 'rollback_failed', 'refused']);
    });
  });
});
