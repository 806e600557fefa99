import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { correlationLock } from '../../src/correlation/engine';
import { advisoryLocksSql } from '../../src/database/locks';
import { advisoryLockKey } from '../../src/database/pg';
import { client, createKey, IngestApi, openIngestApi, pollUntil, untilFolded } from '../support/harness';
import { uniqueIp } from '../support/ips';

describe('dedup and correlation (default rules)', () => {
  let db: DataSource;
  let http: ReturnType<typeof client>;
  let lead: ReturnType<typeof client>;
  let suite: IngestApi;

  beforeAll(async () => {
    ({ db, http } = suite = await openIngestApi());
    lead = client(suite.api.url, await createKey(suite.env, ['lead'], 'lead-key'));
  });
  afterAll(() => suite?.close());

  const post = async (body: Record<string, unknown>) => {
    const res = await http('POST', '/v1/alerts', { source: 'ids-1', type: 'port_scan', severity: 'medium', title: 'Port scan', ...body });
    expect(res.status).toBe(202);
    return res.body as { alertId: string; incidentId: string | null; status: string; priority: string };
  };
  const incident = async (id: string) => (await db.query('SELECT * FROM incidents WHERE id = $1', [id]))[0];
  const outbox = async (incidentId: string) =>
    (await db.query('SELECT kind, payload FROM outbox WHERE incident_id = $1 ORDER BY id', [incidentId])) as {
      kind: string;
      payload: any;
    }[];

  it('collapses repeats inside the dedup window into the first alert, storing every raw alert and signalling only at a count milestone', async () => {
    const sourceIp = uniqueIp();
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await post({ sourceIp }));
    expect(results.map((r) => r.status)).toEqual(['new', ...Array(19).fill('duplicate')]);
    const incidentId = results[0].incidentId!;
    expect(new Set(results.map((r) => r.incidentId))).toEqual(new Set([incidentId]));

    const [first] = await db.query('SELECT occurrence_count FROM alerts WHERE id = $1', [results[0].alertId]);
    expect(first.occurrence_count).toBe(20);
    expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE source_ip = $1`, [sourceIp])).toEqual([{ n: 20 }]);
    await untilFolded(db, [incidentId]);
    expect((await incident(incidentId)).alert_count).toBe(20);
    const signals = await outbox(incidentId);
    expect(signals.map((o) => [o.kind, o.payload.changes?.countMilestone])).toEqual([
      ['incident_opened', undefined],
      ['alerts_changed', 10],
    ]);
  });

  it('treats a repeat after the dedup window as a new alert of the same incident', async () => {
    const sourceIp = uniqueIp();
    const first = await post({ sourceIp });
    await db.query(`UPDATE alerts SET last_seen_at = now() - interval '6 minutes' WHERE id = $1`, [first.alertId]);
    const again = await post({ sourceIp });
    expect(again).toMatchObject({ status: 'new', incidentId: first.incidentId });
  });

  it('joins alerts with the same correlation key, keeping the highest severity, distinct types and the counts', async () => {
    const sourceIp = uniqueIp();
    const a = await post({ sourceIp, type: 'port_scan', severity: 'medium' });
    const b = await post({ sourceIp, type: 'recon', severity: 'medium', title: 'Info leak' });
    const c = await post({ sourceIp, type: 'web_attack', severity: 'high', title: 'XSS' });
    const d = await post({ sourceIp, type: 'recon', severity: 'medium', title: 'Info leak 2' });
    expect(new Set([a, b, c, d].map((r) => r.incidentId)).size).toBe(1);
    expect([a, b, c, d].map((r) => r.priority)).toEqual(['P3', 'P3', 'P2', 'P2']);

    await untilFolded(db, [a.incidentId!]);
    const row = await incident(a.incidentId!);
    expect(row).toMatchObject({
      severity: 'high',
      priority: 'P2',
      alert_count: 4,
      types: ['port_scan', 'recon', 'web_attack'],
      source_ip: sourceIp,
    });
    expect(row.first_seen_at.getTime()).toBeLessThanOrEqual(row.last_seen_at.getTime());
    // New types and the severity rise notify the workflow; the repeat of a known type does not.
    const changes = await outbox(a.incidentId!);
    expect(changes.map((o) => o.kind)).toEqual(['incident_opened', 'alerts_changed', 'alerts_changed']);
    expect(changes[2].payload).toMatchObject({ severity: 'high', priority: 'P2', changes: { severityRose: true, newType: true } });
  });

  it('opens a new incident once the open one has been quiet longer than the correlation window', async () => {
    const sourceIp = uniqueIp();
    const first = await post({ sourceIp });
    await db.query(`UPDATE incidents SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, [first.incidentId]);
    const next = await post({ sourceIp, type: 'recon', title: 'other' });
    expect(next.status).toBe('new');
    expect(next.incidentId).not.toBe(first.incidentId);
    expect((await incident(first.incidentId!)).correlation_closed_at).not.toBeNull();
  });

  it('gives every critical alert an incident of its own at P1 (immediate)', async () => {
    const sourceIp = uniqueIp();
    const a = await post({ sourceIp, severity: 'critical', type: 'malware', title: 'Ransomware' });
    const b = await post({ sourceIp, severity: 'critical', type: 'c2_beacon', title: 'Beacon' });
    expect(a.priority).toBe('P1');
    expect(a.incidentId).not.toBe(b.incidentId);
    expect((await incident(a.incidentId!)).assign_role).toBe('team_lead');
  });

  it('raises the priority when failed logins from one IP reach the burst threshold', async () => {
    const sourceIp = uniqueIp();
    const results = [];
    for (let i = 0; i < 10; i++)
      results.push(
        await post({ sourceIp, type: 'failed_login', severity: 'medium', title: `login failed for user${i}`, user: `user${i}` }),
      );
    expect(results.slice(0, 9).every((r) => r.priority === 'P3')).toBe(true);
    expect(results[9].priority).toBe('P2');
    await untilFolded(db, [results[0].incidentId!]);
    const row = await incident(results[0].incidentId!);
    // The burst rule raised the priority, so it now owns the incident.
    expect(row).toMatchObject({ alert_count: 10, priority: 'P2', rule: 'failed-login-burst', assign_role: 'analyst' });
    // The tenth alert raises the priority; the fold that counts it then passes the milestone of 10.
    await pollUntil(
      () => outbox(row.id),
      (rows) => rows.length === 3,
      { what: 'the milestone signal' },
    );
    expect(
      (await outbox(row.id)).map((o) => [o.payload.priority, o.payload.changes?.priorityRose, o.payload.changes?.countMilestone]),
    ).toEqual([
      ['P3', undefined, undefined],
      ['P2', true, false],
      ['P2', false, 10],
    ]);
  });

  it('never lets an alert join an incident as it is resolved: the join waits for the resolve and opens a new incident', async () => {
    const sourceIp = uniqueIp();
    const first = await post({ sourceIp });
    // A plain join first: this api then knows the key as one that alerts merely join.
    expect((await post({ sourceIp, title: 'joins' })).incidentId).toBe(first.incidentId);
    // What a resolve does (incidents.service.ts): the incident's correlation lock alone, then closed for correlation.
    const resolver = db.createQueryRunner();
    await resolver.connect();
    try {
      await resolver.startTransaction();
      await resolver.query(advisoryLocksSql([correlationLock(`sourceIp=${sourceIp}`)]));
      await resolver.query(`UPDATE incidents SET status = 'resolved', resolved_at = now(), correlation_closed_at = now() WHERE id = $1`, [
        first.incidentId,
      ]);
      const joining = post({ sourceIp, title: 'arrives during the resolve' });
      const key = advisoryLockKey(correlationLock(`sourceIp=${sourceIp}`));
      await pollUntil(
        () =>
          db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'advisory' AND strpos(query, $1) > 0`, [`(${key})`]),
        ([w]) => w.n === 1,
        { what: 'the joining alert to wait on the correlation lock' },
      );
      await resolver.commitTransaction();
      const joined = await joining;
      expect([joined.status, joined.incidentId === first.incidentId]).toEqual(['new', false]);
    } finally {
      await resolver.release();
    }
  });

  it('counts each alert of a retried, partly stored batch once toward a threshold', async () => {
    const sourceIp = uniqueIp();
    const login = (n: number) => ({
      source: 'ids-1',
      type: 'failed_login',
      severity: 'medium',
      title: `login failed for user${n}`,
      user: `user${n}`,
      sourceIp,
      externalId: `${sourceIp}-login-${n}`,
    });
    // The first attempt stored six; the retry carries all ten.
    expect((await http('POST', '/v1/alerts', [1, 2, 3, 4, 5, 6].map(login))).status).toBe(202);
    const retry = await http('POST', '/v1/alerts', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(login));
    expect(retry.body.results.map((r: { repeat?: boolean; priority: string }) => [r.repeat ?? false, r.priority])).toEqual([
      ...Array(6).fill([true, 'P3']),
      [false, 'P3'],
      [false, 'P3'],
      [false, 'P3'],
      [false, 'P2'],
    ]);
  });

  it('batches low-severity alerts without starting a workflow', async () => {
    const res = await post({ sourceIp: uniqueIp(), severity: 'low', type: 'policy', title: 'Low noise' });
    expect(res.priority).toBe('P4');
    expect((await incident(res.incidentId!)).action).toBe('batch');
    expect(await outbox(res.incidentId!)).toEqual([]);
  });

  describe('silences', () => {
    it('suppress matching alerts until expired, counting them', async () => {
      const sourceIp = uniqueIp();
      const created = await lead('POST', '/v1/silences', {
        matchers: [
          { name: 'sourceIp', value: sourceIp },
          { name: 'type', value: 'port_.*', isRegex: true },
        ],
        comment: 'pen test',
        durationSeconds: 3600,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ state: 'active', suppressedCount: 0, createdBy: 'key:lead-key' });

      const silenced = await post({ sourceIp });
      expect(silenced).toMatchObject({ status: 'suppressed', incidentId: null });
      expect((await post({ sourceIp, type: 'malware', title: 'other type' })).status).toBe('new');

      const listed = await lead('GET', '/v1/silences');
      expect(listed.body.items.find((s: { id: string }) => s.id === created.body.id)).toMatchObject({ suppressedCount: 1 });

      const expired = await lead('DELETE', `/v1/silences/${created.body.id}`);
      expect(expired.body.state).toBe('expired');
      expect((await post({ sourceIp, title: 'after expiry' })).status).toBe('new');
    });

    it('reject a bad silence naming the field', async () => {
      const res = await lead('POST', '/v1/silences', { matchers: [{ name: 'colour', value: 'x' }], durationSeconds: 60 });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].path).toBe('/matchers/0/name');
      const regex = await lead('POST', '/v1/silences', { matchers: [{ name: 'type', value: '(', isRegex: true }], durationSeconds: 60 });
      expect(regex.body.errors[0]).toMatchObject({ path: '/matchers/0/value', message: expect.stringContaining('regular expression') });
      expect((await lead('DELETE', `/v1/silences/${randomUUID()}`)).status).toBe(404);
    });

    it('need an analyst key', async () => {
      expect((await http('GET', '/v1/silences')).status).toBe(403);
    });
  });
});
