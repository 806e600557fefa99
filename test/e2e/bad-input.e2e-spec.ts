import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Answer, client, IngestApi, openIngestApi, RunningApi, send } from '../support/harness';
import { uniqueIp } from '../support/ips';

interface FieldError {
  path: string;
  message: string;
}

const fixtures = join(__dirname, '..', 'fixtures');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const MiB = 1024 * 1024;

/**
 * Hostile and malformed input against the real api: every error is problem+json
 * naming the field, nothing is a 500, and whatever was accepted is really stored.
 */
describe('bad input to POST /v1/alerts', () => {
  let api: RunningApi;
  let db: DataSource;
  let key: string;
  let http: ReturnType<typeof client>;
  let suite: IngestApi;

  // /health answers whether the api survived each bad body; a slow machine must not make its probes time out.
  beforeAll(async () => ({ api, db, key, http } = suite = await openIngestApi({ HEALTH_CHECK_TIMEOUT_SECONDS: '30' })));
  afterAll(() => suite?.close());

  let serial = 0;
  /** A valid alert; each call differs in source IP and title so nothing deduplicates by accident. */
  const alert = (over: Record<string, unknown> = {}) => ({
    source: 'bad-input',
    type: 'port_scan',
    severity: 'medium',
    title: `Port scan ${++serial}`,
    sourceIp: uniqueIp(),
    ...over,
  });

  /** Posts raw bytes or text with exactly the headers given (no content type unless one is named). */
  const post = (path: string, body: string | Uint8Array | undefined, headers: Record<string, string> = {}): Promise<Answer> =>
    send(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body });
  const postJson = (path: string, text: string) => post(path, text, { 'content-type': 'application/json' });

  const paths = (errors: FieldError[] | undefined) => (errors ?? []).map((e) => e.path);

  /** Fails with the answer's own text, so a 500 shows what the server said. */
  function expectStatus(res: Answer, ...allowed: number[]): void {
    if (!allowed.includes(res.status))
      throw new Error(`expected status ${allowed.join(' or ')}; got ${res.status} ${res.text.slice(0, 500)}`);
  }

  /** The answer is an RFC 9457 problem with the given status and, when named, an error at `path`. */
  function expectProblem(res: Answer, status: number, path?: string): void {
    expectStatus(res, status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      errors: expect.any(Array),
    });
    for (const error of res.body.errors) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    if (path !== undefined && !paths(res.body.errors).includes(path)) {
      throw new Error(`expected an error at ${path}; got ${res.status} ${res.text.slice(0, 500)}`);
    }
  }

  /** A 4xx problem, never a 500. */
  function expectClientError(res: Answer): void {
    if (res.status < 400 || res.status >= 500) throw new Error(`expected a 4xx; got ${res.status} ${res.text.slice(0, 500)}`);
    expectProblem(res, res.status);
  }

  const storedAlert = async (id: string) => {
    const [row] = await db.query(`SELECT title, description, "user", raw, tags FROM alerts WHERE id = $1`, [id]);
    return row as { title: string; description: string | null; user: string | null; raw: unknown; tags: string[] } | undefined;
  };

  const healthy = async () => (await fetch(`${api.url}/health`)).status;

  /** A valid Suricata EVE alert record with its own flow id and source IP. */
  const suricata = (over: Record<string, unknown> = {}, alertOver: Record<string, unknown> = {}) => {
    const [record] = readJson(join(fixtures, 'suricata', 'sample.json'));
    return { ...record, flow_id: Date.now() * 1000 + ++serial, src_ip: uniqueIp(), ...over, alert: { ...record.alert, ...alertOver } };
  };

  describe('bodies that are not an alert at all', () => {
    it.each([
      ['malformed JSON', '{"source":', 400],
      ['a truncated array', '[{"source":"x"}', 400],
      ['trailing garbage', '{"source":"x"} x', 400],
      ['an empty body', '', 400],
      ['a blank body', ' \r\n\t ', 400],
    ])('answers %s with a problem, never a 500', async (_what, text, status) => {
      expectProblem(await postJson('/v1/alerts', text), status, '/');
    });

    it.each([
      ['null', 'null'],
      ['a JSON string', '"an alert"'],
      ['a number', '42'],
      ['a boolean', 'true'],
    ])('answers %s with 422 at the root', async (_what, text) => {
      expectProblem(await postJson('/v1/alerts', text), 422, '/');
    });

    it('answers an empty batch with 422', async () => {
      expectProblem(await postJson('/v1/alerts', '[]'), 422, '/');
      expectProblem(await postJson('/v1/alerts', '{"alerts":[]}'), 422, '/alerts');
    });
  });

  describe('wrong types and values', () => {
    it.each([
      ['severity as a number', { severity: 3 }, '/severity'],
      ['tags as a string', { tags: 'x' }, '/tags'],
      ['title as an object', { title: {} }, '/title'],
      ['a tag that is not a string', { tags: ['ok', 7] }, '/tags/1'],
      ['an unknown severity', { severity: 'urgent' }, '/severity'],
      ['an upper-case severity', { severity: 'HIGH' }, '/severity'],
      ['an invalid IPv4 address', { sourceIp: '256.1.1.1' }, '/sourceIp'],
      ['an IPv4 address with a leading zero', { sourceIp: '10.01.1.1' }, '/sourceIp'],
      ['an IPv4 address with a CIDR suffix', { destinationIp: '10.0.0.0/8' }, '/destinationIp'],
      ['an invalid IPv6 address', { sourceIp: '2001:db8:::1' }, '/sourceIp'],
      ['an IPv6 address with too many groups', { destinationIp: '1:2:3:4:5:6:7:8:9' }, '/destinationIp'],
      ['a host name as the IP', { sourceIp: 'example.com' }, '/sourceIp'],
      ['occurredAt far in the future', { occurredAt: '2999-01-01T00:00:00Z' }, '/occurredAt'],
      ['occurredAt not ISO', { occurredAt: 'yesterday at noon' }, '/occurredAt'],
      ['occurredAt without a zone', { occurredAt: '2024-03-01T10:00:00' }, '/occurredAt'],
      ['occurredAt on February 30th', { occurredAt: '2024-02-30T10:00:00Z' }, '/occurredAt'],
      ['occurredAt as epoch millis', { occurredAt: 1709287200000 }, '/occurredAt'],
      ['a type with spaces', { type: 'Port Scan' }, '/type'],
      ['an empty source', { source: '' }, '/source'],
    ])('answers %s with 422 naming the field', async (_what, over, path) => {
      expectProblem(await http('POST', '/v1/alerts', alert(over)), 422, path);
    });

    it('answers a missing required field with 422 naming it', async () => {
      const { title: _title, ...noTitle } = alert();
      expectProblem(await http('POST', '/v1/alerts', noTitle), 422, '/title');
    });

    it('accepts the valid edge of each format', async () => {
      const res = await http(
        'POST',
        '/v1/alerts',
        alert({ sourceIp: '::ffff:192.0.2.1', destinationIp: '2001:db8::1', occurredAt: '2024-02-29T23:59:59.999+05:30' }),
      );
      expectStatus(res, 202);
    });
  });

  describe('size limits', () => {
    it('answers a body over 5 MiB with 413', async () => {
      const body = JSON.stringify(alert({ description: 'x'.repeat(5 * MiB) }));
      expectProblem(await postJson('/v1/alerts', body), 413);
      expect(await healthy()).toBeLessThan(500);
    });

    it('answers an NDJSON body over 5 MiB with 413', async () => {
      const line = JSON.stringify(alert({ description: 'y'.repeat(9000) }));
      const body = Array.from({ length: Math.ceil((5 * MiB) / line.length) + 1 }, () => line).join('\n');
      expectProblem(await post('/v1/alerts', body, { 'content-type': 'application/x-ndjson' }), 413);
    });

    it('answers 1,001 alerts with 413, as an array and wrapped', async () => {
      const alerts = Array.from({ length: 1001 }, () => alert());
      expectProblem(await http('POST', '/v1/alerts', alerts), 413, '/');
      expectProblem(await http('POST', '/v1/alerts', { alerts }), 413, '/alerts');
      const ndjson = alerts.map((a) => JSON.stringify(a)).join('\n');
      expectProblem(await post('/v1/alerts', ndjson, { 'content-type': 'application/x-ndjson' }), 413, '/');
    });

    // An over-long field is clipped with a warning, never refused (test/e2e/intake-limits.e2e-spec.ts has the rest).
    it('accepts a title of 1,001 characters, clipped to 1,000 with a warning at /title', async () => {
      const res = await http('POST', '/v1/alerts', alert({ title: 't'.repeat(1001) }));
      expectStatus(res, 202);
      expect(res.body.warnings).toEqual([{ path: '/title', message: 'clipped to 1000 characters (was 1001)' }]);
    });

    it('accepts a title of exactly 1,000 characters as it is, without warnings', async () => {
      const res = await http('POST', '/v1/alerts', alert({ title: 't'.repeat(1000) }));
      expectStatus(res, 202);
      expect([res.body.warnings, (await storedAlert(res.body.alertId))?.title]).toEqual([undefined, 't'.repeat(1000)]);
    });

    it('accepts a 4 MiB description, stored clipped to 10,000 characters', async () => {
      const res = await http('POST', '/v1/alerts', alert({ description: 'd'.repeat(4 * MiB) }));
      expectStatus(res, 202);
      expect((await storedAlert(res.body.alertId))?.description).toBe(`${'d'.repeat(9999)}…`);
    });

    it('keeps the first 50 of 51 tags and clips a 101-character tag, warning about both', async () => {
      const tags = [...Array.from({ length: 49 }, (_, i) => `t${i}`), 'x'.repeat(101), 'left-out'];
      const res = await http('POST', '/v1/alerts', alert({ tags }));
      expectStatus(res, 202);
      expect(res.body.warnings).toEqual([
        { path: '/tags', message: 'clipped to 50 tags (was 51)' },
        { path: '/tags/49', message: 'clipped to 100 characters (was 101)' },
      ]);
    });
  });

  describe('content types', () => {
    const body = () => JSON.stringify(alert());

    it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
      'answers %s with 415',
      async (type) => {
        expectProblem(await post('/v1/alerts', body(), { 'content-type': type }), 415);
      },
    );

    it('answers a JSON body without a content type with 415', async () => {
      expectProblem(await post('/v1/alerts', Buffer.from(body())), 415);
    });

    it('answers a request with neither body nor content type with a 4xx problem', async () => {
      expectClientError(await post('/v1/alerts', undefined));
    });

    it('accepts application/json with a charset', async () => {
      expect((await post('/v1/alerts', body(), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    });
  });

  describe('deep nesting', () => {
    const nested = (levels: number, leaf: unknown = 'leaf'): unknown => {
      let value = leaf;
      for (let i = 0; i < levels; i++) value = { level: value };
      return value;
    };

    it('answers raw nested 100 levels deep with 422 at /raw', async () => {
      expectProblem(await http('POST', '/v1/alerts', alert({ raw: nested(100) })), 422, '/raw');
    });

    it('accepts raw nested 32 levels deep and stores it whole', async () => {
      const raw = nested(31);
      const res = await http('POST', '/v1/alerts', alert({ raw }));
      expectStatus(res, 202);
      expect((await storedAlert(res.body.alertId))?.raw).toEqual(raw);
    });

    it('answers raw nested 100,000 levels deep (as JSON text) with 422 at /raw', async () => {
      const text = JSON.stringify(alert({ raw: 'HOLE' })).replace('"HOLE"', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
      expectProblem(await postJson('/v1/alerts', text), 422, '/raw');
    });

    it('answers a body of 100,000 nested arrays with a 4xx and keeps serving', async () => {
      const text = '['.repeat(100_000) + ']'.repeat(100_000);
      expectClientError(await postJson('/v1/alerts', text));
      expectClientError(await postJson('/v1/alerts/suricata', text));
      expectClientError(await post('/v1/alerts', text, { 'content-type': 'application/x-ndjson' }));
      expect(await healthy()).toBe(200);
    });

    it('answers a body of 100,000 nested objects with a 4xx and keeps serving', async () => {
      const text = '{"a":'.repeat(100_000) + 'null' + '}'.repeat(100_000);
      expectClientError(await postJson('/v1/alerts', text));
      for (const format of ['suricata', 'alertmanager', 'wazuh', 'falco', 'ecs'])
        expectClientError(await postJson(`/v1/alerts/${format}`, text));
      expect(await healthy()).toBe(200);
    });
  });

  describe('control characters', () => {
    it('accepts control characters other than NUL in the title and stores them verbatim', async () => {
      const title = `ctl \u0001\u001f\t\r\n\u007f\u0085\u2028 end ${++serial}`;
      const res = await http('POST', '/v1/alerts', alert({ title }));
      expectStatus(res, 202);
      expect((await storedAlert(res.body.alertId))?.title).toBe(title);
    });

    it('stores non-ASCII text verbatim: emoji, combining marks, right-to-left', async () => {
      const title = `🛡️ e\u0301 \u202Eevil\u202C 攻撃 ${++serial}`;
      const res = await http('POST', '/v1/alerts', alert({ title, tags: ['ä', '🔥'] }));
      expectStatus(res, 202);
      const row = await storedAlert(res.body.alertId);
      expect(row?.title).toBe(title);
      expect(row?.tags).toEqual(['ä', '🔥']);
    });

    it.each([
      ['the title', { title: 'a\u0000b' }, '/title'],
      ['the source', { source: 'ids\u0000' }, '/source'],
      ['the user', { user: '\u0000root' }, '/user'],
      ['the host', { host: 'web\u00001' }, '/host'],
      ['the description', { description: 'x\u0000' }, '/description'],
      ['the externalId', { externalId: 'e\u0000' }, '/externalId'],
      ['a tag', { tags: ['ok', 'a\u0000'] }, '/tags/1'],
      ['a value inside raw', { raw: { deep: [{ value: 'x\u0000y' }] } }, '/raw'],
      ['a key inside raw', { raw: { deep: { 'k\u0000': 1 } } }, '/raw'],
      ['raw itself', { raw: '\u0000' }, '/raw'],
    ])('answers a NUL in %s with 422 naming the field', async (_where, over, path) => {
      expectProblem(await http('POST', '/v1/alerts', alert(over)), 422, path);
    });

    it('answers a NUL in an unknown field name with 422', async () => {
      expectProblem(await http('POST', '/v1/alerts', { ...alert(), 'bad\u0000key': 1 }), 422);
    });
  });

  describe('SQL and HTML payloads', () => {
    it('stores them byte for byte and leaves the tables in place', async () => {
      const title = `'; DROP TABLE alerts; -- ${++serial}`;
      const user = "Robert'); DROP TABLE incidents;--";
      const description = '<script>alert(1)</script><img src=x onerror=alert(1)>';
      const raw = { q: "1' OR '1'='1", html: '</script><svg onload=alert(1)>', $where: '1=1; --' };
      const tags = ["'; DELETE FROM alerts; --", '{"a":1}', 'a,b', '\\', '"quoted"', 'NULL'];
      const res = await http('POST', '/v1/alerts', alert({ title, user, description, raw, tags, host: '"; DROP TABLE outbox; --' }));
      expectStatus(res, 202);

      const row = await storedAlert(res.body.alertId);
      expect(row).toEqual({ title, description, user, raw, tags });
      const [tables] = await db.query(
        `SELECT to_regclass('public.alerts') AS alerts, to_regclass('public.incidents') AS incidents, to_regclass('public.outbox') AS outbox`,
      );
      expect(tables).toEqual({ alerts: 'alerts', incidents: 'incidents', outbox: 'outbox' });
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM incidents WHERE id = $1`, [res.body.incidentId]);
      expect(n).toBe(1);
    });
  });

  describe('batches mixing good and bad items', () => {
    it('keeps the good items of a wrapped batch and names each bad one', async () => {
      const res = await http('POST', '/v1/alerts', {
        alerts: [
          alert(),
          alert({ severity: 3 }),
          alert(),
          alert({ sourceIp: '1.2.3' }),
          'not an alert',
          null,
          alert({ title: 'x'.repeat(1001) }),
        ],
      });
      expectStatus(res, 202);
      // The over-long title is clipped, not refused.
      expect(res.body).toMatchObject({ accepted: 3, rejected: 4 });
      const rejected = res.body.results.filter((r: { status: string }) => r.status === 'rejected');
      expect(rejected.map((r: { errors: FieldError[] }) => paths(r.errors))).toEqual([
        ['/alerts/1/severity'],
        ['/alerts/3/sourceIp'],
        ['/alerts/4'],
        ['/alerts/5'],
      ]);
      expect(paths(res.body.results[6].warnings)).toEqual(['/alerts/6/title']);
      const ids = res.body.results.filter((r: { alertId?: string }) => r.alertId).map((r: { alertId: string }) => r.alertId);
      expect(ids).toHaveLength(3);
      expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])`, [ids])).toEqual([{ n: 3 }]);
    });

    it('keeps the good items of a bare array and of NDJSON', async () => {
      const array = await http('POST', '/v1/alerts', [alert({ tags: 'x' }), alert()]);
      expectStatus(array, 202);
      expect(paths(array.body.results[0].errors)).toEqual(['/0/tags']);
      expect(array.body.results[1]).toMatchObject({ status: 'new', alertId: expect.any(String) });

      const ndjson = [
        JSON.stringify(alert()),
        '{"source":',
        '42',
        JSON.stringify(alert({ severity: 'nope' })),
        JSON.stringify(alert()),
      ].join('\n');
      const res = await post('/v1/alerts', ndjson, { 'content-type': 'application/x-ndjson' });
      expectStatus(res, 202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['new', 'rejected', 'rejected', 'rejected', 'new']);
      expect(paths(res.body.results[3].errors)).toEqual(['/3/severity']);
      const ids = [...array.body.results, ...res.body.results].filter((r) => r.alertId).map((r) => r.alertId);
      expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])`, [ids])).toEqual([{ n: 3 }]);
    });

    it('answers a batch of only bad items with 422 listing every error', async () => {
      const res = await http('POST', '/v1/alerts', { alerts: [alert({ severity: 'x' }), alert({ sourceIp: 'nope' })] });
      expectProblem(res, 422);
      expect(paths(res.body.errors)).toEqual(['/alerts/0/severity', '/alerts/1/sourceIp']);
      expect(res.body).toMatchObject({ accepted: 0, rejected: 2 });
    });
  });

  describe('prototype keys', () => {
    it.each([
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['constructor', '{"constructor":{"prototype":{"polluted":true}}}'],
      ['prototype', '{"prototype":{"polluted":true}}'],
    ])('answers a %s key with 422 unknown field and pollutes nothing', async (name, extra) => {
      const text = JSON.stringify(alert()).slice(0, -1) + ',' + extra.slice(1);
      const res = await postJson('/v1/alerts', text);
      expectProblem(res, 422, `/${name}`);
      expect(res.body.errors[0].message).toContain('unknown field');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await healthy()).toBe(200);
    });

    it('answers __proto__ inside a batch per item and still keeps the good item', async () => {
      const bad = JSON.stringify(alert()).slice(0, -1) + ',"__proto__":{"severity":"low"}}';
      const res = await postJson('/v1/alerts', `{"alerts":[${bad},${JSON.stringify(alert())}]}`);
      expectStatus(res, 202);
      expect(paths(res.body.results[0].errors)).toEqual(['/alerts/0/__proto__']);
      expect(res.body.results[1].status).toBe('new');
    });

    it('stores __proto__ and constructor keys inside raw as plain data', async () => {
      const text = JSON.stringify(alert({ raw: 'HOLE' })).replace('"HOLE"', '{"__proto__":{"admin":true},"constructor":"x"}');
      const res = await postJson('/v1/alerts', text);
      expectStatus(res, 202);
      expect(JSON.stringify((await storedAlert(res.body.alertId))?.raw)).toBe('{"__proto__":{"admin":true},"constructor":"x"}');
    });

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('answers the format name %s with 404', async (format) => {
      expectProblem(await http('POST', `/v1/alerts/${format}`, [alert()]), 404, 'path:format');
    });
  });

  describe('format endpoints', () => {
    it('rejects non-object records and a string alert.severity per item, keeping the good record', async () => {
      const res = await http('POST', '/v1/alerts/suricata', [
        suricata(),
        42,
        suricata({}, { severity: 'high' }),
        null,
        'eve',
        [suricata()],
      ]);
      expectStatus(res, 202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
        'new',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect(paths(res.body.results[2].errors)).toEqual(['/2/alert/severity']);
      for (const i of [1, 3, 4, 5]) expect(paths(res.body.results[i].errors)).toEqual([expect.stringMatching(new RegExp(`^/${i}/?$`))]);
      expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = $1`, [res.body.results[0].alertId])).toEqual([{ n: 1 }]);
    });

    it('answers 422 when every record is rejected', async () => {
      const res = await http('POST', '/v1/alerts/suricata', [42, suricata({}, { severity: 'high' })]);
      expectProblem(res, 422, '/1/alert/severity');
      expect(res.body.rejected).toBe(2);
    });

    it.each([
      ['null', 'null'],
      ['a number', '42'],
      ['a string', '"eve"'],
      ['an empty object', '{}'],
    ])('answers a single %s record with 422', async (_what, text) => {
      for (const format of ['suricata', 'alertmanager', 'wazuh', 'falco', 'ecs']) {
        const res = await postJson(`/v1/alerts/${format}`, text);
        expectProblem(res, 422);
        expect(res.body.errors.length).toBeGreaterThan(0);
      }
    });

    it.each(['suricata', 'alertmanager', 'wazuh', 'falco', 'ecs'])(
      'answers malformed JSON, text/plain and 1,001 records on %s with problems',
      async (format) => {
        expectProblem(await postJson(`/v1/alerts/${format}`, '{"source":'), 400, '/');
        expectProblem(
          await http(
            'POST',
            `/v1/alerts/${format}`,
            Array.from({ length: 1001 }, () => 1),
          ),
          413,
          '/',
        );
        expectProblem(await post(`/v1/alerts/${format}`, '{}', { 'content-type': 'text/plain' }), 415);
      },
    );

    it('answers wrong types inside Alertmanager, Wazuh, Falco and ECS records with their paths', async () => {
      const cases: [string, unknown, string][] = [
        [
          'alertmanager',
          { version: '4', alerts: [{ labels: { alertname: 'X', severity: 'critical' }, startsAt: 7 }] },
          '/alerts/0/startsAt',
        ],
        ['alertmanager', { version: '4', alerts: 'x' }, '/alerts'],
        ['wazuh', { rule: { id: '1', description: 'd', level: 'high' } }, '/rule/level'],
        ['falco', { rule: 'r', priority: 'Notice', tags: [1] }, '/tags/0'],
        ['ecs', { 'event.severity': 'x', message: 'm', event: { category: ['malware'] } }, '/event.severity'],
      ];
      for (const [format, record, path] of cases) {
        const res = await http('POST', `/v1/alerts/${format}`, record);
        expectProblem(res, 422, path);
      }
    });

    it('answers a NUL inside a Suricata record with 422 at /0/raw (the record, kept whole as raw)', async () => {
      const res = await http('POST', '/v1/alerts/suricata', [suricata({ payload_printable: 'a\u0000b' })]);
      expectProblem(res, 422, '/0/raw');
    });
  });

  // Regressions found while writing this suite; each names the contract it holds the api to.
  describe('known-bad input that must not reach the database unchecked', () => {
    it('names the field of a 413 ("/") and of a 415 ("header:content-type")', async () => {
      expectProblem(await postJson('/v1/alerts', JSON.stringify(alert({ description: 'x'.repeat(5 * MiB) }))), 413, '/');
      expectProblem(await post('/v1/alerts', JSON.stringify(alert()), { 'content-type': 'text/plain' }), 415, 'header:content-type');
      expectProblem(await post('/v1/alerts/suricata', Buffer.from('[]')), 415, 'header:content-type');
    });

    it('names a rejected non-object record of a format batch by its index alone ("/1", not "/1/")', async () => {
      const res = await http('POST', '/v1/alerts/suricata', [suricata(), 42]);
      expectStatus(res, 202);
      expect(paths(res.body.results[1].errors)).toEqual(['/1']);
    });

    it('refuses an IPv6 address with a zone index (fe80::1%eth0) with 422 naming /sourceIp', async () => {
      // node:net isIP accepts zone ids; PostgreSQL inet does not, and a zone means nothing off its host.
      expectProblem(await http('POST', '/v1/alerts', alert({ sourceIp: 'fe80::1%eth0' })), 422, '/sourceIp');
    });

    it('rejects the item with a lone UTF-16 surrogate inside raw, naming /1/raw, and keeps the rest of the batch', async () => {
      // JSON allows "\ud800"; PostgreSQL jsonb rejects it.
      const [first, last] = [alert(), alert()];
      const bad = JSON.stringify(alert({ raw: 'HOLE' })).replace('"HOLE"', '{"s":"\\ud800"}');
      const res = await postJson('/v1/alerts', `[${JSON.stringify(first)},${bad},${JSON.stringify(last)}]`);
      expectStatus(res, 202);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['new', 'rejected', 'new']);
      expect(paths(res.body.results[1].errors)).toEqual(['/1/raw']);
      const ids = [res.body.results[0].alertId, res.body.results[2].alertId];
      expect(await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])`, [ids])).toEqual([{ n: 2 }]);
    });

    it('refuses a Suricata record with a lone surrogate anywhere with 422 naming its raw record', async () => {
      const text = JSON.stringify([suricata({ payload_printable: 'HOLE' })]).replace('"HOLE"', '"\\udc00"');
      expectProblem(await postJson('/v1/alerts/suricata', text), 422, '/0/raw');
    });

    // How fast hostile sizes are answered is measured in bench/ingest.ts, not timed here.
    it('accepts a Falco event with a 60,000-letter rule name, the title clipped with a warning at /rule', async () => {
      const res = await http('POST', '/v1/alerts/falco', { rule: 'A'.repeat(60_000), priority: 'Notice', output: 'x' });
      expectStatus(res, 202);
      expect(res.body.results[0].warnings).toEqual([{ path: '/rule', message: 'clipped to 1000 characters (was 60000)' }]);
    });

    it('accepts a Suricata record with an 80,000-character signature, the title clipped with a warning', async () => {
      const res = await http('POST', '/v1/alerts/suricata', [suricata({}, { signature: 'DNS '.repeat(20_000), category: undefined })]);
      expectStatus(res, 202);
      expect(res.body.results[0].warnings).toEqual([{ path: '/0/alert/signature', message: 'clipped to 1000 characters (was 80000)' }]);
    });

    it('names multiple unknown fields each by its own JSON pointer, escaping "/" and "~"', async () => {
      const res = await http('POST', '/v1/alerts', { ...alert(), 'a/b': 1, 'c~d': 2 });
      expectProblem(res, 422);
      expect(paths(res.body.errors).sort()).toEqual(['/a~1b', '/c~0d']);
    });
  });
});
