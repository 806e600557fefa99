import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ensureReportSchedules, reportScheduleId } from '../../src/stats/reports/report-schedules';
import { pollUntil } from '../support/harness';
import { ENRICHMENT_FILES, GEOIP_ENV, watchedAlertFields } from '../support/enrichment';
import { recordHistory } from '../support/histories';
import { alert, startStack, Stack } from '../support/stack';

// Reports on the real api, worker, Temporal and PostgreSQL: an executive summary of a week seeded
// straight into the tables counts exactly that week's P1 incidents and SLA breaches, as JSON and
// as HTML that renders a hostile title as text; a daily audit report of a seeded day counts its
// alerts by severity, new incidents, breaches and top sources exactly, as JSON and as HTML; each
// kind's Temporal schedule exists once the worker is up, and triggering it stores a report and
// tells the leads; an alert from a watched address is counted by its country, network, technique,
// intel list and asset in both kinds; the API lists, shows and refuses as documented.

const HOSTILE = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`;
const HOSTILE_ESCAPED = '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;';
const PUBLIC_URL = 'https://warden.example.test';

/** A past week, Monday to Monday (UTC). */
const WEEK = { from: '2024-06-03T00:00:00.000Z', to: '2024-06-10T00:00:00.000Z' };
const t = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString();

interface Seeded {
  priority: 'P1' | 'P2' | 'P3';
  createdAt: string;
  title?: string;
  /** The task: seconds to acknowledge and resolve (null: not yet), its status and disposition. */
  task?: { ack: number | null; resolve: number | null; status: string; disposition?: string };
  /** SLA breaches of the task: kind and when recorded. */
  breaches?: { kind: string; at: string }[];
  /** Alerts (destination IP, host) for the targeted assets. */
  alerts?: { destinationIp: string | null; host: string | null }[];
}

// In the week: 3 P1 (one with a hostile title), 2 P2, 2 P3; 4 breaches. Outside it, P1 incidents and
// breaches just before `from` and at `to` itself (the period is half-open).
const SEED: Seeded[] = [
  {
    priority: 'P1',
    createdAt: '2024-06-03T10:00:00Z',
    title: HOSTILE,
    task: { ack: 60, resolve: 3600, status: 'resolved', disposition: 'true_positive' },
    breaches: [{ kind: 'resolve', at: '2024-06-03T10:50:00Z' }],
    alerts: [
      { destinationIp: '10.9.9.9', host: 'db-1' },
      { destinationIp: '10.9.9.9', host: 'db-1' },
      { destinationIp: '10.9.9.9', host: null },
    ],
  },
  {
    priority: 'P1',
    createdAt: '2024-06-04T09:00:00Z',
    task: { ack: 120, resolve: 7200, status: 'resolved', disposition: 'false_positive' },
    breaches: [{ kind: 'ack', at: '2024-06-04T09:01:00Z' }],
    alerts: [{ destinationIp: '10.9.9.9', host: 'web-3' }],
  },
  {
    priority: 'P1',
    createdAt: '2024-06-06T12:00:00Z',
    task: { ack: 300, resolve: null, status: 'acknowledged' },
    breaches: [{ kind: 'ack', at: '2024-06-06T12:04:00Z' }],
  },
  {
    priority: 'P2',
    createdAt: '2024-06-05T08:00:00Z',
    task: { ack: 600, resolve: 1800, status: 'resolved', disposition: 'benign' },
    breaches: [{ kind: 'ack', at: '2024-06-05T08:08:00Z' }],
  },
  { priority: 'P2', createdAt: '2024-06-09T23:59:59Z' },
  { priority: 'P3', createdAt: '2024-06-08T01:00:00Z', task: { ack: 30, resolve: 900, status: 'resolved', disposition: 'benign' } },
  {
    priority: 'P3',
    createdAt: '2024-06-08T02:00:00Z',
    task: { ack: 30, resolve: 900, status: 'resolved', disposition: 'benign' },
    breaches: [{ kind: 'resolve', at: WEEK.to }],
  },
  // Outside the week.
  {
    priority: 'P1',
    createdAt: '2024-06-02T23:59:59Z',
    task: { ack: 5, resolve: 10, status: 'resolved', disposition: 'true_positive' },
    breaches: [{ kind: 'ack', at: '2024-06-02T23:59:59.500Z' }],
  },
  {
    priority: 'P1',
    createdAt: WEEK.to,
    task: { ack: 5, resolve: null, status: 'acknowledged' },
    breaches: [{ kind: 'ack', at: '2024-06-10T00:00:03Z' }],
  },
];

async function seed(stack: Stack): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  for (const [n, s] of SEED.entries()) {
    const [incident] = await stack.db.query<{ id: string }[]>(
      `INSERT INTO incidents (correlation_key, correlation_closed_at, status, title, severity, priority, action, rule, opening_rule,
                              assign_role, types, first_seen_at, last_seen_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'immediate', 'seed', 'seed', 'team_lead', '{sql_injection}', $2, $2, $2, $2) RETURNING id`,
      [
        `seed-${n}`,
        s.createdAt,
        s.task?.status === 'resolved' ? 'resolved' : 'open',
        s.title ?? `Seeded ${s.priority} #${n}`,
        s.priority === 'P1' ? 'critical' : 'high',
        s.priority,
      ],
    );
    ids.set(n, incident.id);
    if (s.task) {
      const [task] = await stack.db.query<{ id: string }[]>(
        `INSERT INTO tasks (incident_id, title, priority, status, assign_role, assignee_id, opened_at, ack_deadline, resolve_deadline,
                            assigned_at, acknowledged_at, resolved_at, disposition)
         VALUES ($1, $2, $3, $4, 'team_lead', 'marta.reyes', $5, $5::timestamptz + interval '15 minutes', $5::timestamptz + interval '4 hours',
                 $5, $6, $7, $8) RETURNING id`,
        [
          incident.id,
          s.title ?? `Seeded ${s.priority} #${n}`,
          s.priority,
          s.task.status,
          s.createdAt,
          s.task.ack === null ? null : t(s.createdAt, s.task.ack),
          s.task.resolve === null ? null : t(s.createdAt, s.task.resolve),
          s.task.disposition ?? null,
        ],
      );
      for (const b of s.breaches ?? [])
        await stack.db.query(`INSERT INTO sla_breaches (task_id, kind, priority, deadline, recorded_at) VALUES ($1, $2, $3, $4, $4)`, [
          task.id,
          b.kind,
          s.priority,
          b.at,
        ]);
    }
    for (const [i, a] of (s.alerts ?? []).entries())
      await stack.db.query(
        `INSERT INTO alerts (source, type, severity, title, destination_ip, host, received_at, fingerprint, status, incident_id, rule, action, priority)
         VALUES ('seed', 'sql_injection', 'critical', $1, $2, $3, $4, $5, 'new', $6, 'seed', 'immediate', $7)`,
        [s.title ?? 'seeded', a.destinationIp, a.host, s.createdAt, `seed-${n}-${i}`, incident.id, s.priority],
      );
  }
  // Containment on the first P1: a block that held and an isolation undone; evidence is no containment.
  // A block on the incident before the week is outside it.
  const run = async (incidentId: string, at: string, steps: [string, string, string, object, string | null][]) => {
    const [r] = await stack.db.query<{ id: string }[]>(
      `INSERT INTO playbook_runs (incident_id, playbook, status, created_at) VALUES ($1, 'seeded', 'succeeded', $2) RETURNING id`,
      [incidentId, at],
    );
    for (const [stepId, action, status, input, compensation] of steps)
      await stack.db.query(
        `INSERT INTO playbook_steps (run_id, step_id, action, status, input, compensation_status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [r.id, stepId, action, status, input, compensation, at],
      );
  };
  await run(ids.get(0)!, '2024-06-03T10:01:00Z', [
    ['block', 'block_ip', 'succeeded', { ip: '203.0.113.9' }, null],
    ['isolate', 'isolate_host', 'succeeded', { host: 'db-1' }, 'compensated'],
    ['evidence', 'collect_evidence', 'succeeded', {}, null],
  ]);
  await run(ids.get(7)!, '2024-06-02T23:59:59Z', [['block', 'block_ip', 'succeeded', { ip: '198.51.100.3' }, null]]);
  return ids;
}

describe('reports', () => {
  let stack: Stack;
  let lead: Awaited<ReturnType<Stack['as']>>;

  beforeAll(async () => {
    stack = await startStack({
      name: 'reports',
      env: { PUBLIC_URL, REPORTS_DAILY_CRON: '0 6 * * *', REPORTS_EXECUTIVE_CRON: '0 7 * * 1', REPORTS_TIMEZONE: 'UTC', ...GEOIP_ENV },
      files: ENRICHMENT_FILES,
    });
    lead = await stack.as('marta.reyes', ['lead']);
    await seed(stack);
  });
  afterAll(async () => stack?.close());

  describe('an executive summary of a seeded week', () => {
    let created: Awaited<ReturnType<typeof lead>>;
    const body = () => created.body.body;

    beforeAll(async () => {
      created = await lead('POST', '/v1/reports', { kind: 'executive', ...WEEK });
    });

    it('is stored for exactly that week and counts its 3 P1 incidents and 4 SLA breaches, nothing outside it', () => {
      expect({
        status: created.status,
        record: { kind: created.body.kind, from: created.body.from, to: created.body.to, trigger: created.body.trigger },
        p1: body().summary.p1Incidents,
        p2: body().summary.p2Incidents,
        breaches: body().slaBreaches,
      }).toEqual({
        status: 201,
        record: { kind: 'executive', ...WEEK, trigger: 'manual' },
        p1: 3,
        p2: 2,
        breaches: { total: 4, byKind: { ack: 3, resolve: 1 }, byPriority: { P1: 3, P2: 1, P3: 0, P4: 0 } },
      });
    });

    it('gives each P1 and P2 incident the outcome of its task', () => {
      expect(body().incidents.byOutcome).toEqual({ true_positive: 1, false_positive: 1, acknowledged: 1, benign: 1, 'no task': 1 });
    });

    it('answers MTTA and MTTR (p50) over the week’s tasks, with a trend point for each of its days', () => {
      expect({
        mtta: body().response.overall.mtta.p50Seconds,
        mttr: body().response.overall.mttr.p50Seconds,
        days: body().response.byDay.map((d: { day: string; tasks: number }) => [d.day, d.tasks]),
        june4: body().response.byDay[1].mttaP50Seconds,
      }).toEqual({
        // Acknowledged after 30, 30, 60, 120, 300, 600 s; resolved after 900, 900, 1800, 3600, 7200 s.
        mtta: 90,
        mttr: 1800,
        days: [
          ['2024-06-03', 1],
          ['2024-06-04', 1],
          ['2024-06-05', 1],
          ['2024-06-06', 1],
          ['2024-06-07', 0],
          ['2024-06-08', 2],
          ['2024-06-09', 0],
        ],
        june4: 120,
      });
    });

    it('counts the containment actions of the week’s playbook runs by outcome, and the targeted assets', () => {
      expect({ containment: body().containment.byAction, targets: body().topTargets }).toEqual({
        containment: { block_ip: { succeeded: 1 }, disable_user: {}, isolate_host: { rolled_back: 1 } },
        targets: {
          destinationIps: [{ ip: '10.9.9.9', incidents: 2, alerts: 4, topPriority: 'P1' }],
          hosts: [
            { host: 'db-1', incidents: 1, alerts: 2, topPriority: 'P1' },
            { host: 'web-3', incidents: 1, alerts: 1, topPriority: 'P1' },
          ],
        },
      });
    });

    it('renders as HTML with the same P1 count and breaches, the hostile title as text, under a strict policy', async () => {
      const res = await lead('GET', `/v1/reports/${created.body.id}/html`);
      expect({
        status: res.status,
        type: res.headers.get('content-type'),
        csp: res.headers.get('content-security-policy'),
        p1: res.text.includes('<div class="v">3</div><div class="l">P1 incidents</div>'),
        breaches: res.text.includes('<div class="v">4</div><div class="l">SLA breaches</div>'),
        title: res.text.includes(HOSTILE_ESCAPED),
        script: /<script|<img/i.test(res.text),
      }).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
        csp: "default-src 'none'; style-src 'unsafe-inline'",
        p1: true,
        breaches: true,
        title: true,
        script: false,
      });
    });

    it('answers the stored report again, 200, when the same kind and period is asked for twice', async () => {
      const again = await lead('POST', '/v1/reports', { kind: 'executive', ...WEEK });
      expect({
        status: again.status,
        id: again.body.id,
        reports: (await stack.db.query(`SELECT count(*)::int AS n FROM reports WHERE kind = 'executive'`))[0].n,
      }).toEqual({
        status: 200,
        id: created.body.id,
        reports: 1,
      });
    });
  });

  describe('a daily audit report of a seeded day', () => {
    // A day well after the seeded week. Its alerts are in the hourly rollups (and the per-day
    // source rollups), as ingest keeps them; incidents, tasks and breaches in their tables. Each
    // kind also has rows just before the day and at its end, which the half-open day leaves out.
    const DAY = { from: '2024-07-01T00:00:00.000Z', to: '2024-07-02T00:00:00.000Z' };
    // [hour, severity, type, status, storm, alerts]
    const ROLLUPS: [string, string, string, string, boolean, number][] = [
      ['2024-07-01T00:00:00Z', 'critical', 'sql_injection', 'new', false, 3],
      ['2024-07-01T09:00:00Z', 'high', 'port_scan', 'new', true, 1200],
      ['2024-07-01T09:00:00Z', 'high', 'port_scan', 'duplicate', false, 40],
      ['2024-07-01T13:00:00Z', 'medium', 'failed_login', 'suppressed', false, 7],
      ['2024-07-01T23:00:00Z', 'low', 'recon', 'new', false, 12],
      ['2024-07-01T23:00:00Z', 'low', 'recon', 'duplicate', false, 2],
      ['2024-06-30T23:00:00Z', 'critical', 'sql_injection', 'new', false, 500],
      ['2024-07-02T00:00:00Z', 'critical', 'sql_injection', 'new', false, 900],
    ];
    // Eleven sources on the day (the report shows the top ten), and busier ones the days around it.
    const SOURCES: [string, string, number][] = [
      ...(
        [
          ['203.0.113.10', 900],
          ['198.51.100.7', 250],
          ['10.0.0.5', 40],
          ['10.0.0.6', 40],
          ['192.0.2.30', 30],
          ['192.0.2.20', 20],
          ['192.0.2.10', 10],
          ['192.0.2.8', 8],
          ['192.0.2.6', 6],
          ['192.0.2.4', 4],
          ['192.0.2.2', 2],
        ] as [string, number][]
      ).map(([ip, n]): [string, string, number] => ['2024-07-01T00:00:00Z', ip, n]),
      ['2024-06-30T00:00:00Z', '192.0.2.200', 5000],
      ['2024-07-02T00:00:00Z', '192.0.2.201', 6000],
    ];
    // [priority, severity, created, storm, breaches: [kind, deadline, recorded]]
    const INCIDENTS: [string, string, string, boolean, [string, string, string][]][] = [
      ['P2', 'high', '2024-07-01T00:00:00Z', false, [['resolve', '2024-07-01T04:00:00Z', '2024-07-01T04:00:30Z']]],
      ['P3', 'medium', '2024-07-01T09:00:00Z', true, []],
      ['P1', 'critical', '2024-07-01T09:30:00Z', false, [['ack', '2024-07-01T09:45:00Z', '2024-07-01T09:46:00Z']]],
      ['P2', 'high', '2024-07-01T13:00:00Z', false, [['ack', '2024-07-01T23:59:00Z', DAY.to]]],
      ['P4', 'low', '2024-07-01T23:59:59Z', false, []],
      ['P1', 'critical', '2024-06-30T23:59:59Z', false, [['ack', '2024-06-30T23:59:00Z', '2024-06-30T23:59:59Z']]],
      ['P2', 'high', DAY.to, false, []],
    ];
    const incidentIds: string[] = [];
    const taskIds: string[] = [];
    let created: Awaited<ReturnType<typeof lead>>;
    const body = () => created.body.body;

    beforeAll(async () => {
      for (const r of ROLLUPS)
        await stack.db.query(
          `INSERT INTO alert_rollups (bucket, severity, type, status, storm, alerts) VALUES ($1, $2, $3, $4, $5, $6)`,
          r,
        );
      for (const r of SOURCES) await stack.db.query(`INSERT INTO alert_source_rollups (bucket, source_ip, alerts) VALUES ($1, $2, $3)`, r);
      for (const [n, [priority, severity, at, storm, breaches]] of INCIDENTS.entries()) {
        const [incident] = await stack.db.query<{ id: string }[]>(
          `INSERT INTO incidents (correlation_key, correlation_closed_at, status, title, severity, priority, action, rule, opening_rule,
                                  assign_role, types, storm, first_seen_at, last_seen_at, created_at, updated_at)
           VALUES ($1, $2, 'open', $3, $4, $5, 'immediate', 'seed', 'seed', 'team_lead', '{recon}', $6, $2, $2, $2, $2) RETURNING id`,
          [`day-${n}`, at, `Day ${priority} #${n}`, severity, priority, storm],
        );
        const [task] = await stack.db.query<{ id: string }[]>(
          `INSERT INTO tasks (incident_id, title, priority, status, assign_role, assignee_id, opened_at, ack_deadline, resolve_deadline, assigned_at)
           VALUES ($1, $2, $3, 'assigned', 'team_lead', 'marta.reyes', $4, $4::timestamptz + interval '15 minutes',
                   $4::timestamptz + interval '4 hours', $4) RETURNING id`,
          [incident.id, `Task of day ${priority} #${n}`, priority, at],
        );
        for (const [kind, deadline, recorded] of breaches)
          await stack.db.query(`INSERT INTO sla_breaches (task_id, kind, priority, deadline, recorded_at) VALUES ($1, $2, $3, $4, $5)`, [
            task.id,
            kind,
            priority,
            deadline,
            recorded,
          ]);
        incidentIds.push(incident.id);
        taskIds.push(task.id);
      }
      created = await lead('POST', '/v1/reports', { kind: 'daily', ...DAY });
    });

    it('counts the day’s alerts by status and severity from the rollups, nothing from the hours around it', () => {
      expect({ status: created.status, period: body().period, alerts: body().alerts }).toEqual({
        status: 201,
        period: { ...DAY, timeZone: 'UTC' },
        alerts: {
          received: 1264,
          correlated: 1215,
          duplicates: 42,
          suppressed: 7,
          foldedIntoStorms: 1200,
          bySeverity: { low: 14, medium: 7, high: 1240, critical: 3 },
        },
      });
    });

    it('counts the 5 incidents opened in the day by severity and priority, with its storm and its P1', () => {
      expect({
        incidents: body().incidents,
        p1: body().findings.p1Incidents.items.map((i: { id: string }) => i.id),
        storms: body().findings.storms.items.map((i: { id: string }) => i.id),
      }).toEqual({
        incidents: {
          opened: 5,
          storms: 1,
          bySeverity: { low: 1, medium: 1, high: 2, critical: 1 },
          byPriority: { P1: 1, P2: 2, P3: 1, P4: 1 },
        },
        p1: [incidentIds[2]],
        storms: [incidentIds[1]],
      });
    });

    it('lists the 2 SLA breaches recorded in the day, by kind and priority, not the one at its end', () => {
      expect(body().slaBreaches).toEqual({
        total: 2,
        truncated: false,
        byKind: { ack: 1, resolve: 1 },
        byPriority: { P1: 1, P2: 1, P3: 0, P4: 0 },
        items: [
          {
            taskId: taskIds[0],
            incidentId: incidentIds[0],
            kind: 'resolve',
            priority: 'P2',
            title: 'Task of day P2 #0',
            assignee: 'marta.reyes',
            deadline: '2024-07-01T04:00:00.000Z',
            recordedAt: '2024-07-01T04:00:30.000Z',
          },
          {
            taskId: taskIds[2],
            incidentId: incidentIds[2],
            kind: 'ack',
            priority: 'P1',
            title: 'Task of day P1 #2',
            assignee: 'marta.reyes',
            deadline: '2024-07-01T09:45:00.000Z',
            recordedAt: '2024-07-01T09:46:00.000Z',
          },
        ],
      });
    });

    it('names the ten busiest sources of the day, busiest first, equal counts by address', () => {
      expect(body().topSourceIps).toEqual([
        { ip: '203.0.113.10', alerts: 900 },
        { ip: '198.51.100.7', alerts: 250 },
        { ip: '10.0.0.5', alerts: 40 },
        { ip: '10.0.0.6', alerts: 40 },
        { ip: '192.0.2.30', alerts: 30 },
        { ip: '192.0.2.20', alerts: 20 },
        { ip: '192.0.2.10', alerts: 10 },
        { ip: '192.0.2.8', alerts: 8 },
        { ip: '192.0.2.6', alerts: 6 },
        { ip: '192.0.2.4', alerts: 4 },
      ]);
    });

    it('takes the sources of every UTC day a period touches: a report from 06:00 keeps its first 18 hours', async () => {
      const shifted = await lead('POST', '/v1/reports', {
        kind: 'daily',
        from: '2024-07-01T06:00:00.000Z',
        to: '2024-07-02T06:00:00.000Z',
      });
      expect(shifted.body.body.topSourceIps.slice(0, 3)).toEqual([
        { ip: '192.0.2.201', alerts: 6000 },
        { ip: '203.0.113.10', alerts: 900 },
        { ip: '198.51.100.7', alerts: 250 },
      ]);
    });

    it('sums it all up in the summary', () => {
      expect(body().summary).toEqual({
        alertsReceived: 1264,
        incidentsOpened: 5,
        p1Incidents: 1,
        slaBreaches: 2,
        truePositives: 0,
        storms: 1,
        containmentProblems: 0,
        failedNotices: 0,
      });
    });

    it('renders the same numbers as HTML: cards, alerts and incidents, breaches by kind, top sources', async () => {
      const res = await lead('GET', `/v1/reports/${created.body.id}/html`);
      const html: string = res.text;
      const section = (start: string, end: string) => html.slice(html.indexOf(start), html.indexOf(end));
      const cells = (part: string) => [...part.matchAll(/<td class="n">([^<]*)<\/td>/g)].map((m) => m[1]);
      expect({
        status: res.status,
        cards: Object.fromEntries(
          [...html.matchAll(/<div class="v">([^<]*)<\/div><div class="l">([^<]*)<\/div>/g)].map((m) => [m[2], m[1]]),
        ),
        alerts: cells(section('<h2>Alerts</h2>', '<h2>Incidents</h2>')),
        incidents: cells(section('<h2>Incidents</h2>', '<h2>SLA breaches</h2>')),
        breachesByKind: [
          ...section('<h2>SLA breaches</h2>', '<h3>Breaches').matchAll(/<tr><td>([^<]*)<\/td><td class="n">([^<]*)<\/td><\/tr>/g),
        ].map((m) => [m[1], m[2]]),
        breaches: /<h3>Breaches <span class="muted">\(([^)]*)\)<\/span><\/h3>/.exec(html)?.[1],
        sources: [
          ...section('<h2>Top source IPs</h2>', '<h2>Notable findings</h2>').matchAll(
            /<tr><td><code>([^<]*)<\/code><\/td><td class="n">([^<]*)<\/td><\/tr>/g,
          ),
        ].map((m) => [m[1], m[2]]),
      }).toEqual({
        status: 200,
        cards: {
          'alerts received': '1,264',
          'incidents opened': '5',
          'P1 incidents': '1',
          'SLA breaches': '2',
          'true positives': '0',
          storms: '1',
          'containment failed or rolled back': '0',
          'failed notices': '0',
        },
        // received, correlated, duplicates, suppressed, folded into storms, then low, medium, high, critical
        alerts: ['1,264', '1,215', '42', '7', '1,200', '14', '7', '1,240', '3'],
        // opened, storms, then low, medium, high, critical, then P1 to P4
        incidents: ['5', '1', '1', '1', '2', '1', '1', '2', '1', '1'],
        breachesByKind: [
          ['ack', '1'],
          ['resolve', '1'],
        ],
        breaches: '2',
        sources: [
          ['203.0.113.10', '900'],
          ['198.51.100.7', '250'],
          ['10.0.0.5', '40'],
          ['10.0.0.6', '40'],
          ['192.0.2.30', '30'],
          ['192.0.2.20', '20'],
          ['192.0.2.10', '10'],
          ['192.0.2.8', '8'],
          ['192.0.2.6', '6'],
          ['192.0.2.4', '4'],
        ],
      });
    });
  });

  describe('the enrichment of the incidents of a period', () => {
    // The period around one alert from a watched address (in MaxMind's test databases, on the
    // watchlist, on the critical host pay-db-01, naming T1046), the only incident opened in it.
    let daily: Awaited<ReturnType<typeof lead>>;
    let executive: Awaited<ReturnType<typeof lead>>;
    const EXPECTED = {
      countries: [{ country: 'SE', name: 'Sweden', incidents: 1 }],
      asns: [{ asn: 29518, organization: 'Bredband2 AB', incidents: 1 }],
      tactics: [{ id: 'TA0007', name: 'Discovery', incidents: 1 }],
      techniques: [{ id: 'T1046', name: 'Network Service Discovery', incidents: 1 }],
      intelLists: [{ list: 'watchlist', incidents: 1 }],
      assetCriticality: { low: 0, medium: 0, high: 0, critical: 1 },
      assets: [{ name: 'pay-db-01', kind: 'host', criticality: 'critical', team: 'payments', incidents: 1 }],
    };

    beforeAll(async () => {
      const from = new Date(Date.now() - 1000).toISOString();
      const res = await stack.ingest(
        'POST',
        '/v1/alerts',
        alert({ severity: 'high', title: 'Scan from a watched address', ...watchedAlertFields }),
      );
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
      // A report covers a period that has ended.
      const to = new Date(Date.now() + 1000).toISOString();
      await pollUntil(
        async () => Date.now(),
        (now) => now > Date.parse(to),
        { what: 'the end of the period', timeoutMs: 10_000, intervalMs: 100 },
      );
      daily = await lead('POST', '/v1/reports', { kind: 'daily', from, to });
      executive = await lead('POST', '/v1/reports', { kind: 'executive', from, to });
    });

    it('counts the incident by country, network, tactic, technique, intel list and asset in the daily report', () => {
      expect([daily.status, daily.body.body.enrichment]).toEqual([201, EXPECTED]);
    });

    it('counts the same in the executive summary', () => {
      expect([executive.status, executive.body.body.enrichment]).toEqual([201, EXPECTED]);
    });

    it('renders the counts in the HTML', async () => {
      const html: string = (await lead('GET', `/v1/reports/${daily.body.id}/html`)).text;
      const part = html.slice(html.indexOf('<h2>Enrichment</h2>'), html.indexOf('</main>'));
      const rows = [...part.matchAll(/<h3>([^<]*)<\/h3>|<tr>(<td.*?)<\/tr>/g)].map((m) =>
        m[1] !== undefined ? `# ${m[1]}` : [...m[2].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]).join(' | '),
      );
      expect(rows).toEqual([
        '# Top countries',
        'SE Sweden | 1',
        '# Top networks',
        'AS29518 | Bredband2 AB | 1',
        '# ATT&amp;CK tactics',
        'TA0007 | Discovery | 1',
        '# ATT&amp;CK techniques',
        'T1046 | Network Service Discovery | 1',
        '# Threat-intel lists hit',
        'watchlist | 1',
        '# Incidents by the highest criticality of their assets',
        'critical | 1',
        'high | 0',
        'medium | 0',
        'low | 0',
        '# Top affected assets',
        'pay-db-01 | host | critical | payments | 1',
      ]);
    });
  });

  describe('schedules', () => {
    it('exist for both kinds once the worker is up, with the configured cron and time zone', async () => {
      const describe = async (kind: 'daily' | 'executive') => {
        const d = await stack.temporal.schedule.getHandle(reportScheduleId(kind, stack.env.TEMPORAL_TASK_QUEUE)).describe();
        const action = d.action.type === 'startWorkflow' ? d.action : undefined;
        return {
          workflow: action?.workflowType,
          args: action?.args,
          taskQueue: action?.taskQueue,
          timezone: d.spec.timezone ?? 'UTC',
          calendar: d.spec.calendars?.[0],
        };
      };
      expect({ daily: await describe('daily'), executive: await describe('executive') }).toEqual({
        daily: {
          workflow: 'reportWorkflow',
          args: [{ kind: 'daily' }],
          taskQueue: stack.env.TEMPORAL_TASK_QUEUE,
          timezone: 'UTC',
          calendar: expect.objectContaining({ hour: [{ start: 6, end: 6, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] }),
        },
        executive: {
          workflow: 'reportWorkflow',
          args: [{ kind: 'executive' }],
          taskQueue: stack.env.TEMPORAL_TASK_QUEUE,
          timezone: 'UTC',
          calendar: expect.objectContaining({
            hour: [{ start: 7, end: 7, step: 1 }],
            dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
          }),
        },
      });
    });

    it('store the day ending at the scheduled time and tell the leads, with a link to its HTML, when the daily one is triggered', async () => {
      const schedule = stack.temporal.schedule.getHandle(reportScheduleId('daily', stack.env.TEMPORAL_TASK_QUEUE));
      await schedule.trigger();
      // The run the trigger started (a run of the cron itself, at 06:00 UTC, would be another one).
      const [run] = await pollUntil(
        async () => (await schedule.describe()).info.recentActions,
        (actions) => actions.length > 0,
        { what: 'the triggered run', timeoutMs: 30_000 },
      );
      const workflowId = run.action.workflow.workflowId;
      const result = await stack.temporal.workflow.getHandle(workflowId).result();
      recordHistory(stack.env.TEMPORAL_ADDRESS, workflowId, 'report-daily');
      const [report] = await stack.db.query<{ period_from: Date; period_to: Date; trigger: string }[]>(
        `SELECT period_from, period_to, trigger FROM reports WHERE id = $1`,
        [result.reportId],
      );
      const notice = await pollUntil(
        async () => stack.webhook.deliveries.find((d) => d.body.kind === 'report.published' && d.body.data.reportId === result.reportId),
        (d) => d !== undefined,
        { what: 'the report.published notice', timeoutMs: 30_000 },
      );
      const scheduledMinute = Math.floor(run.scheduledAt.getTime() / 60_000) * 60_000;
      expect({
        result: { kind: result.kind, duplicate: result.duplicate, published: result.published },
        report: { ...report, period_from: report.period_from.toISOString(), period_to: report.period_to.toISOString() },
        signed: notice!.signed,
        recipients: notice!.body.recipients,
        url: notice!.body.data.url,
        text: notice!.body.text.endsWith(`${PUBLIC_URL}/app#report/${result.reportId}`),
      }).toEqual({
        result: { kind: 'daily', duplicate: false, published: true },
        // The day ending at the minute it was scheduled for.
        report: {
          period_from: new Date(scheduledMinute - 86_400_000).toISOString(),
          period_to: new Date(scheduledMinute).toISOString(),
          trigger: 'schedule',
        },
        signed: true,
        recipients: ['marta.reyes'],
        // The report's page in the workspace, never the JSON API.
        url: `${PUBLIC_URL}/app#report/${result.reportId}`,
        text: true,
      });
    });

    it('follow a changed cron at the next worker start, and go away when configured off', async () => {
      const logger = new Logger('test');
      const handle = stack.temporal.schedule.getHandle(reportScheduleId('executive', stack.env.TEMPORAL_TASK_QUEUE));
      await ensureReportSchedules({ ...stack.env, REPORTS_EXECUTIVE_CRON: '30 8 * * 5' }, logger);
      const changed = (await handle.describe()).spec.calendars?.[0];
      await ensureReportSchedules({ ...stack.env, REPORTS_EXECUTIVE_CRON: 'off' }, logger);
      const gone = await handle.describe().then(
        () => false,
        (err) => err instanceof ScheduleNotFoundError,
      );
      expect({ changed, gone }).toEqual({
        changed: expect.objectContaining({ hour: [{ start: 8, end: 8, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] }),
        gone: true,
      });
    });
  });

  describe('the API', () => {
    let daily: string;
    let executive: string;

    beforeAll(async () => {
      const res = await lead('POST', '/v1/reports', { kind: 'daily', from: '2024-06-03T00:00:00Z', to: '2024-06-04T00:00:00Z' });
      expect(res.status).toBe(201);
      daily = res.body.id;
      executive = (await lead('POST', '/v1/reports', { kind: 'executive', ...WEEK })).body.id;
    });

    it('lists reports newest first without their bodies, by kind, a page at a time', async () => {
      const all = await lead('GET', '/v1/reports');
      const first = await lead('GET', '/v1/reports?limit=1');
      const second = await lead('GET', `/v1/reports?limit=1&cursor=${first.body.nextCursor}`);
      const executives = await lead('GET', '/v1/reports?kind=executive');
      expect({
        newest: all.body.items[0],
        ids: all.body.items.map((r: { id: string }) => r.id),
        pages: [first.body.items[0].id, second.body.items[0].id],
        executives: executives.body.items.map((r: { kind: string }) => r.kind),
      }).toEqual({
        newest: {
          id: daily,
          kind: 'daily',
          from: '2024-06-03T00:00:00.000Z',
          to: '2024-06-04T00:00:00.000Z',
          createdAt: expect.any(String),
          trigger: 'manual',
        },
        ids: expect.arrayContaining([daily, executive]),
        pages: all.body.items.slice(0, 2).map((r: { id: string }) => r.id),
        // The seeded week's, and the one of the enrichment period.
        executives: ['executive', 'executive'],
      });
    });

    it('shows one report with its body', async () => {
      const res = await lead('GET', `/v1/reports/${daily}`);
      expect({ status: res.status, id: res.body.id, kind: res.body.body.kind, period: res.body.body.period }).toEqual({
        status: 200,
        id: daily,
        kind: 'daily',
        period: { from: '2024-06-03T00:00:00.000Z', to: '2024-06-04T00:00:00.000Z', timeZone: 'UTC' },
      });
    });

    it('answers 404 for an unknown report and 400 or 422 naming the bad field', async () => {
      const answer = async (method: string, path: string, body?: unknown) => {
        const res = await lead(method, path, body);
        return [res.status, res.headers.get('content-type')?.split(';')[0], res.body?.errors?.map((e: { path: string }) => e.path)];
      };
      const problem = 'application/problem+json';
      expect({
        unknown: await answer('GET', `/v1/reports/${randomUUID()}`),
        unknownHtml: await answer('GET', `/v1/reports/${randomUUID()}/html`),
        badId: await answer('GET', '/v1/reports/not-a-uuid'),
        badKind: await answer('GET', '/v1/reports?kind=weekly'),
        badLimit: await answer('GET', '/v1/reports?limit=5000'),
        badCursor: await answer('GET', '/v1/reports?cursor=bm9wZQ'),
        postKind: await answer('POST', '/v1/reports', { kind: 'weekly' }),
        postFrom: await answer('POST', '/v1/reports', { kind: 'daily', from: 'yesterday' }),
        future: await answer('POST', '/v1/reports', { kind: 'daily', to: '2999-01-01T00:00:00Z' }),
        reversed: await answer('POST', '/v1/reports', { kind: 'daily', from: WEEK.to, to: WEEK.from }),
        extra: await answer('POST', '/v1/reports', { kind: 'daily', format: 'pdf' }),
      }).toEqual({
        unknown: [404, problem, ['path:id']],
        unknownHtml: [404, problem, ['path:id']],
        badId: [400, problem, ['path:id']],
        badKind: [400, problem, ['query:kind']],
        badLimit: [400, problem, ['query:limit']],
        badCursor: [400, problem, ['query:cursor']],
        postKind: [422, problem, ['/kind']],
        postFrom: [422, problem, ['/from']],
        future: [422, problem, ['/to']],
        reversed: [422, problem, ['/from']],
        extra: [422, problem, ['/']],
      });
    });

    it('is for leads only', async () => {
      const analyst = await stack.as('kim.nguyen');
      expect([(await analyst('GET', '/v1/reports')).status, (await analyst('POST', '/v1/reports', { kind: 'daily' })).status]).toEqual([
        403, 403,
      ]);
    });
  });
});
