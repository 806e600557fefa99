// Report data as the database answers it, for the builder and renderer specs.
import type { ContainmentRow, DailyReportData, ExecutiveReportData, IncidentRow } from './report';

export const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>&'`;

export const period = {
  from: new Date('2025-03-03T00:00:00Z'),
  to: new Date('2025-03-10T00:00:00Z'),
  timeZone: 'UTC',
  generatedAt: new Date('2025-03-10T07:00:05Z'),
};

export function incident(fields: Partial<IncidentRow> = {}): IncidentRow {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    title: 'SQL injection on shop',
    severity: 'critical',
    priority: 'P1',
    status: 'resolved',
    storm: false,
    source_ip: '203.0.113.7',
    host: 'shop-1',
    user: null,
    alert_count: 3,
    created_at: '2025-03-04T10:00:00+00:00',
    task_id: '22222222-2222-4222-8222-222222222222',
    task_status: 'resolved',
    disposition: 'true_positive',
    assignee_id: 'marta.reyes',
    opened_at: '2025-03-04T10:00:00+00:00',
    acknowledged_at: '2025-03-04T10:05:00+00:00',
    resolved_at: '2025-03-04T12:00:00+00:00',
    ...fields,
  };
}

export function containment(fields: Partial<ContainmentRow> = {}): ContainmentRow {
  return {
    run_id: '33333333-3333-4333-8333-333333333333',
    step_id: 'block-now',
    playbook: 'brute-force',
    incident_id: '11111111-1111-4111-8111-111111111111',
    priority: 'P1',
    action: 'block_ip',
    target: '203.0.113.7',
    status: 'succeeded',
    compensation_status: null,
    reason: null,
    compensation_error: null,
    updated_at: '2025-03-04T10:01:00+00:00',
    ...fields,
  };
}

export function dailyData(fields: Partial<DailyReportData> = {}): DailyReportData {
  return {
    period: { ...period, to: new Date('2025-03-04T00:00:00Z') },
    alerts: [
      { severity: 'critical', status: 'new', storm: false, alerts: 2 },
      { severity: 'low', status: 'duplicate', storm: false, alerts: 5 },
      { severity: 'medium', status: 'new', storm: true, alerts: 40 },
      { severity: 'medium', status: 'suppressed', storm: false, alerts: 3 },
    ],
    topSources: [{ ip: '203.0.113.7', alerts: 30 }],
    incidents: {
      opened: 4,
      storms: 1,
      bySeverity: [
        { key: 'critical', n: 1 },
        { key: 'medium', n: 3 },
      ],
      byPriority: [
        { key: 'P1', n: 1 },
        { key: 'P3', n: 3 },
      ],
    },
    p1Incidents: { total: 1, items: [incident()] },
    truePositives: { total: 1, items: [incident()] },
    storms: {
      total: 1,
      items: [
        {
          id: '44444444-4444-4444-8444-444444444444',
          title: 'Port scan storm',
          priority: 'P3',
          status: 'open',
          alert_count: 40,
          sources: 12,
          top_sources: [{ source: '198.51.100.1', alerts: 9 }],
          first_seen_at: '2025-03-03T02:00:00+00:00',
          last_seen_at: '2025-03-03T03:00:00+00:00',
        },
      ],
    },
    breaches: {
      byKind: [
        { key: 'ack', n: 2 },
        { key: 'resolve', n: 1 },
      ],
      byPriority: [{ key: 'P1', n: 3 }],
      items: [
        {
          task_id: '22222222-2222-4222-8222-222222222222',
          incident_id: '11111111-1111-4111-8111-111111111111',
          kind: 'ack',
          priority: 'P1',
          title: 'SQL injection on shop',
          assignee_id: 'marta.reyes',
          deadline: '2025-03-03T10:15:00+00:00',
          recorded_at: '2025-03-03T10:15:01+00:00',
        },
      ],
    },
    containment: { total: 1, items: [containment({ compensation_status: 'compensated' })] },
    failedNotices: {
      byChannel: [{ key: 'webhook', n: 2 }],
      items: [
        {
          key: 'task-x:assignment:1',
          kind: 'assigned',
          channel: 'webhook',
          title: 'P1 task assigned to you',
          task_id: null,
          incident_id: null,
          last_error: 'webhook http://hooks.example answered 410',
          failed_at: '2025-03-03T11:00:00+00:00',
        },
      ],
    },
    ...fields,
  };
}

const response = { tasks: 0, acknowledged: 0, resolved: 0, mtta_p50: null, mtta_p90: null, mttr_p50: null, mttr_p90: null };

export function executiveData(fields: Partial<ExecutiveReportData> = {}): ExecutiveReportData {
  return {
    period,
    incidents: {
      byPriority: [
        { key: 'P1', n: 3 },
        { key: 'P2', n: 1 },
      ],
      items: [
        incident({ id: 'a', created_at: '2025-03-05T00:00:00Z' }),
        incident({ id: 'b', priority: 'P2', task_status: 'acknowledged', disposition: null, resolved_at: null }),
        incident({ id: 'c', created_at: '2025-03-03T00:00:00Z', task_id: null, task_status: null, disposition: null }),
        incident({ id: 'd', disposition: 'false_positive' }),
      ],
    },
    response: {
      overall: { tasks: 10, acknowledged: 9, resolved: 8, mtta_p50: 300.04, mtta_p90: 900, mttr_p50: 7200, mttr_p90: 20000 },
      byDay: [
        { day: '2025-03-04', ...response, tasks: 4, mtta_p50: 120, mttr_p50: 3600 },
        { day: '2025-03-06', ...response, tasks: 6, mtta_p50: 600, mttr_p50: null },
      ],
      byPriority: [{ priority: 'P1', ...response, tasks: 3, mtta_p50: 60, mttr_p50: 1800 }],
    },
    breaches: { byKind: [{ key: 'ack', n: 2 }], byPriority: [{ key: 'P1', n: 2 }] },
    containment: {
      byOutcome: [
        { action: 'block_ip', status: 'succeeded', compensation_status: null, n: 3 },
        { action: 'block_ip', status: 'succeeded', compensation_status: 'compensated', n: 1 },
        { action: 'isolate_host', status: 'denied', compensation_status: null, n: 1 },
      ],
      items: [containment(), containment({ step_id: 'isolate', action: 'isolate_host', target: 'web-2', status: 'denied' })],
    },
    targets: {
      destinationIps: [{ asset: '10.0.0.5', incidents: 3, alerts: 12, top_priority: 'P1' }],
      hosts: [{ asset: 'shop-1', incidents: 2, alerts: 5, top_priority: 'P2' }],
    },
    ...fields,
  };
}
