import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiKey } from '../../src/auth/api-keys.service';
import { startContainmentWebhook, type FakeContainmentWebhook } from '../fakes/containment-webhook';
import { ENRICHMENT_FILES, GEOIP_ENV, WATCHED_IP, watchedAlertFields } from '../support/enrichment';
import { client, pollUntil } from '../support/harness';
import { uniqueIp } from '../support/ips';
import { alert, startStack, Stack } from '../support/stack';

// GET /v1/investigations/ip/{ip} on the real stack: alerts seeded through the API (the IP as
// source, as destination, as both, and noise from other addresses), a real playbook run that
// collects evidence and blocks the IP at a loopback firewall, and the answer checked against
// what the database holds. An alert from a watched address (MaxMind's test databases, an intel
// list) shows the address's enrichment at the top of the answer and of `warden investigate`.

const FILES = {
  'playbooks/test-investigate.yaml': `steps:
  - id: evidence
    action: collect_evidence
  - id: block
    action: block_ip
    depends_on: [evidence]
    with: { ip: '{{ incident.source_ip }}' }
`,
};

interface AlertRow {
  id: string;
  incident_id: string | null;
  received_at: Date;
}

describe('IP investigation (real api, worker, Temporal and Postgres)', () => {
  let stack: Stack;
  let firewall: FakeContainmentWebhook;
  let analyst: ReturnType<typeof client>;
  const ip = uniqueIp();
  const other = uniqueIp();
  /** A source folded into a storm incident. */
  const stormIp = uniqueIp();
  let stormIncident: string;
  /** The IP's alerts in the database, newest first, and the incidents holding them. */
  let expected: { alerts: AlertRow[]; incidents: string[]; probeIncident: string };
  let view: any;

  const post = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert(fields));
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text}`);
    return res.body as { alertId: string; incidentId: string };
  };

  beforeAll(async () => {
    process.env.INVESTIGATION_TEST_FW_SECRET = 'investigation-test-firewall-secret';
    firewall = await startContainmentWebhook({ secret: process.env.INVESTIGATION_TEST_FW_SECRET });
    stack = await startStack({
      name: 'investigation',
      files: { ...FILES, ...ENRICHMENT_FILES },
      env: GEOIP_ENV,
      rules: (doc) => {
        doc.rules = [
          {
            name: 'test-investigate',
            match: { type: 'ip_probe' },
            action: 'immediate',
            priority: 'P2',
            assign_role: 'analyst',
            playbooks: ['test-investigate'],
          },
          // Folds after two incidents, so the third source of the probe joins a storm.
          {
            name: 'test-storm',
            match: { type: 'storm_probe' },
            action: 'correlate',
            priority: 'P3',
            correlate_by: ['sourceIp'],
            storm: { threshold: 2, within: '10m', quiet: '10m' },
          },
          ...doc.rules,
        ];
      },
      containment: (doc) => {
        doc.adapters.firewall = { type: 'webhook', url: firewall.url, secret_env: 'INVESTIGATION_TEST_FW_SECRET' };
      },
    });
    analyst = await stack.as(null);

    // The IP as source (its own incident, with the playbook), as destination of another
    // address's scan, and as both; then noise that must not show.
    const probe = await post({ type: 'ip_probe', severity: 'high', title: 'probe', sourceIp: ip, destinationIp: '192.0.2.10' });
    await post({ type: 'port_scan', title: 'scan of the IP', sourceIp: other, destinationIp: ip });
    await post({ type: 'port_scan', title: 'another scan of the IP', sourceIp: other, destinationIp: ip, host: 'web-1' });
    await post({ type: 'port_scan', title: 'hairpin', sourceIp: ip, destinationIp: ip });
    await post({ type: 'port_scan', title: 'noise', sourceIp: other, destinationIp: uniqueIp() });
    await post({ type: 'ip_probe', severity: 'high', title: 'noise probe', sourceIp: uniqueIp() });
    await post({ type: 'storm_probe', title: 'sweep', sourceIp: uniqueIp() });
    await post({ type: 'storm_probe', title: 'sweep', sourceIp: uniqueIp() });
    stormIncident = (await post({ type: 'storm_probe', title: 'sweep', sourceIp: stormIp })).incidentId;

    const alerts = await stack.db.query<AlertRow[]>(
      `SELECT id, incident_id, received_at FROM alerts WHERE source_ip = $1::inet OR destination_ip = $1::inet ORDER BY received_at DESC, id DESC`,
      [ip],
    );
    const incidents = (
      await stack.db.query<{ id: string }[]>(`SELECT id FROM incidents WHERE source_ip = $1::inet OR id = ANY($2::uuid[]) ORDER BY id`, [
        ip,
        alerts.map((a) => a.incident_id),
      ])
    ).map((r) => r.id);
    expected = { alerts, incidents, probeIncident: probe.incidentId };

    // The playbook has blocked the IP and every incident has its task.
    await pollUntil(
      async () =>
        (
          await stack.db.query(
            `SELECT s.status FROM playbook_steps s JOIN playbook_runs r ON r.id = s.run_id WHERE r.incident_id = $1 AND s.step_id = 'block'`,
            [probe.incidentId],
          )
        )[0]?.status,
      (status) => status === 'succeeded',
      { what: 'the block step', timeoutMs: 60_000 },
    );
    for (const id of incidents) await stack.task(id, () => true);
    const res = await analyst('GET', `/v1/investigations/ip/${ip}`);
    if (res.status !== 200) throw new Error(`investigation answered ${res.status}: ${res.text}`);
    view = res.body;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await firewall?.close();
  });

  it('lists exactly the alerts with the IP as source or destination, newest first, with their counts', () => {
    expect({
      ids: view.alerts.items.map((a: { id: string }) => a.id),
      roles: view.alerts.items.map((a: { role: string }) => a.role).sort(),
      total: view.alerts.total,
      asSource: view.alerts.asSource,
      asDestination: view.alerts.asDestination,
      nextCursor: view.alerts.nextCursor,
    }).toEqual({
      ids: expected.alerts.map((a) => a.id),
      roles: ['both', 'destination', 'destination', 'source'],
      total: 4,
      asSource: 2,
      asDestination: 3,
      nextCursor: null,
    });
  });

  it('lists exactly the incidents of those alerts and those keyed by the IP, each with its task', () => {
    expect({
      incidents: view.incidents.items.map((i: { id: string }) => i.id).sort(),
      total: view.incidents.total,
      tasks: view.tasks.map((t: { incidentId: string }) => t.incidentId).sort(),
    }).toEqual({ incidents: expected.incidents, total: 3, tasks: expected.incidents });
  });

  it('answers first and last seen from the alerts', () => {
    const times = expected.alerts.map((a) => new Date(a.received_at).getTime());
    expect({ firstSeen: view.firstSeen, lastSeen: view.lastSeen }).toEqual({
      firstSeen: new Date(Math.min(...times)).toISOString(),
      lastSeen: new Date(Math.max(...times)).toISOString(),
    });
  });

  it('shows the playbook action that blocked the IP and the evidence bundle of its incident', () => {
    expect({
      actions: view.actions.items.map((a: any) => [a.incidentId, a.playbook, a.stepId, a.action, a.status, a.input?.ip]),
      evidence: view.evidence.map((b: any) => [b.incidentId, b.stepId]),
      firewall: firewall.blocked.has(ip),
    }).toEqual({
      actions: [[expected.probeIncident, 'test-investigate', 'block', 'block_ip', 'succeeded', ip]],
      evidence: [[expected.probeIncident, 'evidence']],
      firewall: true,
    });
  });

  it('pages the alerts with limit and cursor, and the pages add up to the whole list', async () => {
    const first = await analyst('GET', `/v1/investigations/ip/${ip}?limit=3`);
    const second = await analyst('GET', `/v1/investigations/ip/${ip}?limit=3&cursor=${encodeURIComponent(first.body.alerts.nextCursor)}`);
    expect({
      sizes: [first.body.alerts.items.length, second.body.alerts.items.length],
      ids: [...first.body.alerts.items, ...second.body.alerts.items].map((a: { id: string }) => a.id),
      end: second.body.alerts.nextCursor,
    }).toEqual({ sizes: [3, 1], ids: expected.alerts.map((a) => a.id), end: null });
  });

  it('answers an IP it never saw with empty lists', async () => {
    const res = await analyst('GET', `/v1/investigations/ip/${uniqueIp()}`);
    expect({
      status: res.status,
      total: res.body.alerts.total,
      incidents: res.body.incidents.total,
      firstSeen: res.body.firstSeen,
    }).toEqual({
      status: 200,
      total: 0,
      incidents: 0,
      firstSeen: null,
    });
  });

  it('refuses a bad IP with 400 problem+json naming path:ip', async () => {
    const res = await analyst('GET', '/v1/investigations/ip/10.0.0.999');
    expect({ status: res.status, type: res.headers.get('content-type'), errors: res.body.errors }).toEqual({
      status: 400,
      type: expect.stringContaining('application/problem+json'),
      errors: [{ path: 'path:ip', message: 'must be an IPv4 or IPv6 address' }],
    });
  });

  it('refuses a cursor it did not give out with 400 naming query:cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['2026-02-30 00:00:00+00', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const res = await analyst('GET', `/v1/investigations/ip/${ip}?cursor=${forged}`);
    expect({ status: res.status, paths: res.body.errors.map((e: { path: string }) => e.path) }).toEqual({
      status: 400,
      paths: ['query:cursor'],
    });
  });

  it('refuses an ingest key with 403', async () => {
    const res = await stack.ingest('GET', `/v1/investigations/ip/${ip}`);
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
      status: 403,
      type: expect.stringContaining('application/problem+json'),
    });
  });

  it('lists the storm incident that counted the IP among its sources', async () => {
    const res = await analyst('GET', `/v1/investigations/ip/${stormIp}`);
    const [storm] = await stack.db.query<{ storm: boolean }[]>(`SELECT storm FROM incidents WHERE id = $1`, [stormIncident]);
    expect({
      storm: storm.storm,
      sources: res.body.stormSources.items.map((s: any) => [s.incidentId, s.alerts]),
      total: res.body.stormSources.total,
      incidents: res.body.incidents.items.map((i: any) => [i.id, i.storm]),
    }).toEqual({ storm: true, sources: [[stormIncident, 1]], total: 1, incidents: [[stormIncident, true]] });
  });

  describe('enrichment', () => {
    let watched: any;
    beforeAll(async () => {
      await post({ type: 'port_scan', title: 'scan from a watched address', ...watchedAlertFields });
      const res = await analyst('GET', `/v1/investigations/ip/${WATCHED_IP}`);
      if (res.status !== 200) throw new Error(`investigation answered ${res.status}: ${res.text}`);
      watched = res.body;
    });

    it("opens with the address's place, network and intel hit, and the techniques, tactics and assets of its alerts", () => {
      expect(watched.enrichment).toEqual({
        address: {
          ip: WATCHED_IP,
          internal: false,
          country: { iso: 'SE', name: 'Sweden' },
          city: 'Linköping',
          asn: { number: 29518, organization: 'Bredband2 AB' },
          intel: [{ list: 'watchlist', kind: 'ip', indicator: WATCHED_IP, confidence: 70 }],
          assets: [],
        },
        alerts: {
          countries: [{ iso: 'SE', name: 'Sweden', alerts: 1 }],
          asns: [{ number: 29518, organization: 'Bredband2 AB', alerts: 1 }],
          techniques: [{ id: 'T1046', name: 'Network Service Discovery', alerts: 1 }],
          tactics: [{ id: 'TA0007', shortname: 'discovery', name: 'Discovery', alerts: 1 }],
          intel: [{ list: 'watchlist', indicator: WATCHED_IP, confidence: 70, alerts: 1 }],
          assets: [{ kind: 'host', name: 'pay-db-01', criticality: 'critical', owner: 'dba', team: 'payments', tags: [], alerts: 1 }],
          criticality: 'critical',
        },
      });
    });

    it('says an internal address is internal, on no list', () => {
      expect(view.enrichment.address).toEqual({ ip, internal: true, range: 'private', intel: [], assets: [] });
    });

    it('warden investigate (investigate-ip by another name) prints the enrichment first, readable', async () => {
      const root = join(__dirname, '..', '..');
      const key = (await createApiKey(stack.db, 'investigator', ['analyst'])).key;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), 'investigate', WATCHED_IP, '--url', stack.api.url, '--key', key],
        { cwd: root, env: { ...process.env, WARDEN_URL: '', WARDEN_API_KEY: '', PUBLIC_URL: '' } },
      );
      const lines = stdout.split('\n');
      const top = lines.indexOf('') + 1;
      expect([lines[0], ...lines.slice(top, top + 4)]).toEqual([
        `IP ${WATCHED_IP}`,
        'where: SE Sweden, Linköping, AS29518 Bredband2 AB',
        `intel: watchlist ${WATCHED_IP} (confidence 70)`,
        'assets: none known',
        'ATT&CK on its alerts: T1046 Network Service Discovery; tactics TA0007 Discovery',
      ]);
    }, 60_000);
  });
});
