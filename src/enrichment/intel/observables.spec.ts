import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWardenConfig } from '../../config/warden-config';
import type { SecurityAlert } from '../../domain';
import { normalizers, type FormatName } from '../../ingest/normalizers';
import { validateAlert } from '../../ingest/security-alert';
import { observablesOf } from './observables';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures');
const formats = loadWardenConfig(join(__dirname, '..', '..', '..', 'config')).formats;
const fixture = (path: string): any => JSON.parse(readFileSync(join(fixtures, path), 'utf8'));
function normalized(format: FormatName, record: unknown): SecurityAlert {
  const v = validateAlert(normalizers[format](record, formats)[0].alert);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.alert;
}

describe('observablesOf', () => {
  it("takes a Suricata alert's addresses, HTTP host and request URL (real EVE record)", () => {
    const o = observablesOf(normalized('suricata', fixture('suricata/http-request.json')));
    expect([o.ips, o.domains, o.urls.map((u) => [u.field, u.value.slice(0, 52)]), o.hashes]).toEqual([
      [
        { field: 'sourceIp', value: '10.47.42.68' },
        { field: 'destinationIp', value: '64.135.77.30' },
      ],
      [{ field: 'http.hostname', value: 'cfg.crawler.com' }],
      [['http.url', 'http://cfg.crawler.com/cr_config.asmx/GetXML?CU=X4Nh']],
      [],
    ]);
  });

  it('takes the file hash of an Elastic Defend alert (ECS file.hash.sha256)', () => {
    const o = observablesOf(normalized('ecs', fixture('ecs/events.json')[1]));
    expect(o.hashes).toEqual([{ field: 'file.hash.sha256', value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' }]);
  });

  it("takes an ECS document's URL and DNS question, and the URL's host as a domain", () => {
    const o = observablesOf(
      normalized('ecs', {
        '@timestamp': '2024-03-01T10:00:00Z',
        event: { kind: 'alert', category: ['network'] },
        rule: { name: 'Suspicious download' },
        url: { full: 'HTTP://Files.Evil.Example/a.exe#x' },
        dns: { question: { name: 'c2.evil.example.' } },
      }),
    );
    expect([o.urls, o.domains]).toEqual([
      [{ field: 'url.full', value: 'http://files.evil.example/a.exe' }],
      [
        { field: 'dns.question.name', value: 'c2.evil.example' },
        { field: 'url.full', value: 'files.evil.example' },
      ],
    ]);
  });

  it("takes the MD5 of a Wazuh VirusTotal alert's file", () => {
    const o = observablesOf(normalized('wazuh', fixture('wazuh/alerts.json')[4]));
    expect(o.hashes).toEqual([{ field: 'data.virustotal.source.md5', value: '5d41402abc4b2a76b9719d911017c592' }]);
  });

  it('leaves out a relative URL (a Wazuh web log path)', () => {
    expect(observablesOf(normalized('wazuh', fixture('wazuh/alerts.json')[2])).urls).toEqual([]);
  });

  it('takes only the addresses of a native alert, once when source and destination are the same', () => {
    const o = observablesOf({
      source: 'ids-1',
      sourceIp: '192.0.2.1',
      destinationIp: '192.0.2.1',
      raw: { url: { full: 'http://x.example/' } },
    });
    expect(o).toEqual({ ips: [{ field: 'sourceIp', value: '192.0.2.1' }], domains: [], urls: [], hashes: [] });
  });
});
