import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey } from '../../src/auth/api-keys.service';
import { client, IngestApi, openIngestApi } from '../support/harness';
import { uniqueIp } from '../support/ips';

const fixtures = join(__dirname, '..', 'fixtures');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * Sources belong to keys (issue 22): the repeat key (source, externalId) is the sending API
 * key's, so another key cannot pre-empt a monitor's alerts by posting its ids first, and a key
 * bound to sources (`warden keys create --source`) may send only those.
 */
describe('API keys and alert sources', () => {
  let suite: IngestApi;

  beforeAll(async () => (suite = await openIngestApi()));
  afterAll(() => suite?.close());

  /** A real key in the test database, and a client that sends with it. */
  const newKey = async (name: string, sources?: string[]) => {
    const { id, key } = await createApiKey(suite.db, name, ['ingest'], undefined, sources);
    return { id, http: client(suite.api.url, key) };
  };
  const wazuhAlert = (over: Record<string, unknown> = {}) => ({
    source: 'wazuh',
    type: 'failed_login',
    severity: 'medium',
    title: 'sshd: authentication failed',
    externalId: `1709287200.${randomUUID()}`,
    sourceIp: uniqueIp(),
    ...over,
  });
  const storedFrom = (ip: string) =>
    suite.db.query(`SELECT count(*)::int AS n FROM alerts WHERE source_ip = $1`, [ip]).then(([r]: { n: number }[]) => r.n);

  describe("the repeat key (source, externalId) is the sending key's", () => {
    it("does not let another key pre-empt a monitor's alert by posting its source and externalId first", async () => {
      const monitor = await newKey('wazuh-manager');
      const intruder = await newKey('other-sensor');
      const real = wazuhAlert();
      // The intruder knows the guessable id, not the alert it will name.
      const planted = await intruder.http('POST', '/v1/alerts', { ...real, title: 'planted', sourceIp: uniqueIp() });
      const answer = await monitor.http('POST', '/v1/alerts', real);
      const stored = await suite.db.query(`SELECT api_key_id, title, status FROM alerts WHERE external_id = $1 ORDER BY received_at`, [
        real.externalId,
      ]);
      expect({ planted: planted.status, status: answer.status, body: answer.body, stored }).toEqual({
        planted: 202,
        status: 202,
        body: { alertId: expect.any(String), incidentId: expect.any(String), status: 'new', priority: expect.any(String) },
        stored: [
          { api_key_id: intruder.id, title: 'planted', status: 'new' },
          { api_key_id: monitor.id, title: real.title, status: 'new' },
        ],
      });
    });

    it('answers the same key sending the same source and externalId again as a repeat (200, the first result), storing it once', async () => {
      const monitor = await newKey('wazuh-repeat');
      const alert = wazuhAlert();
      const first = await monitor.http('POST', '/v1/alerts', alert);
      const again = await monitor.http('POST', '/v1/alerts', { ...alert, title: 'sent again' });
      expect({ status: again.status, body: again.body, stored: await storedFrom(alert.sourceIp) }).toEqual({
        status: 200,
        body: first.body,
        stored: 1,
      });
    });

    it('marks a batch item repeating the same key’s source and externalId as a repeat', async () => {
      const monitor = await newKey('wazuh-batch-repeat');
      const alert = wazuhAlert();
      const first = await monitor.http('POST', '/v1/alerts', alert);
      const batch = await monitor.http('POST', '/v1/alerts', [alert]);
      expect(batch.body.results).toEqual([
        {
          index: 0,
          status: 'new',
          alertId: first.body.alertId,
          incidentId: first.body.incidentId,
          priority: first.body.priority,
          repeat: true,
        },
      ]);
    });

    it("leaves a key's Alertmanager alert firing when another key sends its resolved notification, and resolves it on its own", async () => {
      const monitor = await newKey('alertmanager');
      const intruder = await newKey('alertmanager-intruder');
      const fingerprint = randomUUID();
      const webhook = (status: 'firing' | 'resolved') => ({
        version: '4',
        status,
        receiver: 'warden',
        alerts: [
          {
            status,
            labels: { alertname: 'SSHBruteForce', severity: 'critical', src_ip: uniqueIp() },
            annotations: { summary: 'SSH brute force' },
            startsAt: '2024-03-01T10:00:00.000Z',
            fingerprint,
          },
        ],
      });
      const fired = await monitor.http('POST', '/v1/alerts/alertmanager', webhook('firing'));
      const alertId = fired.body.results[0].alertId;
      const resolvedAt = async () => (await suite.db.query(`SELECT resolved_at FROM alerts WHERE id = $1`, [alertId]))[0].resolved_at;

      const foreign = await intruder.http('POST', '/v1/alerts/alertmanager', webhook('resolved'));
      const afterForeign = await resolvedAt();
      const own = await monitor.http('POST', '/v1/alerts/alertmanager', webhook('resolved'));
      expect({ foreign: foreign.body.results, afterForeign, own: own.body.results[0].alertId, afterOwn: await resolvedAt() }).toEqual({
        foreign: [{ index: 0, status: 'resolved' }],
        afterForeign: null,
        own: alertId,
        afterOwn: expect.any(Date),
      });
    });

    it('answers any key with an alert stored before keys were recorded, as before', async () => {
      const monitor = await newKey('wazuh-legacy');
      const other = await newKey('other-legacy');
      const alert = wazuhAlert();
      const first = await monitor.http('POST', '/v1/alerts', alert);
      // As the migration leaves every alert stored before it.
      await suite.db.query(`UPDATE alerts SET api_key_id = NULL WHERE id = $1`, [first.body.alertId]);
      const again = await other.http('POST', '/v1/alerts', alert);
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: first.body });
    });
  });

  describe('a key bound to sources', () => {
    /** What a refusal is judged by: its status, type and errors, and how many alerts from the request's address were stored. */
    const outcome = async (answer: { status: number; headers: Headers; body: { errors: unknown[] } }, ip: string) => ({
      status: answer.status,
      type: answer.headers.get('content-type'),
      errors: answer.body.errors,
      stored: await storedFrom(ip),
    });
    const refused = (...paths: string[]) => ({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      errors: paths.map((path) => ({ path, message: 'must be "wazuh", this API key\'s source' })),
      stored: 0,
    });

    it('refuses an alert of another source with 403 naming /source, storing nothing', async () => {
      const bound = await newKey('wazuh-only', ['wazuh']);
      const alert = wazuhAlert({ source: 'suricata' });
      const answer = await bound.http('POST', '/v1/alerts', alert);
      expect(await outcome(answer, alert.sourceIp)).toEqual(refused('/source'));
    });

    it('refuses a whole batch carrying another source, naming each such item, storing none of it', async () => {
      const bound = await newKey('wazuh-only-batch', ['wazuh']);
      const ip = uniqueIp();
      const alerts = [
        wazuhAlert({ sourceIp: ip }),
        wazuhAlert({ sourceIp: ip, source: 'falco' }),
        wazuhAlert({ sourceIp: ip, source: 'ids-1' }),
      ];
      const answer = await bound.http('POST', '/v1/alerts', { alerts });
      expect(await outcome(answer, ip)).toEqual(refused('/alerts/1/source', '/alerts/2/source'));
    });

    it("refuses a monitor's format whose normalized source is another, naming the record's /source", async () => {
      const bound = await newKey('wazuh-only-format', ['wazuh']);
      const [record] = readJson(join(fixtures, 'suricata', 'sample.json'));
      const ip = uniqueIp();
      const answer = await bound.http('POST', '/v1/alerts/suricata', [{ ...record, flow_id: Date.now(), src_ip: ip }]);
      expect(await outcome(answer, ip)).toEqual(refused('/0/source'));
    });

    it('accepts its own source, natively and through its format', async () => {
      const bound = await newKey('wazuh-only-ok', ['wazuh', 'ossec']);
      const [record] = readJson(join(fixtures, 'wazuh', 'alerts.json'));
      const ip = uniqueIp();
      const native = await bound.http('POST', '/v1/alerts', wazuhAlert({ sourceIp: ip }));
      const format = await bound.http('POST', '/v1/alerts/wazuh', [{ ...record, id: randomUUID(), data: { ...record.data, srcip: ip } }]);
      const stored = await suite.db.query(`SELECT source, api_key_id FROM alerts WHERE source_ip = $1 ORDER BY received_at`, [ip]);
      expect({ native: native.status, format: [format.status, format.body.rejected], stored }).toEqual({
        native: 202,
        format: [202, 0],
        stored: [
          { source: 'wazuh', api_key_id: bound.id },
          { source: 'wazuh', api_key_id: bound.id },
        ],
      });
    });
  });
});
