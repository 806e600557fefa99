import { CHECKLIST_TYPES, checklistFor } from './checklists';

const ids = (types: string[]) => checklistFor(types).map((s) => s.id);

describe(checklistFor.name, () => {
  it('knows the six investigated alert types', () => {
    expect(CHECKLIST_TYPES).toEqual(['failed_login', 'sql_injection', 'privilege_escalation', 'port_scan', 'malware', 'data_exfiltration']);
  });

  describe('per type', () => {
    it.each([
      ['failed_login', 'login-success'],
      ['sql_injection', 'sqli-success'],
      ['privilege_escalation', 'privesc-authorized'],
      ['port_scan', 'scan-origin'],
      ['malware', 'malware-isolate'],
      ['data_exfiltration', 'exfil-data'],
    ])('gives %s its own steps between the common opening and closing', (type, step) => {
      const list = ids([type]);
      expect(list).toContain(step);
      expect(list[0]).toBe('review-alerts');
      expect(list.slice(-2)).toEqual(['document-findings', 'record-disposition']);
      expect(list).not.toContain('assess-impact');
    });

    it('gives every step text', () => {
      for (const type of CHECKLIST_TYPES) {
        for (const step of checklistFor([type])) expect(step.text.length).toBeGreaterThan(20);
      }
    });

    it('lists failed-login steps in investigation order', () => {
      expect(ids(['failed_login'])).toEqual([
        'review-alerts',
        'source-ip-history',
        'login-targets',
        'login-success',
        'login-credentials',
        'contain-source-ip',
        'document-findings',
        'record-disposition',
      ]);
    });
  });

  describe('default', () => {
    it('covers an unknown type', () => {
      expect(ids(['dns_tunneling'])).toEqual([
        'review-alerts',
        'scope-hosts-accounts',
        'source-ip-history',
        'assess-impact',
        'document-findings',
        'record-disposition',
      ]);
    });

    it('covers no types at all', () => {
      expect(ids([])).toEqual(ids(['dns_tunneling']));
    });

    it('is added once for several unknown types', () => {
      expect(ids(['dns_tunneling', 'c2_beacon'])).toEqual(ids(['dns_tunneling']));
    });

    it('is added after the known types when one type is unknown', () => {
      const list = ids(['malware', 'c2_beacon']);
      expect(list.indexOf('assess-impact')).toBeGreaterThan(list.indexOf('malware-remediate'));
    });

    it('does not treat inherited object keys as types', () => {
      expect(ids(['constructor', 'toString'])).toEqual(ids([]));
    });
  });

  describe('several types', () => {
    it('lists each shared step once, where it first appears', () => {
      const list = ids(['failed_login', 'port_scan', 'sql_injection']);
      expect(list.filter((id) => id === 'source-ip-history')).toHaveLength(1);
      expect(list.filter((id) => id === 'contain-source-ip')).toHaveLength(1);
      expect(list.indexOf('source-ip-history')).toBeLessThan(list.indexOf('login-targets'));
      expect(new Set(list).size).toBe(list.length);
    });

    it('follows the order of the types', () => {
      const list = ids(['port_scan', 'failed_login']);
      expect(list.indexOf('scan-origin')).toBeLessThan(list.indexOf('login-targets'));
    });

    it('ignores a repeated type', () => {
      expect(ids(['malware', 'malware'])).toEqual(ids(['malware']));
    });

    it('keeps every step of every type', () => {
      const together = ids(CHECKLIST_TYPES);
      for (const type of CHECKLIST_TYPES) expect(together).toEqual(expect.arrayContaining(ids([type])));
    });
  });

  it('returns fresh objects, so a stored checklist cannot change the next one', () => {
    const first = checklistFor(['malware']);
    first[0].text = 'changed';
    expect(checklistFor(['malware'])[0].text).not.toBe('changed');
  });

  it('gives a storm incident the storm steps in place of the per-type ones', () => {
    expect(checklistFor(['port_scan'], true).map((s) => s.id)).toEqual([
      'review-alerts',
      'storm-scope',
      'storm-cause',
      'storm-sources',
      'storm-contain',
      'storm-tune',
      'document-findings',
      'record-disposition',
    ]);
  });
});
