import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { SEVERITIES } from '../../src/domain';
import { canonicalIp, validateAlert } from '../../src/ingest/security-alert';
import { Answer, IngestApi, openIngestApi, RunningApi, send } from '../support/harness';
import { uniqueIp } from '../support/ips';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const FORMATS = ['suricata', 'alertmanager', 'wazuh', 'falco', 'ecs'] as const;
const ENDPOINTS = ['/v1/alerts', ...FORMATS.map((f) => `/v1/alerts/${f}`)];
const FIXTURES: Record<(typeof FORMATS)[number], string> = {
  suricata: 'suricata/sample.json',
  alertmanager: 'alertmanager/webhook.json',
  wazuh: 'wazuh/alerts.json',
  falco: 'falco/events.json',
  ecs: 'ecs/events.json',
};
const fixtureRecords = (format: (typeof FORMATS)[number]): Json[] => {
  const parsed = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', FIXTURES[format]), 'utf8')) as Json;
  return Array.isArray(parsed) ? parsed : [parsed];
};

const HTTP_RUNS = 150;

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

const noNul = (s: string) => !s.includes('\u0000');

/** Well-formed Unicode text of at most `max` UTF-16 code units (the unit zod's max counts). */
const text = (min: number, max: number) =>
  fc
    .oneof(
      fc.string({ minLength: min, maxLength: Math.min(max, 40) }),
      fc.string({ unit: 'binary', minLength: min, maxLength: Math.min(max, 40) }),
    )
    .filter((s) => s.length >= min && s.length <= max && noNul(s));

const isoNotInFuture = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date(), noInvalidDate: true })
  .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().replace('Z', '+00:00'), d.toISOString().replace(/\.\d{3}Z$/, 'Z')));

/** A valid native alert: every field within its rules. */
const validAlert = fc.record(
  {
    source: text(1, 200),
    type: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/),
    severity: fc.constantFrom(...SEVERITIES),
    title: text(1, 1000),
    externalId: text(1, 200),
    description: text(0, 10_000),
    sourceIp: fc.oneof(fc.ipV4(), fc.ipV6()),
    destinationIp: fc.oneof(fc.ipV4(), fc.ipV6()),
    user: text(1, 200),
    host: text(1, 255),
    occurredAt: isoNotInFuture,
    tags: fc.array(text(1, 100), { maxLength: 8 }),
    raw: fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
  },
  { requiredKeys: ['source', 'type', 'severity', 'title'] },
);

/** Values a field might be replaced with: anything at all, text of every kind, and edge cases. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    null,
    0,
    -1,
    1e308,
    true,
    [],
    {},
    'LOW',
    'critical ',
    '999.1.1.1',
    '::',
    '0x7f.1',
    '2999-01-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    'x'.repeat(1001),
    "'; DROP TABLE alerts; --",
    '<script>alert(1)</script>',
    '__proto__',
  ),
);

const FIELDS = [
  'source',
  'type',
  'severity',
  'title',
  'externalId',
  'description',
  'sourceIp',
  'destinationIp',
  'user',
  'host',
  'occurredAt',
  'tags',
  'raw',
];

/** A valid alert with some fields replaced, removed, or added (unknown names included). */
const mutatedAlert: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validAlert,
    // A third unchanged, so that plenty of them are stored.
    fc.oneof(
      { arbitrary: fc.constant([]), weight: 1 },
      {
        arbitrary: fc.array(
          fc.record({
            field: fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom('__proto__', 'constructor', 'alerts', 'extra'), fc.string()),
            op: fc.constantFrom('replace', 'replace', 'delete'),
            value: hostileValue,
          }),
          { minLength: 1, maxLength: 3 },
        ),
        weight: 2,
      },
    ),
  )
  .map(([base, mutations]) => {
    const alert: Record<string, unknown> = { ...base };
    for (const { field, op, value } of mutations) {
      if (op === 'delete') delete alert[field];
      // defineProperty, so "__proto__" becomes an own key as JSON.parse would make it
      else Object.defineProperty(alert, field, { value, enumerable: true, configurable: true, writable: true });
    }
    return alert;
  });

/** Every path into a JSON value, the root included. */
function pathsOf(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

/** A copy of `record` with some values, anywhere inside it, replaced or removed, or keys added. */
const mutatedRecord = (records: Json[]) =>
  fc
    .tuple(
      fc.constantFrom(...records),
      fc.array(
        fc.record({ pick: fc.nat(), op: fc.constantFrom('replace', 'replace', 'delete', 'add'), key: fc.string(), value: hostileValue }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    )
    .map(([record, mutations]) => {
      let root = structuredClone(record) as unknown;
      for (const { pick, op, key, value } of mutations) {
        const paths = pathsOf(root);
        const path = paths[pick % paths.length];
        if (path.length === 0) {
          if (op === 'replace') root = value;
          continue;
        }
        let parent = root as Record<string | number, unknown>;
        for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
        const last = path[path.length - 1];
        if (op === 'delete') {
          if (Array.isArray(parent)) parent.splice(last as number, 1);
          else delete parent[last];
        } else if (op === 'add') {
          const target = parent[last];
          if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
            Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
          }
        } else {
          parent[last] = value;
        }
      }
      return root;
    });

/** Serializes as a client would; undefined when JSON has no text for the value (undefined, functions). */
const serialize = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
};

/** One UTF-16 code unit of any kind, lone surrogates included (JSON can carry them as \ud800). */
const anyCodeUnit = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x20, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const illFormedString = fc.string({ unit: anyCodeUnit, minLength: 1, maxLength: 8 }).filter((s) => LONE_SURROGATE.test(s));

/** The most each text field holds (DESIGN.md and the README); longer is clipped, never refused. */
const LIMITS = { source: 200, type: 64, title: 1000, externalId: 200, description: 10_000, user: 200, host: 255 };

// ---------------------------------------------------------------------------
// (a) validateAlert, in process
// ---------------------------------------------------------------------------

describe('validateAlert (property-based)', () => {
  const anythingAtAll = fc.anything({
    maxDepth: 4,
    withBoxedValues: true,
    withNullPrototype: true,
    withSparseArray: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withTypedArray: true,
    withBigInt: true,
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'source', 'title', 'raw', 'tags')),
  });

  /**
   * When validateAlert says ok, every field is within its rules and came through unchanged,
   * except an over-long text field: clipped to its limit, the head of what was sent, and named
   * in a warning with its original length.
   */
  function expectFaithful(input: Record<string, unknown>, result: ReturnType<typeof validateAlert>): void {
    if (!result.ok) {
      expect(result.errors.length).toBeGreaterThan(0);
      return;
    }
    const { alert } = result;
    const { occurredAt, sourceIp, destinationIp, ...sent } = input;
    const rest: Record<string, unknown> = { ...sent };
    for (const [field, max] of Object.entries(LIMITS)) {
      const value = sent[field];
      if (typeof value !== 'string' || value.length <= max) continue;
      const kept = alert[field as keyof typeof LIMITS] ?? '';
      // Text ends in "…", an id in "…" and a digest; what comes before is the head of what was sent.
      const head = kept.replace(/…([0-9a-f]{32})?$/, '');
      expect([kept.length <= max, value.startsWith(head)]).toEqual([true, true]);
      expect(result.warnings).toContainEqual({
        path: `/${field}`,
        message: expect.stringMatching(`^clipped to ${max} characters \\(was ${value.length}\\)`),
      });
      rest[field] = kept;
    }
    // Addresses come back in their one canonical spelling; everything else verbatim.
    const ips = Object.fromEntries(
      Object.entries({ sourceIp, destinationIp })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, canonicalIp(v as string)]),
    );
    expect(alert).toEqual({ ...rest, ...ips, ...(occurredAt !== undefined ? { occurredAt: new Date(occurredAt as string) } : {}) });
    if (occurredAt !== undefined) expect(alert.occurredAt!.getTime()).toBe(Date.parse(occurredAt as string));
    for (const field of ['source', 'title', 'externalId', 'description', 'user', 'host'] as const) {
      const value = alert[field];
      if (value !== undefined) expect(noNul(value)).toBe(true);
    }
    expect(SEVERITIES).toContain(alert.severity);
    expect(alert.title.length).toBeGreaterThan(0);
    expect(alert.title.length).toBeLessThanOrEqual(1000);
    for (const ip of [alert.sourceIp, alert.destinationIp]) if (ip !== undefined) expect(isIP(ip)).not.toBe(0);
    if (alert.occurredAt) expect(alert.occurredAt.getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
  }

  it('never throws for any value and names errors by pointer under the prefix', () => {
    fc.assert(
      fc.property(anythingAtAll, fc.constantFrom('', '/alerts/3', '/0'), (input, prefix) => {
        const result = validateAlert(input, prefix);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) {
          expect(typeof e.path).toBe('string');
          expect(typeof e.message).toBe('string');
          expect(e.path.startsWith(prefix ? `${prefix}` : '/')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid alert and returns its fields unchanged', () => {
    fc.assert(
      fc.property(validAlert, (input) => {
        const result = validateAlert(input);
        if (!result.ok) throw new Error(`rejected a valid alert: ${JSON.stringify(result.errors)}`);
        expectFaithful(input, result);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws for a valid alert with fields replaced by anything, and is faithful when it accepts', () => {
    fc.assert(
      fc.property(mutatedAlert, (input) => {
        expectFaithful(input, validateAlert(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws when one field holds any value or any text', () => {
    const replacement = fc.oneof(anythingAtAll, fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: anyCodeUnit }));
    fc.assert(
      fc.property(validAlert, fc.constantFrom(...FIELDS), replacement, (base, field, value) => {
        expectFaithful({ ...base, [field]: value }, validateAlert({ ...base, [field]: value }));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// (b) Over real HTTP
// ---------------------------------------------------------------------------

describe('POST /v1/alerts and /v1/alerts/{format} (property-based, real HTTP)', () => {
  let api: RunningApi;
  let db: DataSource;
  let key: string;
  let suite: IngestApi;

  beforeAll(async () => ({ api, db, key } = suite = await openIngestApi()));
  afterAll(() => suite?.close());

  const post = (path: string, body: string | Uint8Array, contentType = 'application/json'): Promise<Answer> =>
    send(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body });

  /**
   * The contract for any input: never a 5xx; every error is problem+json; every
   * stored (or repeated) alert the answer names is really in the alerts table.
   */
  async function expectContract(res: Answer): Promise<void> {
    if (res.status >= 500) throw new Error(`answered ${res.status}: ${res.text.slice(0, 500)}`);
    if (res.status >= 400) {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status: res.status,
        errors: expect.any(Array),
      });
      return;
    }
    expect([200, 202]).toContain(res.status);
    const results: { status: string; alertId?: string }[] = Array.isArray(res.body?.results) ? res.body.results : [res.body];
    if (Array.isArray(res.body?.results)) {
      const { accepted, duplicates, suppressed, resolved, rejected } = res.body;
      expect(accepted + duplicates + suppressed + resolved + rejected).toBe(results.length);
    }
    const ids = [...new Set(results.map((r) => r.alertId).filter((id): id is string => typeof id === 'string'))];
    for (const r of results) if (r.status !== 'rejected' && r.status !== 'resolved') expect(typeof r.alertId).toBe('string');
    if (ids.length === 0) return;
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM alerts WHERE id = ANY($1::uuid[])`, [ids]);
    expect(n).toBe(ids.length);
  }

  const endpoint = fc.constantFrom(...ENDPOINTS);
  const run = <T>(property: fc.IAsyncProperty<T>) => fc.assert(property, { numRuns: HTTP_RUNS });

  it('keeps the contract for fc.json() bodies on every endpoint', async () => {
    await run(fc.asyncProperty(endpoint, fc.json({ maxDepth: 4 }), async (path, body) => expectContract(await post(path, body))));
  }, 120_000);

  it('keeps the contract for any serializable value on every endpoint', async () => {
    const body = fc
      .anything({
        maxDepth: 4,
        withBoxedValues: true,
        withSparseArray: true,
        withMap: true,
        withSet: true,
        withDate: true,
        withTypedArray: true,
        withNullPrototype: true,
      })
      .map(serialize)
      .filter((s): s is string => s !== undefined);
    await run(fc.asyncProperty(endpoint, body, async (path, text) => expectContract(await post(path, text))));
  }, 120_000);

  it('keeps the contract for alert-like objects with mutated fields, single, wrapped, as arrays and as NDJSON', async () => {
    const shaped = fc.oneof(
      mutatedAlert.map((a) => ({ text: serialize(a)!, type: 'application/json' })),
      fc.array(mutatedAlert, { maxLength: 6 }).map((list) => ({ text: serialize({ alerts: list })!, type: 'application/json' })),
      fc.array(mutatedAlert, { maxLength: 6 }).map((list) => ({ text: serialize(list)!, type: 'application/json' })),
      fc
        .array(mutatedAlert, { maxLength: 6 })
        .map((list) => ({ text: list.map((a) => serialize(a)).join('\n'), type: 'application/x-ndjson' })),
    );
    const mostlyNative = fc.oneof({ arbitrary: fc.constant('/v1/alerts'), weight: 5 }, { arbitrary: endpoint, weight: 1 });
    await run(fc.asyncProperty(mostlyNative, shaped, async (path, { text, type }) => expectContract(await post(path, text, type))));
  }, 120_000);

  it('keeps the contract for any address node:net accepts (zone ids included) and for near-addresses', async () => {
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.tuple(fc.ipV6(), fc.stringMatching(/^%[0-9a-zA-Z]{1,8}$/)).map(([ip, zone]) => ip + zone),
      fc.string({ maxLength: 20 }),
    );
    const [suricataRecord] = fixtureRecords('suricata') as Record<string, Json>[];
    const case_ = fc.oneof(
      fc
        .tuple(validAlert, address, fc.constantFrom('sourceIp', 'destinationIp'))
        .map(([a, ip, field]) => ({ path: '/v1/alerts', body: { ...a, [field]: ip } })),
      fc
        .tuple(address, fc.constantFrom('src_ip', 'dest_ip'))
        .map(([ip, field]) => ({ path: '/v1/alerts/suricata', body: { ...suricataRecord, [field]: ip } })),
    );
    await run(fc.asyncProperty(case_, async ({ path, body }) => expectContract(await post(path, JSON.stringify(body)))));
  }, 120_000);

  it('keeps the contract for random bytes and random text sent as JSON or NDJSON', async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: anyCodeUnit, maxLength: 200 }),
      // Nearly JSON: a valid alert's text with a few characters flipped.
      fc
        .tuple(validAlert, fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 2 })), { maxLength: 3 }))
        .map(([a, edits]) =>
          edits.reduce((s, [at, ch]) => s.slice(0, at % (s.length + 1)) + ch + s.slice((at % (s.length + 1)) + 1), JSON.stringify(a)),
        ),
    );
    const type = fc.constantFrom('application/json', 'application/x-ndjson', 'application/json; charset=utf-8');
    await run(
      fc.asyncProperty(endpoint, body, type, async (path, bytes, contentType) => expectContract(await post(path, bytes, contentType))),
    );
  }, 120_000);

  it('keeps the contract for arrays mixing valid alerts, mutated alerts, records of every format and junk', async () => {
    const item = fc.oneof(
      validAlert.map((a) => a as unknown),
      mutatedAlert,
      fc.constantFrom(...FORMATS.flatMap(fixtureRecords)),
      fc.anything({ maxDepth: 2 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.oneof(
      fc.array(item, { maxLength: 12 }).map((list) => serialize(list)),
      fc.array(item, { maxLength: 12 }).map((list) => serialize({ alerts: list })),
    );
    await run(
      fc.asyncProperty(
        endpoint,
        body.filter((s): s is string => s !== undefined),
        async (path, text) => expectContract(await post(path, text)),
      ),
    );
  }, 120_000);

  describe.each(FORMATS)('%s records with mutated values', (format) => {
    it('keep the contract', async () => {
      const records = fixtureRecords(format);
      const body = fc.oneof(
        mutatedRecord(records).map((r) => serialize(r)),
        fc.array(mutatedRecord(records), { minLength: 1, maxLength: 4 }).map((list) => serialize(list)),
      );
      await fc.assert(
        fc.asyncProperty(
          body.filter((s): s is string => s !== undefined),
          async (text) => expectContract(await post(`/v1/alerts/${format}`, text)),
        ),
        { numRuns: 100 },
      );
    }, 120_000);
  });

  it('keeps the contract when ill-formed UTF-16 (lone surrogates) reaches any string of an alert or a record', async () => {
    const sources = fc.oneof(
      validAlert.map((a) => ({ path: '/v1/alerts', record: a as unknown as Json })),
      ...FORMATS.map((format) => fc.constantFrom(...fixtureRecords(format)).map((record) => ({ path: `/v1/alerts/${format}`, record }))),
    );
    const case_ = fc.tuple(sources, fc.nat(), illFormedString).map(([{ path, record }, pick, bad]) => {
      // Replace one string (value or key) of the record with the ill-formed one.
      const clone = structuredClone(record) as unknown;
      const strings = pathsOf(clone).filter((p) => {
        let v = clone as any;
        for (const s of p) v = v[s];
        return typeof v === 'string';
      });
      if (strings.length > 0) {
        const target = strings[pick % strings.length];
        let parent = clone as any;
        for (const s of target.slice(0, -1)) parent = parent[s];
        parent[target[target.length - 1]] = bad;
      }
      return { path, text: JSON.stringify(clone) };
    });
    await run(fc.asyncProperty(case_, async ({ path, text }) => expectContract(await post(path, text))));
  }, 120_000);
  /** Text a database layer most often mangles: quotes, backslashes, escapes spelled out, control characters, astral and combining characters. */
  const tricky = (max: number) =>
    fc.oneof(
      text(1, max),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => s.length <= max),
      fc.constantFrom(
        `"double" and 'single' quotes`,
        'back\\slash \\\\ and \\n spelled out',
        '\\u0000 spelled out, not a NUL',
        "O'Brien'; DROP TABLE alerts; --",
        'line\nbreak\ttab\rreturn',
        '𝕏 🧨 é (combining) ﷺ ‮rtl',
      ),
    );

  it('stores exactly what it accepted: every text field and raw read back unchanged', async () => {
    const fields = fc.record({
      source: tricky(200),
      title: tricky(1000),
      user: tricky(200),
      host: tricky(255),
      description: fc.oneof(
        tricky(10_000),
        fc.string({ unit: 'grapheme', maxLength: 3000 }).filter((s) => s.length <= 10_000),
      ),
      tags: fc.array(tricky(100), { maxLength: 4 }),
      raw: fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
    });
    await run(
      fc.asyncProperty(fields, async (f) => {
        const sent = { ...f, type: 'fuzz', severity: 'low', externalId: randomUUID(), sourceIp: uniqueIp() };
        const res = await post('/v1/alerts', JSON.stringify(sent));
        expect(res.status).toBe(202);
        const [row] = await db.query(`SELECT source, title, "user", host, description, tags, raw FROM alerts WHERE id = $1`, [
          res.body.alertId,
        ]);
        // jsonb keeps numbers as numbers and -0 as 0; JSON.parse(JSON.stringify()) is what a client could have meant.
        expect(row).toEqual({ ...f, raw: JSON.parse(JSON.stringify(f.raw)) });
      }),
    );
  }, 120_000);

  it('refuses a NUL in any text field with 422 naming that field, and stores nothing', async () => {
    const TEXT_FIELDS = ['source', 'title', 'user', 'host', 'description', 'externalId'] as const;
    const withNul = fc
      .tuple(fc.constantFrom(...TEXT_FIELDS), text(0, 50), text(0, 50))
      .map(([field, before, after]) => ({ field, value: `${before}\u0000${after}` }));
    await run(
      fc.asyncProperty(withNul, async ({ field, value }) => {
        const sourceIp = uniqueIp();
        const sent = { source: 'fuzz', type: 'fuzz', severity: 'low', title: 'nul', externalId: randomUUID(), sourceIp, [field]: value };
        const res = await post('/v1/alerts', JSON.stringify(sent));
        const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM alerts WHERE source_ip = $1`, [sourceIp]);
        expect({ status: res.status, paths: (res.body.errors ?? []).map((e: { path: string }) => e.path), stored: n }).toEqual({
          status: 422,
          paths: [`/${field}`],
          stored: 0,
        });
      }),
    );
  }, 120_000);
});
