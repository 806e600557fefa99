import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { client, pollUntil, send, startApi } from '../support/harness';
import { alert, startStack, type Stack } from '../support/stack';
import { TcpProxy } from '../support/tcp-proxy';

/** One sample of a scrape: `name{labels}` and its value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  samples: Sample[];
  /** Lines that are neither a HELP or TYPE comment nor a well-formed sample. */
  malformed: string[];
  /** Metric families by TYPE. */
  types: Map<string, string>;
  help: Set<string>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Prometheus reads Inf and NaN in any case (prom-client writes "Nan").
const VALUE = '[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[Ii][Nn][Ff]|[Nn][Aa][Nn])';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?[0-9]+)?$`);
const HELP_LINE = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

/** A sample's value as Prometheus reads it. */
function sampleValue(text: string): number {
  if (/^[-+]?nan$/i.test(text)) return NaN;
  const inf = /^([-+]?)inf$/i.exec(text);
  return inf ? (inf[1] === '-' ? -Infinity : Infinity) : Number(text);
}

/** Prometheus text exposition format 0.0.4, checked line by line. */
function parse(text: string): Scrape {
  const scrape: Scrape = { samples: [], malformed: [], types: new Map(), help: new Set() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = HELP_LINE.exec(line);
    const type = TYPE_LINE.exec(line);
    const sample = SAMPLE_LINE.exec(line);
    if (help) scrape.help.add(help[1]);
    else if (type) scrape.types.set(type[1], type[2]);
    else if (sample) {
      const labels = Object.fromEntries(
        [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      scrape.samples.push({ name: sample[1], labels, value: sampleValue(sample[3]) });
    } else scrape.malformed.push(line);
  }
  return scrape;
}

/** The value of the one sample with these labels (others ignored), or undefined. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scrape.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Priorities and the stack's notice channels (log and the test webhook), as the gauges label them. */
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'];
const CHANNELS = ['log', 'webhook'];

/** The values of one gauge by one label, for these label values. */
const byLabel = (scrape: Scrape, name: string, label: string, values: string[]) =>
  Object.fromEntries(values.map((v) => [v, value(scrape, name, { [label]: v })]));

describe('GET /metrics', () => {
  let stack: Stack;
  const scrape = async (url = `${stack.api.url}/metrics`) => {
    const res = await send(url, { method: 'GET' });
    expect(res.status).toBe(200);
    return parse(res.text);
  };

  beforeAll(async () => {
    stack = await startStack({
      name: 'metrics',
      env: { WORKER_METRICS_ADDRESS: '127.0.0.1:0' },
      rules: (doc) => {
        doc.rules.unshift(
          // Suppressed by a rule.
          { name: 'metrics-noise', match: { type: 'metrics_noise' }, action: 'suppress' },
          // A storm after two incidents: the third alert on opens the storm, the rest fold into it.
          {
            name: 'metrics-scan',
            match: { type: 'metrics_scan' },
            action: 'correlate',
            priority: 'P4',
            correlate_by: ['sourceIp'],
            storm: { threshold: 2, within: '10m', quiet: '10m', key_by: ['destinationIp'] },
          },
          // A P3 for executives, who take no tasks (capacity 0) and have no role above: it waits in the capacity queue.
          { name: 'metrics-wait', match: { type: 'metrics_wait' }, action: 'immediate', priority: 'P3', assign_role: 'executive' },
          // One playbook run that then waits 15 minutes for a senior analyst's approval (isolate-host).
          {
            name: 'metrics-playbook',
            match: { type: 'malware', source: 'metrics-playbook' },
            action: 'immediate',
            priority: 'P3',
            playbooks: ['malware'],
            assign_role: 'analyst',
          },
        );
      },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('counts a batch with a duplicate and a bad item exactly, by format and outcome, and each request by status code', async () => {
    const before = await scrape();
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const batch = await stack.ingest('POST', '/v1/alerts', {
      alerts: [alert({ sourceIp: ip }), alert({ sourceIp: ip }), alert({ severity: 'nope' })],
    });
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 1 });
    const unauthenticated = await client(stack.api.url)('POST', '/v1/alerts', alert({}));
    expect(unauthenticated.status).toBe(401);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string> = {}) =>
      (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    expect({
      accepted: delta('warden_ingest_alerts_total', { format: 'native', outcome: 'accepted' }),
      duplicate: delta('warden_ingest_alerts_total', { format: 'native', outcome: 'duplicate' }),
      rejected: delta('warden_ingest_alerts_total', { format: 'native', outcome: 'rejected' }),
      suppressed: delta('warden_ingest_alerts_total', { format: 'native', outcome: 'suppressed' }),
      requests202: delta('warden_ingest_requests_total', { format: 'native', code: '202' }),
      requests401: delta('warden_ingest_requests_total', { format: 'native', code: '401' }),
      timed: delta('warden_ingest_request_duration_seconds_count', { format: 'native' }),
      deduplicated: delta('warden_alerts_deduplicated_total'),
      incidentsOpened: delta('warden_incidents_opened_total'),
    }).toEqual({
      accepted: 1,
      duplicate: 1,
      rejected: 1,
      suppressed: 0,
      requests202: 1,
      requests401: 1,
      timed: 2,
      deduplicated: 1,
      incidentsOpened: 1,
    });
  });

  it('counts alerts suppressed by a silence and by a suppress rule, each by what suppressed it', async () => {
    const lead = await stack.as(null, ['lead']);
    const silenced = '198.18.0.9';
    const silence = await lead('POST', '/v1/silences', {
      matchers: [{ name: 'sourceIp', value: silenced }],
      comment: 'metrics',
      durationSeconds: 3600,
    });
    expect(silence.status).toBe(201);
    const before = await scrape();
    const res = await stack.ingest('POST', '/v1/alerts', {
      alerts: [alert({ sourceIp: silenced, title: 'silenced' }), alert({ type: 'metrics_noise', title: 'noise', sourceIp: '198.18.0.10' })],
    });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['suppressed', 'suppressed']);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    expect({
      bySilence: delta('warden_alerts_suppressed_total', { by: 'silence' }),
      byRule: delta('warden_alerts_suppressed_total', { by: 'rule' }),
      ingestSuppressed: delta('warden_ingest_alerts_total', { format: 'native', outcome: 'suppressed' }),
      incidentsOpened: delta('warden_incidents_opened_total'),
    }).toEqual({ bySilence: 1, byRule: 1, ingestSuppressed: 2, incidentsOpened: 0 });
  });

  it('counts the storm a rule opens and the alerts folded into it', async () => {
    const before = await scrape();
    // Five scans of one target from five sources: two incidents (the threshold), then one storm for the other three.
    const scans = Array.from({ length: 5 }, (_, i) =>
      alert({ type: 'metrics_scan', severity: 'low', title: 'scan', sourceIp: `10.99.0.${i + 1}`, destinationIp: '192.0.2.99' }),
    );
    const res = await stack.ingest('POST', '/v1/alerts', { alerts: scans });
    expect(res.body.accepted).toBe(5);
    const after = await scrape();
    const delta = (name: string) => (value(after, name) ?? 0) - (value(before, name) ?? 0);
    expect({
      incidentsOpened: delta('warden_incidents_opened_total'),
      stormsOpened: delta('warden_storms_opened_total'),
      folded: delta('warden_storm_alerts_folded_total'),
    }).toEqual({ incidentsOpened: 3, stormsOpened: 1, folded: 3 });
  });

  it('answers Prometheus text format 0.0.4: every line a HELP, a TYPE or a well-formed sample of a declared family', async () => {
    const res = await send(`${stack.api.url}/metrics`, { method: 'GET' });
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const parsed = parse(res.text);
    expect(parsed.malformed).toEqual([]);
    expect(parsed.samples.length).toBeGreaterThan(50);
    const family = (name: string) => (parsed.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, ''));
    expect(parsed.samples.filter((s) => !parsed.types.has(family(s.name))).map((s) => s.name)).toEqual([]);
    const warden = [...parsed.types.keys()].filter((n) => n.startsWith('warden_'));
    expect(warden.filter((n) => !parsed.help.has(n))).toEqual([]);
    // Process metrics come along.
    expect(value(parsed, 'process_cpu_user_seconds_total')).toEqual(expect.any(Number));
  });

  it('reads the outbox, notice and capacity-queue gauges from the database at scrape time', async () => {
    // A P3 task nobody may take: it waits in the capacity queue.
    const waiting = await stack.ingest('POST', '/v1/alerts', alert({ type: 'metrics_wait', title: 'waits', sourceIp: '198.18.0.20' }));
    expect(waiting.body.priority).toBe('P3');
    const [queued] = await stack.firstAssignments([waiting.body.incidentId]);
    expect(queued.assignee_id).toBeNull();
    // Then the stack settles: every incident's workflow past its start step (task, assignment, its
    // notices and playbooks recorded), and every outbox row and notice delivered.
    // The start steps first: what they record is then in the counts read after.
    const settled = async () => {
      const incidents = await stack.db.query<{ id: string }[]>(`SELECT id FROM incidents WHERE action <> 'batch'`);
      const started = await Promise.all(
        incidents.map((i) =>
          stack.status(i.id).then(
            (s) => s.taskId !== undefined,
            () => false, // not started yet
          ),
        ),
      );
      if (!started.every(Boolean)) return false;
      const [q] = await stack.db.query<{ outbox: number; notices: number }[]>(
        `SELECT (SELECT count(*)::int FROM outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL) AS outbox,
                (SELECT count(*)::int FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL) AS notices`,
      );
      return q.outbox === 0 && q.notices === 0;
    };
    await pollUntil(settled, (done) => done, { what: 'the workflows, the outbox and the notices to settle', timeoutMs: 60_000 });

    // Undelivered outbox rows (one an hour old) and a notice no dispatcher takes yet, and a dead letter: exact values to look for.
    const incidentId = randomUUID();
    const noticeKey = `metrics-test:${randomUUID()}`;
    await stack.db.query(
      `INSERT INTO outbox (incident_id, kind, payload, priority, created_at, available_at)
       VALUES ($1, 'alerts_changed', '{}', 'P1', now() - interval '1 hour', 'infinity'),
              ($1, 'alerts_changed', '{}', 'P2', now(), 'infinity'),
              ($1, 'alerts_changed', '{}', 'P2', now(), 'infinity')`,
      [incidentId],
    );
    await stack.db.query(
      `INSERT INTO outbox (incident_id, kind, payload, priority, failures, dead_lettered_at, available_at)
       VALUES ($1, 'alerts_changed', '{}', 'P4', 10, now(), 'infinity')`,
      [randomUUID()],
    );
    await stack.db.query(`INSERT INTO notifications (key, channel, kind, available_at) VALUES ($1, 'webhook', 'assigned', 'infinity')`, [
      noticeKey,
    ]);
    try {
      const parsed = await scrape();
      expect({
        outboxPending: byLabel(parsed, 'warden_outbox_pending', 'priority', PRIORITIES),
        deadLetters: value(parsed, 'warden_outbox_dead_letters'),
        lagOverAnHour: value(parsed, 'warden_outbox_lag_seconds')! >= 3600,
        queueDepth: byLabel(parsed, 'warden_assignment_queue_depth', 'priority', PRIORITIES),
        noticesPending: byLabel(parsed, 'warden_notices_pending', 'channel', CHANNELS),
        noticesFailed: byLabel(parsed, 'warden_notices_failed', 'channel', CHANNELS),
        databaseUp: value(parsed, 'warden_metrics_collector_up', { collector: 'database' }),
      }).toEqual({
        outboxPending: { P1: 1, P2: 2, P3: 0, P4: 0 },
        deadLetters: 1,
        lagOverAnHour: true,
        queueDepth: { P1: 0, P2: 0, P3: 1, P4: 0 },
        noticesPending: { log: 0, webhook: 1 },
        noticesFailed: { log: 0, webhook: 0 },
        databaseUp: 1,
      });
    } finally {
      await stack.db.query(`DELETE FROM outbox WHERE incident_id = $1 OR dead_lettered_at IS NOT NULL`, [incidentId]);
      await stack.db.query(`DELETE FROM notifications WHERE key = $1`, [noticeKey]);
    }
  });

  it("counts the incident and playbook-run workflows running on Warden's task queue from Temporal", async () => {
    // The stack's one playbook run: the malware playbook, held at its approval gate for 15 minutes.
    const res = await stack.ingest(
      'POST',
      '/v1/alerts',
      alert({
        source: 'metrics-playbook',
        type: 'malware',
        severity: 'medium',
        title: 'beacon',
        host: 'ws-metrics',
        sourceIp: '203.0.113.77',
      }),
    );
    expect(res.status).toBe(202);
    await pollUntil(
      () => stack.db.query(`SELECT id FROM approvals WHERE incident_id = $1 AND status = 'pending'`, [res.body.incidentId]),
      (rows) => rows.length === 1,
      { what: 'the playbook run to wait for its approval', timeoutMs: 30_000 },
    );
    const parsed = await pollUntil(
      scrape,
      (p) =>
        (value(p, 'warden_workflows_running', { workflow_type: 'incidentWorkflow' }) ?? 0) >= 1 &&
        (value(p, 'warden_workflows_running', { workflow_type: 'playbookRunWorkflow' }) ?? 0) >= 1,
      { what: 'running incident and playbook-run workflows in /metrics', timeoutMs: 30_000 },
    );
    expect({
      playbookRuns: value(parsed, 'warden_workflows_running', { workflow_type: 'playbookRunWorkflow' }),
      temporalUp: value(parsed, 'warden_metrics_collector_up', { collector: 'temporal' }),
    }).toEqual({ playbookRuns: 1, temporalUp: 1 });
  });

  it('serves the worker its own metrics: activities executed by type and notices delivered by channel', async () => {
    const url = stack.worker!.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const parsed = await pollUntil(
      () => scrape(url),
      (p) =>
        (value(p, 'warden_activity_executions_total', { activity_type: 'startIncident' }) ?? 0) >= 1 &&
        (value(p, 'warden_notices_delivered_total', { channel: 'webhook' }) ?? 0) >= 1,
      { what: 'startIncident and a webhook delivery in the worker metrics', timeoutMs: 30_000 },
    );
    expect(parsed.malformed).toEqual([]);
    expect(value(parsed, 'warden_ingest_alerts_total')).toBeUndefined();
  });

  it('answers at once with the last values while the database is down and Temporal does not answer', async () => {
    // Temporal that accepts connections and never says a word; the database through a proxy the test cuts.
    const held = new Set<Socket>();
    const silent: Server = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const db = new URL(stack.env.DATABASE_URL);
    const proxy = new TcpProxy(db.hostname, Number(db.port || 5432));
    await proxy.start();
    db.host = `127.0.0.1:${proxy.port}`;
    const api = await startApi({
      ...stack.env,
      DATABASE_URL: db.toString(),
      TEMPORAL_ADDRESS: `127.0.0.1:${(silent.address() as { port: number }).port}`,
      METRICS_TIMEOUT_SECONDS: 1,
      OUTBOX_DISPATCHER_ENABLED: false,
    });
    const timed = async () => {
      const started = performance.now();
      const parsed = await scrape(`${api.url}/metrics`);
      return { parsed, ms: performance.now() - started };
    };
    const deadLetter = randomUUID();
    try {
      const first = await timed();
      expect(value(first.parsed, 'warden_metrics_collector_up', { collector: 'database' })).toBe(1);
      expect(value(first.parsed, 'warden_metrics_collector_up', { collector: 'temporal' })).toBe(0);
      const deadLetters = value(first.parsed, 'warden_outbox_dead_letters');
      expect(deadLetters).toEqual(expect.any(Number));

      await stack.db.query(
        `INSERT INTO outbox (incident_id, kind, payload, priority, failures, dead_lettered_at, available_at)
         VALUES ($1, 'alerts_changed', '{}', 'P4', 10, now(), 'infinity')`,
        [deadLetter],
      );
      await proxy.stop();
      const down = await timed();
      expect(value(down.parsed, 'warden_metrics_collector_up', { collector: 'database' })).toBe(0);
      expect(value(down.parsed, 'warden_outbox_dead_letters')).toBe(deadLetters);
      expect(value(down.parsed, 'warden_metrics_collector_failures_total', { collector: 'database' })).toBeGreaterThanOrEqual(1);
      // Each read waits at most METRICS_TIMEOUT_SECONDS, side by side.
      expect(Math.max(first.ms, down.ms)).toBeLessThan(3000);
    } finally {
      await api.close();
      await proxy.stop();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await stack.db.query(`DELETE FROM outbox WHERE incident_id = $1`, [deadLetter]);
    }
  });

  it('requires the bearer token when METRICS_TOKEN is set, answering 401 problem+json otherwise', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const api = await startApi({ ...stack.env, METRICS_TOKEN: token, OUTBOX_DISPATCHER_ENABLED: false });
    try {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: token }];
      for (const headers of attempts) {
        const res = await send(`${api.url}/metrics`, { method: 'GET', headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(res.body.errors).toEqual([{ path: 'header:authorization', message: expect.any(String) }]);
        expect(res.text).not.toContain('warden_');
      }
      const ok = await send(`${api.url}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(parse(ok.text).malformed).toEqual([]);
    } finally {
      await api.close();
    }
  });
});
