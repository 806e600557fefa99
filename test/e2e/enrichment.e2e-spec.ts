import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, send } from '../support/harness';
import { alert, startStack, type Stack } from '../support/stack';

// Enrichment in the ingest path: ATT&CK from the payload (Suricata metadata, Wazuh rule.mitre,
// a revoked id in the tags), a MISP feed raising priority, assets deciding it through the
// shipped urgency matrix, and an intel list refreshed without a restart.

const fixtures = join(__dirname, '..', 'fixtures');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const LOCKY = '5721c2e4-05ec-4af3-9264-411b950d210f';
/** An ip-dst of the Locky event (to_ids) in the MISP feed fixture. */
const LOCKY_IP = '50.6.80.163';
const ADDED_IP = '45.33.32.77';
const EXPIRING_IP = '45.33.32.78';

const rollingCsv = (rows: [string, string][]) => `indicator,valid_until\n${rows.map((r) => r.join(',')).join('\n')}\n`;

describe('enrichment at ingest', () => {
  let stack: Stack;
  let read: Awaited<ReturnType<Stack['as']>>;

  beforeAll(async () => {
    stack = await startStack({
      name: 'enrichment',
      // gen.one knows port scans; pay.one is in the team that owns pay-db-01.
      assignment: (doc) =>
        Object.assign(doc, {
          teams: [{ name: 'payments' }, { name: 'net' }],
          analysts: [
            { id: 'gen.one', name: 'Gen One', role: 'analyst', team: 'net', capacity: 5, expertise: ['port_scan'] },
            { id: 'pay.one', name: 'Pay One', role: 'analyst', team: 'payments', capacity: 5 },
            { id: 'lead.one', name: 'Lead One', role: 'team_lead', capacity: 0 },
          ],
          on_call: { rotations: [], overrides: [] },
        }),
      rules: (doc) => {
        // The shipped urgency matrix stays; no rule fixes a priority.
        doc.rules = [
          { name: 'remote-services', match: { technique: 'T1021' }, action: 'immediate' },
          { name: 'everything', match: {}, action: 'immediate' },
        ];
      },
      files: {
        'assets.yaml': [
          'hosts:',
          '  - { name: pay-db-01, criticality: critical, owner: dba, team: payments }',
          '  - { name: test-vm-07, criticality: low, team: lab }',
        ].join('\n'),
        'intel.yaml': [
          'lists:',
          `  - { name: circl-locky, format: misp, file: ${JSON.stringify(join(fixtures, 'intel', 'misp-feed'))}, confidence: 80 }`,
          '  - name: rolling',
          '    format: csv',
          '    file: rolling.csv',
          '    refresh: 1s',
          '    csv: { header: true, column: indicator, valid_until_column: valid_until }',
        ].join('\n'),
        'rolling.csv': rollingCsv([[EXPIRING_IP, '2999-01-01T00:00:00Z']]),
      },
    });
    read = await stack.as(null, ['lead']);
  });
  afterAll(async () => stack?.close());

  const post = async (path: string, body: unknown) => {
    const res = await stack.ingest('POST', path, body);
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
    // A single alert is answered on its own; a batch (the formats) item by item.
    return (res.body.results?.[0] ?? res.body) as { alertId: string; incidentId: string; priority: string };
  };
  const incident = async (id: string) => {
    const res = await read('GET', `/v1/incidents/${id}`);
    if (res.status !== 200) throw new Error(`GET incident answered ${res.status}: ${res.text}`);
    return res.body;
  };
  const storedIntel = async (alertId: string): Promise<string[]> =>
    (await stack.db.query(`SELECT enrichment FROM alerts WHERE id = $1`, [alertId]))[0].enrichment.intel.map(
      (h: { list: string; indicator: string }) => `${h.list}:${h.indicator}`,
    );

  it('shows the techniques and tactics of a Suricata alert with ATT&CK metadata', async () => {
    const record = { ...readJson(join(fixtures, 'suricata', 'attack-metadata.json')), flow_id: randomInt(1, 2 ** 40) };
    const view = await incident((await post('/v1/alerts/suricata', [record])).incidentId);
    const e = view.alerts[0].enrichment;
    expect([e.techniques.map((t: { id: string }) => t.id), e.tactics.map((t: { id: string }) => t.id)]).toEqual([['T1190'], ['TA0001']]);
  });

  it('shows the techniques and tactics of a Wazuh alert with rule.mitre, rolled up on the incident', async () => {
    const [record] = readJson(join(fixtures, 'wazuh', 'alerts.json'));
    const view = await incident((await post('/v1/alerts/wazuh', [{ ...record, id: `${record.id}-${randomUUID()}` }])).incidentId);
    expect({
      // T1110 comes from config/attack.yaml's entry for the alert's type (failed_login).
      techniques: view.enrichment.techniques.map((t: { id: string }) => t.id),
      tactics: view.enrichment.tactics.map((t: { shortname: string }) => t.shortname),
    }).toEqual({ techniques: ['T1110.001', 'T1021.004', 'T1110'], tactics: ['credential-access', 'lateral-movement'] });
  });

  it('lets a rule match on a technique through its sub-technique (T1021 takes T1021.004)', async () => {
    const [record] = readJson(join(fixtures, 'wazuh', 'alerts.json'));
    const view = await incident((await post('/v1/alerts/wazuh', [{ ...record, id: `${record.id}-${randomUUID()}` }])).incidentId);
    expect(view.rule).toBe('remote-services');
  });

  it('shows a revoked technique as its replacement', async () => {
    const view = await incident(
      (await post('/v1/alerts', alert({ host: 'ws-12', title: `revoked ${randomUUID()}`, tags: ['T1086'] }))).incidentId,
    );
    // port_scan's own technique (config/attack.yaml) follows the payload's.
    expect(view.alerts[0].enrichment.techniques[0]).toMatchObject({ id: 'T1059.001', replaces: 'T1086', origin: 'payload' });
  });

  it('raises an alert from an address on a loaded MISP feed by the intel step (medium: P3 to P2)', async () => {
    const result = await post('/v1/alerts', alert({ severity: 'medium', sourceIp: LOCKY_IP, title: `locky ${randomUUID()}` }));
    expect(result.priority).toBe('P2');
  });

  it('shows the MISP event the address matched', async () => {
    const result = await post('/v1/alerts', alert({ severity: 'medium', sourceIp: LOCKY_IP, title: `locky ${randomUUID()}` }));
    const view = await incident(result.incidentId);
    expect(view.enrichment.intel).toEqual([
      {
        list: 'circl-locky',
        indicator: LOCKY_IP,
        confidence: 80,
        ref: expect.objectContaining({ type: 'misp', event: LOCKY }),
        alerts: 1,
      },
    ]);
  });

  it('gives a critical alert on a critical asset P1', async () => {
    const result = await post('/v1/alerts', alert({ severity: 'critical', host: 'pay-db-01', title: `crit ${randomUUID()}` }));
    expect((await incident(result.incidentId)).priority).toBe('P1');
  });

  it('gives the same critical alert on a low asset P3', async () => {
    const result = await post('/v1/alerts', alert({ severity: 'critical', host: 'test-vm-07', title: `crit ${randomUUID()}` }));
    expect((await incident(result.incidentId)).priority).toBe('P3');
  });

  it("gives the task to the team owning the alert's asset", async () => {
    const result = await post(
      '/v1/alerts',
      alert({ type: 'port_scan', severity: 'high', host: 'pay-db-01', title: `own ${randomUUID()}` }),
    );
    expect((await stack.task(result.incidentId, (t) => t.assignee_id !== null, 'assigned task')).assignee_id).toBe('pay.one');
  });

  it('adds and expires indicators of a refreshed list without a restart', async () => {
    const path = join(stack.env.WARDEN_CONFIG_DIR, 'rolling.csv');
    const before = await storedIntel((await post('/v1/alerts', alert({ sourceIp: EXPIRING_IP, title: `roll ${randomUUID()}` }))).alertId);
    // Written aside and renamed, so a refresh never reads half a file.
    writeFileSync(
      `${path}.new`,
      rollingCsv([
        [EXPIRING_IP, '2000-01-01T00:00:00Z'],
        [ADDED_IP, '2999-01-01T00:00:00Z'],
      ]),
    );
    renameSync(`${path}.new`, path);
    await pollUntil(
      async () => storedIntel((await post('/v1/alerts', alert({ sourceIp: ADDED_IP, title: `roll ${randomUUID()}` }))).alertId),
      (hits) => hits.length > 0,
      { what: 'the added indicator to match', timeoutMs: 20_000, intervalMs: 250 },
    );
    const after = await storedIntel((await post('/v1/alerts', alert({ sourceIp: EXPIRING_IP, title: `roll ${randomUUID()}` }))).alertId);
    expect({ before, after }).toEqual({ before: [`rolling:${EXPIRING_IP}`], after: [] });
  });

  it("shows each list's indicators and loads in /metrics", async () => {
    const res = await send(`${stack.api.url}/metrics`, { method: 'GET' });
    const sample = (name: string) =>
      res.text
        .split('\n')
        .find((line) => line.startsWith(name))
        ?.split(' ')[1];
    // CIRCL's Locky feed: 125 indicators (its events' attributes), loaded once at start-up (refresh: 1h by default).
    expect([
      sample('warden_intel_indicators{list="circl-locky"}'),
      sample('warden_intel_loads_total{list="circl-locky",outcome="loaded"}'),
    ]).toEqual(['125', '1']);
  });

  it('reloads assets.yaml when it changes, without a restart', async () => {
    const path = join(stack.env.WARDEN_CONFIG_DIR, 'assets.yaml');
    // test-vm-07 becomes critical: a high alert on it goes from P3 to P1 (P2 would be no asset at all).
    writeFileSync(`${path}.new`, 'hosts:\n  - { name: test-vm-07, criticality: critical, team: lab }\n');
    renameSync(`${path}.new`, path);
    const priority = await pollUntil(
      async () => (await post('/v1/alerts', alert({ severity: 'high', host: 'test-vm-07', title: `reload ${randomUUID()}` }))).priority,
      (p) => p !== 'P3',
      { what: 'the reloaded asset to count', timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(priority).toBe('P1');
  });
});
