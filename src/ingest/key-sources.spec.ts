import { foreignSources } from './key-sources';

const item = (pointer: string, source: string) => ({ pointer, alert: { source } });

describe(foreignSources.name, () => {
  it('lets a key bound to no source send any source', () => {
    expect([foreignSources([item('', 'wazuh')], null), foreignSources([item('', 'wazuh')], [])]).toEqual([[], []]);
  });

  it('lets a key bound to a source send that source', () => {
    expect(foreignSources([item('/0', 'wazuh'), item('/1', 'suricata')], ['suricata', 'wazuh'])).toEqual([]);
  });

  it('names /source for a lone alert of another source', () => {
    expect(foreignSources([item('', 'suricata')], ['wazuh'])).toEqual([
      { path: '/source', message: 'must be "wazuh", this API key\'s source' },
    ]);
  });

  it("names each batch item of another source by its pointer, listing the key's sources", () => {
    expect(
      foreignSources([item('/alerts/0', 'wazuh'), item('/alerts/3', 'falco'), item('/alerts/4', 'Wazuh')], ['wazuh', 'ids-1']),
    ).toEqual([
      { path: '/alerts/3/source', message: 'must be one of this API key\'s sources: "wazuh", "ids-1"' },
      { path: '/alerts/4/source', message: 'must be one of this API key\'s sources: "wazuh", "ids-1"' },
    ]);
  });

  it('names a record that yielded several alerts once', () => {
    expect(foreignSources([item('/2', 'alertmanager'), item('/2', 'alertmanager')], ['wazuh']).map((e) => e.path)).toEqual(['/2/source']);
  });
});
