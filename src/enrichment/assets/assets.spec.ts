import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/config-files';
import { AssetLookup } from './assets';
import { assetsFileSchema } from './assets.schema';
import { loadAssets } from './load';

const lookup = new AssetLookup(
  assetsFileSchema.parse({
    hosts: [
      {
        name: 'db-payments-01',
        aliases: ['10.20.0.5'],
        criticality: 'critical',
        owner: 'alice@example.com',
        team: 'payments',
        tags: ['pci'],
      },
      { name: 'test-vm-7', criticality: 'low', team: 'qa' },
    ],
    networks: [
      { cidr: '10.20.0.0/16', name: 'payments-vlan', criticality: 'high', team: 'payments' },
      { cidr: '10.0.0.0/8', criticality: 'medium', team: 'it' },
      { cidr: '2001:db8:42::/48', name: 'lab-v6', criticality: 'low' },
    ],
    users: [{ name: 'alice', aliases: ['alice.admin@example.com'], criticality: 'high', team: 'payments', tags: ['admin'] }],
  }),
);
const names = (alert: Parameters<AssetLookup['enrich']>[0]) => lookup.enrich(alert).assets.map((a) => `${a.kind}:${a.name}`);

describe(AssetLookup.name, () => {
  it("gives a host's asset with its criticality, owner, team and tags", () => {
    expect(lookup.enrich({ host: 'db-payments-01' })).toEqual({
      assets: [
        {
          kind: 'host',
          name: 'db-payments-01',
          field: 'host',
          matched: 'db-payments-01',
          criticality: 'critical',
          owner: 'alice@example.com',
          team: 'payments',
          tags: ['pci'],
        },
      ],
      criticality: 'critical',
    });
  });

  it.each(['DB-Payments-01', 'db-payments-01.corp.example'])('matches host %s without case and by its first label', (host) => {
    expect(names({ host })).toEqual(['host:db-payments-01']);
  });

  it('matches an address in every network holding it, the most specific first', () => {
    expect(names({ sourceIp: '10.20.3.4' })).toEqual(['network:payments-vlan', 'network:10.0.0.0/8']);
  });

  it('matches IPv6 networks', () => {
    expect(names({ destinationIp: '2001:db8:42::9' })).toEqual(['network:lab-v6']);
  });

  it('reads a host that is an address as an address (Alertmanager instance)', () => {
    expect(names({ host: '10.20.0.5' })).toEqual(['network:payments-vlan', 'network:10.0.0.0/8']);
  });

  it.each(['alice', 'ALICE', 'CORP\\alice', 'alice@corp.example', 'alice.admin@example.com'])('matches user %s', (user) => {
    expect(names({ user })).toEqual(['user:alice']);
  });

  it('gives the highest criticality among host, user and addresses', () => {
    expect(lookup.enrich({ host: 'test-vm-7', user: 'alice', sourceIp: '10.1.1.1' }).criticality).toBe('high');
  });

  it('gives no criticality when nothing is known', () => {
    expect(lookup.enrich({ host: 'unknown', user: 'bob', sourceIp: '203.0.113.9' })).toEqual({ assets: [] });
  });

  it('lists an asset once when two fields reach it', () => {
    expect(names({ sourceIp: '10.20.0.1', destinationIp: '10.20.0.2' })).toEqual(['network:payments-vlan', 'network:10.0.0.0/8']);
  });
});

describe('assetsFileSchema', () => {
  it('names a bad criticality and a bad CIDR', () => {
    const r = assetsFileSchema.safeParse({
      hosts: [{ name: 'a', criticality: 'severe' }],
      networks: [{ cidr: '10.0.0.0/33', criticality: 'low' }],
    });
    expect(r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['hosts.0.criticality', 'must be one of low, medium, high, critical'],
      ['networks.0.cidr', 'must be an IPv4 or IPv6 network such as 10.20.0.0/16 (or one address)'],
    ]);
  });
});

describe('loadAssets', () => {
  const dirWith = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'assets-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('reads assets.yaml and the CSV files it names', () => {
    const dir = dirWith({
      'assets.yaml': 'hosts:\n  - { name: web-01, criticality: medium }\ncsv: [cmdb.csv]\n',
      'cmdb.csv':
        'kind,name,criticality,owner,team,tags\nhost,db-02,critical,bob,data,pci;prod\nnetwork,192.0.2.0/24,high,,dmz,\nuser,carol,low,,,\n',
    });
    const assets = loadAssets(dir);
    expect([
      assets.enrich({ host: 'db-02' }).assets[0],
      assets.enrich({ host: 'web-01', sourceIp: '192.0.2.7', user: 'carol' }).assets.map((a) => [a.name, a.criticality]),
    ]).toEqual([
      {
        kind: 'host',
        name: 'db-02',
        field: 'host',
        matched: 'db-02',
        criticality: 'critical',
        owner: 'bob',
        team: 'data',
        tags: ['pci', 'prod'],
      },
      [
        ['web-01', 'medium'],
        ['carol', 'low'],
        ['192.0.2.0/24', 'high'],
      ],
    ]);
  });

  it('reads the files again on every call (a reload sees the change)', () => {
    const dir = dirWith({ 'assets.yaml': 'hosts: [{ name: a, criticality: low }]\n' });
    const before = loadAssets(dir).enrich({ host: 'a' }).criticality;
    writeFileSync(join(dir, 'assets.yaml'), 'hosts: [{ name: a, criticality: critical }]\n');
    expect([before, loadAssets(dir).enrich({ host: 'a' }).criticality]).toEqual(['low', 'critical']);
  });

  it('names the file, line and column of a bad CSV row', () => {
    const dir = dirWith({
      'assets.yaml': 'csv: [cmdb.csv]\n',
      'cmdb.csv': 'kind,name,criticality\nhost,ok,low\nnetwork,10.0.0.0/99,low\nrouter,x,low\n',
    });
    let problems: unknown;
    try {
      loadAssets(dir);
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      {
        file: join(dir, 'cmdb.csv'),
        path: 'name',
        line: 3,
        message: 'must be an IPv4 or IPv6 network such as 10.20.0.0/16 (or one address)',
      },
      { file: join(dir, 'cmdb.csv'), path: 'kind', line: 4, message: 'must be host, network or user' },
    ]);
  });

  it('names the line of a bad assets.yaml entry', () => {
    const dir = dirWith({ 'assets.yaml': 'users:\n  - name: a\n    criticality: urgent\n' });
    expect(() => loadAssets(dir)).toThrow(
      `${join(dir, 'assets.yaml')}:3 at users[0].criticality: must be one of low, medium, high, critical`,
    );
  });

  it('reads a missing assets.yaml as no assets', () => {
    expect(loadAssets(dirWith({})).size).toBe(0);
  });
});
