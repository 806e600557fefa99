import { randomInt, randomUUID } from 'node:crypto';
import { client, createKey, IngestApi, openIngestApi, untilFolded } from '../support/harness';
import { isolatedDatabase, testConfigDir } from '../support/isolated';

/** Random CJK text: three UTF-8 bytes a character, nine once URI-encoded in a correlation key. */
const cjk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(0x4e00 + randomInt(0x5000))).join('');

describe('hostile input', () => {
  let suite: IngestApi;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let config: ReturnType<typeof testConfigDir>;

  beforeAll(async () => {
    // A database of its own: the silence below applies to every alert stored there.
    database = await isolatedDatabase();
    config = testConfigDir({
      rules: (doc) => {
        doc.rules.unshift({ name: 'lateral', match: { type: 'lateral_movement' }, action: 'correlate', correlate_by: ['user', 'host'] });
      },
    });
    suite = await openIngestApi({ DATABASE_URL: database.url, WARDEN_CONFIG_DIR: config.dir });
  });
  afterAll(async () => {
    await suite?.close();
    await database?.drop();
    config?.remove();
  });

  const native = (over: Record<string, unknown> = {}) => ({
    source: 'ids-1',
    type: 'port_scan',
    severity: 'medium',
    title: 'scan',
    ...over,
  });

  describe('a (a+)+$ silence on the title', () => {
    const source = `hostile-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      const lead = client(suite.api.url, await createKey(suite.env, ['lead'], 'lead-key'));
      const created = await lead('POST', '/v1/silences', {
        matchers: [{ name: 'title', value: '(a+)+$', isRegex: true }],
        comment: 'a pattern that backtracks exponentially',
        durationSeconds: 3600,
      });
      expect(created.status).toBe(201);
    });

    it('lets ingest answer a 10 kB title (clipped to 1,000 characters), and an ordinary alert sent meanwhile', async () => {
      // ECS rule.name becomes the title, clipped to 999 a's and "…": a near miss a backtracking engine never finishes.
      const hostile = {
        '@timestamp': '2025-01-01T00:00:00Z',
        event: { category: ['intrusion_detection'], severity: 47 },
        rule: { name: 'a'.repeat(10_000) },
        observer: { product: source },
      };
      const [answer, ordinary] = await Promise.all([
        suite.http('POST', '/v1/alerts/ecs', hostile),
        suite.http('POST', '/v1/alerts', native({ source, title: 'ordinary' })),
      ]);
      expect(answer.status).toBe(202);
      expect(answer.body.results).toEqual([expect.objectContaining({ index: 0, status: 'new' })]);
      expect(ordinary.status).toBe(202);
      expect(ordinary.body.status).toBe('new');
      const [stored] = await suite.db.query(`SELECT title, status FROM alerts WHERE id = $1`, [answer.body.results[0].alertId]);
      expect(stored).toEqual({ title: 'a'.repeat(999) + '…', status: 'new' });
    });

    it('still silences a title the pattern matches, and stores a near miss of the longest title as new', async () => {
      const matched = await suite.http('POST', '/v1/alerts', native({ source, title: 'a'.repeat(1000) }));
      const nearMiss = await suite.http('POST', '/v1/alerts', native({ source, title: 'a'.repeat(999) + '!' }));
      expect([matched.status, matched.body.status]).toEqual([202, 'suppressed']);
      expect([nearMiss.status, nearMiss.body.status]).toEqual([202, 'new']);
    });

    it('refuses a silence pattern the linear-time engine cannot run, naming the field', async () => {
      const lead = client(suite.api.url, await createKey(suite.env, ['lead'], 'lead-key-2'));
      const refused = await lead('POST', '/v1/silences', {
        matchers: [{ name: 'title', value: '(a)\\1', isRegex: true }],
        durationSeconds: 60,
      });
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body.errors).toEqual([
        {
          path: '/matchers/0/value',
          message: 'is not a supported regular expression (RE2 syntax: no backreferences or lookaround): invalid escape sequence: `\\1`',
        },
      ]);
    });
  });

  it('opens an incident for a 4 kB correlation key, stores the whole key, and joins the next alert to it', async () => {
    const [user, host] = [cjk(200), cjk(255)];
    const key = `user=${encodeURIComponent(user)}|host=${encodeURIComponent(host)}`;
    expect(Buffer.byteLength(key)).toBeGreaterThan(4000);
    const first = await suite.http('POST', '/v1/alerts', native({ type: 'lateral_movement', user, host, title: 'first' }));
    const second = await suite.http('POST', '/v1/alerts', native({ type: 'lateral_movement', user, host, title: 'second' }));
    expect([first.status, first.body.status]).toEqual([202, 'new']);
    expect([second.status, second.body.status]).toEqual([202, 'new']);
    expect(second.body.incidentId).toBe(first.body.incidentId);
    await untilFolded(suite.db, [first.body.incidentId]);
    const [incident] = await suite.db.query(`SELECT correlation_key, alert_count FROM incidents WHERE id = $1`, [first.body.incidentId]);
    expect(incident).toEqual({ correlation_key: key, alert_count: 2 });
  });

  it('resolves X from an Alertmanager webhook carrying [firing X, resolved X]', async () => {
    const x = {
      labels: { alertname: 'PortScan', severity: 'warning', src_ip: '198.51.100.77' },
      annotations: { summary: 'Port scan from 198.51.100.77' },
      startsAt: '2025-01-01T00:00:00Z',
      fingerprint: randomUUID(),
    };
    const webhook = {
      version: '4',
      groupKey: '{}:{}',
      status: 'resolved',
      receiver: 'warden',
      alerts: [
        { ...x, status: 'firing', endsAt: '0001-01-01T00:00:00Z' },
        { ...x, status: 'resolved', endsAt: '2025-01-01T00:05:00Z' },
      ],
    };
    const answer = await suite.http('POST', '/v1/alerts/alertmanager', webhook);
    expect(answer.status).toBe(202);
    const [fired, resolved] = answer.body.results;
    expect(fired).toMatchObject({ index: 0, status: 'new' });
    expect(resolved).toMatchObject({ index: 1, status: 'resolved', alertId: fired.alertId });
    const [stored] = await suite.db.query(`SELECT resolved_at IS NOT NULL AS resolved FROM alerts WHERE id = $1`, [fired.alertId]);
    expect(stored).toEqual({ resolved: true });
  });

  describe('Idempotency-Key', () => {
    it('answers the same body again with the first result, and refuses another body with 422 naming the header', async () => {
      const key = { 'idempotency-key': randomUUID() };
      const title = `idem-${randomUUID()}`;
      const first = await suite.http('POST', '/v1/alerts', native({ title }), key);
      // Same alert, other whitespace and key order: the same body.
      const again = await suite.http(
        'POST',
        '/v1/alerts',
        JSON.stringify({ title, severity: 'medium', type: 'port_scan', source: 'ids-1' }, null, 2),
        {
          ...key,
          'content-type': 'application/json',
        },
      );
      const other = await suite.http('POST', '/v1/alerts', native({ title, severity: 'high' }), key);
      expect(first.status).toBe(202);
      expect([again.status, again.body]).toEqual([200, first.body]);
      expect(other.status).toBe(422);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(other.body.errors).toEqual([{ path: 'header:idempotency-key', message: 'was already used with a different body' }]);
      expect(await suite.db.query(`SELECT severity FROM alerts WHERE title = $1`, [title])).toEqual([{ severity: 'medium' }]);
    });

    it('refuses a batch sent again under its key with one item changed, storing nothing of it', async () => {
      const key = { 'idempotency-key': randomUUID() };
      const tag = `idem-batch-${randomUUID()}`;
      const batch = [native({ title: `${tag} a` }), native({ title: `${tag} b` })];
      expect((await suite.http('POST', '/v1/alerts', batch, key)).status).toBe(202);
      const changed = await suite.http('POST', '/v1/alerts', [batch[0], native({ title: `${tag} c` })], key);
      expect(changed.status).toBe(422);
      expect(changed.body.errors).toEqual([{ path: 'header:idempotency-key', message: 'was already used with a different body' }]);
      const titles = await suite.db.query(`SELECT title FROM alerts WHERE title LIKE $1 ORDER BY title`, [`${tag}%`]);
      expect(titles).toEqual([{ title: `${tag} a` }, { title: `${tag} b` }]);
    });
  });
});
