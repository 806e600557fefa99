import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { IntelHolder } from './indicator';
import { intelFileSchema } from './intel.schema';
import { loadIntel, loadList } from './load';

const intel = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'intel');
const list = (l: Record<string, unknown>) => intelFileSchema.parse({ lists: [l] }).lists[0];
const NOW = Date.parse('2026-06-01T00:00:00Z');
const LOCKY = '5721c2e4-05ec-4af3-9264-411b950d210f';

describe('loadList from files', () => {
  it('reads a MISP feed directory: the manifest, then each event it names', async () => {
    const loaded = await loadList(list({ name: 'circl', format: 'misp', file: 'misp-feed' }), intel);
    expect([loaded.indicators.length, new Set(loaded.indicators.map((i) => i.ref?.type === 'misp' && i.ref.event))]).toEqual([
      125,
      new Set([LOCKY]),
    ]);
  });

  it('reads one MISP event file', async () => {
    const loaded = await loadList(
      list({ name: 'sunorcal', format: 'misp', file: 'misp-events/5a0a9aa9-23a4-4607-b6df-41a9950d210f.json' }),
      intel,
    );
    expect(loaded.indicators.filter((i) => i.kind === 'ip').map((i) => i.value)).toEqual(['98.126.156.210', '104.148.70.217']);
  });

  it('reads a STIX bundle and a text list, giving each indicator the list name and confidence', async () => {
    const stix = await loadList(
      list({ name: 'apt1', format: 'stix', file: join(intel, 'stix', 'apt1.json'), confidence: 85 }),
      '/elsewhere',
    );
    expect(stix.indicators[0]).toEqual(expect.objectContaining({ list: 'apt1', confidence: 85 }));
  });

  it('throws naming a file that is not there', async () => {
    await expect(loadList(list({ name: 'x', format: 'text', file: 'nope.txt' }), intel)).rejects.toThrow(/nope\.txt/);
  });
});

describe('loadList from URLs (a local server)', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  let manifestStatus = 200;

  beforeAll(async () => {
    // Serves the fixture feed under /feed/ and the IPsum list as /ipsum.txt; the manifest answers manifestStatus.
    server = createServer((req, res) => {
      const url = req.url ?? '';
      requests.push(url);
      if (url === '/feed/manifest.json' && manifestStatus !== 200) return void res.writeHead(manifestStatus).end();
      const file = url.startsWith('/feed/')
        ? join('misp-feed', url.slice('/feed/'.length))
        : url === '/ipsum.txt'
          ? 'blocklists/ipsum-level5.txt'
          : undefined;
      try {
        res.end(readFileSync(join(intel, file ?? 'none')));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    requests.length = 0;
    manifestStatus = 200;
  });

  it('fetches a MISP feed: manifest.json, then each event beside it', async () => {
    const loaded = await loadList(list({ name: 'circl', format: 'misp', url: `${base}/feed/` }), '/config');
    expect([loaded.indicators.length, requests.sort()]).toEqual([
      125,
      [`/feed/${LOCKY}.json`, '/feed/57e27c3d-17a8-4c3b-8195-493e950d210f.json', '/feed/manifest.json'],
    ]);
  });

  it('fetches a text list', async () => {
    const loaded = await loadList(list({ name: 'ipsum', format: 'text', url: `${base}/ipsum.txt` }), '/config');
    expect(loaded.indicators.length).toBe(1413);
  });

  it('throws naming the URL and the status when the server refuses', async () => {
    manifestStatus = 503;
    await expect(loadList(list({ name: 'circl', format: 'misp', url: `${base}/feed` }), '/config')).rejects.toThrow(
      `${base}/feed/manifest.json answered 503`,
    );
  });

  it('keeps what a list had when a refresh fails, with one log line', async () => {
    const holder = new IntelHolder();
    const feed = list({ name: 'circl', format: 'misp', url: `${base}/feed/` });
    await loadIntel([feed], '/config', holder, () => undefined);
    manifestStatus = 500;
    const logged: string[] = [];
    const summary = await loadIntel([feed], '/config', holder, (m) => logged.push(m));
    const hit = holder.current.match({ ips: [{ field: 'destinationIp', value: '50.6.80.163' }], domains: [], urls: [], hashes: [] }, NOW);
    expect([summary, logged, hit.length]).toEqual([
      [{ name: 'circl', indicators: 125, skipped: {}, error: `${base}/feed/manifest.json answered 500` }],
      [`intel list circl not loaded: ${base}/feed/manifest.json answered 500`],
      1,
    ]);
  });
});

describe('loadIntel', () => {
  it('loads every list into the holder and reports each', async () => {
    const holder = new IntelHolder();
    const { lists } = intelFileSchema.parse({
      lists: [
        { name: 'ipsum', format: 'text', file: 'blocklists/ipsum-level5.txt', kind: 'ip' },
        { name: 'apt1', format: 'stix', file: 'stix/apt1.json' },
      ],
    });
    const summary = await loadIntel(lists, intel, holder, () => undefined);
    expect([summary.map((s) => [s.name, s.indicators]), holder.current.size]).toEqual([
      [
        ['ipsum', 1413],
        ['apt1', 10],
      ],
      1423,
    ]);
  });
});

describe('intelFileSchema', () => {
  const issues = (value: unknown) => {
    const r = intelFileSchema.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => [i.path.join('.'), i.message]);
  };

  it('gives a list its defaults', () => {
    expect(list({ name: 'a', format: 'text', file: 'a.txt' })).toEqual({
      name: 'a',
      format: 'text',
      file: 'a.txt',
      confidence: 50,
      refresh: 3600,
      timeout: 30,
      misp: { to_ids_only: true },
      csv: { column: 0, header: false, delimiter: ',' },
    });
  });

  it('wants exactly one of file and url', () => {
    expect(issues({ lists: [{ name: 'a', format: 'text' }] })).toEqual([['lists.0.file', 'give exactly one of file and url']]);
  });

  it('refuses a confidence over 100, a URL that is not http(s) and a second list of the same name', () => {
    expect(
      issues({
        lists: [
          { name: 'a', format: 'text', file: 'a.txt', confidence: 101 },
          { name: 'a', format: 'misp', url: 'ftp://x.example/feed' },
        ],
      }).map(([path]) => path),
    ).toEqual(['lists.0.confidence', 'lists.1.url', 'lists.1.name']);
  });

  it('refuses a CSV column by name without a header', () => {
    expect(issues({ lists: [{ name: 'a', format: 'csv', file: 'a.csv', csv: { column: 'ip' } }] })).toEqual([
      ['lists.0.csv.column', 'a column by name needs header: true'],
    ]);
  });

  it('reads refresh and max_age as durations', () => {
    const l = list({ name: 'a', format: 'stix', file: 'a.json', refresh: '15m', max_age: '30d' });
    expect([l.refresh, l.max_age]).toEqual([900, 2_592_000]);
  });
});
