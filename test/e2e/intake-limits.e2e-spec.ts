import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { client, IngestApi, openIngestApi } from '../support/harness';
import { uniqueIp } from '../support/ips';

const fixtures = join(__dirname, '..', 'fixtures');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const MiB = 1024 * 1024;

/** The Alertmanager webhook with long kube-prometheus annotations, with fingerprints of its own so no other run repeats it. */
const longWebhook = (): Record<string, any> => {
  const webhook = readJson(join(fixtures, 'alertmanager', 'long-annotations.json'));
  for (const alert of webhook.alerts) alert.fingerprint = randomBytes(8).toString('hex');
  return webhook;
};

/**
 * Liberal intake: a monitor's over-long field is clipped with a warning, never refused
 * (DESIGN.md, "Hostile input"). Alertmanager drops a webhook answered 4xx, so a 5 kB
 * annotation must not cost the alert. Only a body over the 5 MiB limit is refused for size.
 */
describe('intake limits', () => {
  let db: DataSource;
  let http: ReturnType<typeof client>;
  let suite: IngestApi;

  beforeAll(async () => ({ db, http } = suite = await openIngestApi()));
  afterAll(() => suite?.close());

  const stored = async (id: string) => {
    const [row] = await db.query(`SELECT title, description, "user", host, tags, raw FROM alerts WHERE id = $1`, [id]);
    return row as { title: string; description: string | null; user: string | null; host: string | null; tags: string[]; raw: any };
  };

  describe('an Alertmanager webhook with a 5,037-character summary and a 15,131-character description', () => {
    const webhook = longWebhook();
    const { summary, description, runbook_url: runbook } = webhook.alerts[0].annotations;
    let answer: Awaited<ReturnType<typeof http>>;
    // The runbook line ("Runbook: " and the URL, after a newline) keeps its place within the 10,000.
    const clipped = [
      { path: '/alerts/0/annotations/summary', message: 'clipped to 1000 characters (was 5037)' },
      { path: '/alerts/0/annotations/description', message: `clipped to ${10_000 - 10 - runbook.length} characters (was 15131)` },
    ];

    beforeAll(async () => {
      answer = await http('POST', '/v1/alerts/alertmanager', webhook);
    });

    it('is accepted: 202, both alerts stored', () => {
      expect([answer.status, answer.body.accepted, answer.body.rejected]).toEqual([202, 2, 0]);
    });

    it('warns about each clipped annotation by its pointer and original length', () => {
      expect(answer.body.results[0].warnings).toEqual(clipped);
    });

    it('gives the alert of ordinary size beside it no warnings', () => {
      expect(answer.body.results[1]).not.toHaveProperty('warnings');
    });

    it('stores the title clipped to 1,000 characters, ending in "…"', async () => {
      const row = await stored(answer.body.results[0].alertId);
      expect(row.title).toBe(`${summary.slice(0, 999)}…`);
    });

    it('stores the description clipped to 10,000 characters with the runbook line whole', async () => {
      const row = await stored(answer.body.results[0].alertId);
      expect(row.description).toBe(`${description.slice(0, 10_000 - 10 - runbook.length - 1)}…\nRunbook: ${runbook}`);
    });

    it('keeps the whole annotations in the stored raw', async () => {
      const row = await stored(answer.body.results[0].alertId);
      expect(row.raw.alerts[0].annotations).toEqual({ summary, description, runbook_url: runbook });
    });

    it('answers the same warnings when Alertmanager sends the webhook again', async () => {
      const again = await http('POST', '/v1/alerts/alertmanager', webhook);
      expect([again.status, again.body.results.map((r: { repeat?: boolean; warnings?: unknown }) => [r.repeat, r.warnings])]).toEqual([
        202,
        [
          [true, clipped],
          [true, undefined],
        ],
      ]);
    });
  });

  it('accepts a 5,000-character summary with a warning naming it and its length', async () => {
    const webhook = longWebhook();
    webhook.alerts = [{ ...webhook.alerts[1], annotations: { ...webhook.alerts[1].annotations, summary: 's'.repeat(5000) } }];
    const res = await http('POST', '/v1/alerts/alertmanager', webhook);
    expect([res.status, res.body.results[0].warnings]).toEqual([
      202,
      [{ path: '/alerts/0/annotations/summary', message: 'clipped to 1000 characters (was 5000)' }],
    ]);
  });

  it('clips a long label to host and user, naming each label', async () => {
    const webhook = longWebhook();
    const watchdog = webhook.alerts[1];
    webhook.alerts = [{ ...watchdog, labels: { ...watchdog.labels, instance: `${'h'.repeat(300)}:9100`, user: 'u'.repeat(250) } }];
    const res = await http('POST', '/v1/alerts/alertmanager', webhook);
    const row = await stored(res.body.results[0].alertId);
    expect({ host: row.host, user: row.user, warnings: res.body.results[0].warnings }).toEqual({
      host: 'h'.repeat(255),
      user: 'u'.repeat(200),
      warnings: [
        { path: '/alerts/0/labels/user', message: 'clipped to 200 characters (was 250)' },
        { path: '/alerts/0/labels/instance', message: 'clipped to 255 characters (was 300)' },
      ],
    });
  });

  describe('the native format', () => {
    const native = (over: Record<string, unknown> = {}) => ({
      source: 'intake-limits',
      type: 'port_scan',
      severity: 'medium',
      title: 'Port scan',
      sourceIp: uniqueIp(),
      ...over,
    });

    it('answers a single alert with a 5,000-character title 202, its usual fields and the warning', async () => {
      const res = await http('POST', '/v1/alerts', native({ title: 't'.repeat(5000) }));
      expect({ status: res.status, keys: Object.keys(res.body).sort(), warnings: res.body.warnings }).toEqual({
        status: 202,
        keys: ['alertId', 'incidentId', 'priority', 'status', 'warnings'],
        warnings: [{ path: '/title', message: 'clipped to 1000 characters (was 5000)' }],
      });
    });

    it('stores that title clipped to 1,000 characters', async () => {
      const res = await http('POST', '/v1/alerts', native({ title: 'u'.repeat(5000) }));
      expect((await stored(res.body.alertId)).title).toBe(`${'u'.repeat(999)}…`);
    });

    it('answers an alert within every limit with exactly alertId, incidentId, status and priority', async () => {
      const res = await http('POST', '/v1/alerts', native());
      expect([res.status, Object.keys(res.body).sort()]).toEqual([202, ['alertId', 'incidentId', 'priority', 'status']]);
    });

    it('warns per batch item, by the item’s pointer', async () => {
      const res = await http('POST', '/v1/alerts', { alerts: [native(), native({ description: 'd'.repeat(12_000) })] });
      expect(res.body.results.map((r: { warnings?: unknown }) => r.warnings)).toEqual([
        undefined,
        [{ path: '/alerts/1/description', message: 'clipped to 10000 characters (was 12000)' }],
      ]);
    });

    it('still refuses what is wrong whatever the size: a long title with an unknown severity is 422 at /severity', async () => {
      const res = await http('POST', '/v1/alerts', native({ title: 't'.repeat(5000), severity: 'urgent' }));
      expect([res.status, res.body.errors]).toEqual([422, [{ path: '/severity', message: expect.any(String) }]]);
    });
  });

  describe('the body limit', () => {
    it('answers an Alertmanager webhook over 5 MiB (one enormous annotation) with 413 problem+json naming the body', async () => {
      const webhook = longWebhook();
      webhook.alerts[0].annotations.description = 'x'.repeat(5 * MiB);
      const res = await http('POST', '/v1/alerts/alertmanager', webhook);
      expect({ status: res.status, type: res.headers.get('content-type'), errors: res.body?.errors }).toEqual({
        status: 413,
        type: expect.stringMatching(/^application\/problem\+json/),
        errors: [{ path: '/', message: 'the body must be at most 5 MiB' }],
      });
    });

    it('accepts a webhook just under 5 MiB, its 4 MiB annotation whole in raw', async () => {
      const webhook = longWebhook();
      webhook.alerts = [webhook.alerts[0]];
      webhook.alerts[0].annotations.description = 'y'.repeat(4 * MiB);
      const res = await http('POST', '/v1/alerts/alertmanager', webhook);
      const row = await stored(res.body.results[0].alertId);
      expect([res.status, row.raw.alerts[0].annotations.description.length, row.description?.length]).toEqual([202, 4 * MiB, 10_000]);
    });
  });
});
