import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, formatPath, loadYamlFile } from '../common/config-files';
import { loadWardenConfig } from './warden-config';

const tempDir = () => mkdtempSync(join(tmpdir(), 'warden-config-'));

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadYamlFile', () => {
  const schema = z.object({ rules: z.array(z.object({ name: z.string(), priority: z.enum(['P1', 'P2']) })) });

  it('reports a YAML syntax error with the file and line', () => {
    const file = join(tempDir(), 'rules.yaml');
    writeFileSync(file, 'rules:\n  - name: a\n    priority: [P1\n');
    const problems = problemsOf(() => loadYamlFile(file, schema));
    expect(problems[0].file).toBe(file);
    expect(problems[0].line).toBeGreaterThanOrEqual(3);
    expect(problems[0].message).toMatch(/flow sequence|Missing|expected/i);
  });

  it('names the path inside the file, the line and the reason for a schema error', () => {
    const file = join(tempDir(), 'rules.yaml');
    writeFileSync(file, 'rules:\n  - name: a\n    priority: P1\n  - name: b\n    priority: P9\n');
    const problems = problemsOf(() => loadYamlFile(file, schema));
    expect(problems).toEqual([expect.objectContaining({ file, path: 'rules[1].priority', line: 5 })]);
    expect(problems[0].message).toMatch(/P1.*P2/);
    expect(() => loadYamlFile(file, schema)).toThrow(`${file}:5 at rules[1].priority`);
  });

  it('rejects duplicate keys instead of keeping the last one', () => {
    const file = join(tempDir(), 'rules.yaml');
    writeFileSync(file, 'rules: []\nrules: []\n');
    expect(problemsOf(() => loadYamlFile(file, schema))[0].message).toMatch(/unique/i);
  });

  it('reads an empty file as an empty object', () => {
    const file = join(tempDir(), 'empty.yaml');
    writeFileSync(file, '# nothing yet\n');
    expect(loadYamlFile(file, z.object({ rules: z.array(z.string()).default([]) }))).toEqual({ rules: [] });
  });
});

describe('loadWardenConfig', () => {
  const shipped = join(__dirname, '..', '..', 'config');
  /** A copy of the shipped config/ with some files replaced. */
  const configWith = (files: Record<string, string>) => {
    const dir = tempDir();
    cpSync(shipped, dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('accepts the shipped config/ directory', () => {
    expect(() => loadWardenConfig(shipped)).not.toThrow();
  });

  it('loads the shipped playbooks by name, with their versions, and containment.yaml', () => {
    const config = loadWardenConfig(shipped);
    expect(Object.keys(config.playbooks)).toEqual(['brute-force', 'data-exfiltration', 'malware', 'privilege-escalation', 'sql-injection']);
    expect(config.playbooks['sql-injection']).toMatchObject({
      playbook: { name: 'sql-injection', steps: [{ id: 'evidence' }, { id: 'block-at-waf', with: { adapter: 'waf' } }] },
      version: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(config.containment.defaults).toEqual({ block_ip: 'firewall', disable_user: 'identity', isolate_host: 'edr' });
  });

  it('collects the problems of every broken file at once', () => {
    const dir = tempDir();
    cpSync(shipped, dir, { recursive: true });
    writeFileSync(join(dir, 'rules.yaml'), 'rulez: []\n');
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'block-ip.yaml'), 'steps: [\n');
    const problems = problemsOf(() => loadWardenConfig(dir));
    expect(problems.map((p) => p.file)).toEqual([join(dir, 'rules.yaml'), join(dir, 'playbooks', 'block-ip.yaml')]);
    expect(problems[0].message).toMatch(/rulez/);
  });

  it('stops on a broken playbook, naming its file, path, line and reason', () => {
    const dir = configWith({
      'playbooks/contain.yaml':
        'steps:\n  - id: block\n    action: block_ip\n    with: { ip: "{{ incident.source_ip }}" }\n    depends_on: [evidence]\n',
    });
    expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
      {
        file: join(dir, 'playbooks', 'contain.yaml'),
        path: 'steps[0].depends_on[0]',
        line: 5,
        message: 'no step "evidence" in this playbook',
      },
    ]);
  });

  it('refuses a condition that is not CEL, or reads what does not exist, naming file, path and line', () => {
    const dir = configWith({
      'playbooks/malware.yaml': [
        `when: "'malware' in incident.types and incident.host"`,
        'steps:',
        '  - id: isolate',
        '    action: isolate_host',
        '    if: incident.hostname != null',
        '    with: { host: "{{ incident.host }}" }',
        '',
      ].join('\n'),
    });
    const file = join(dir, 'playbooks', 'malware.yaml');
    expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
      { file, path: 'when', line: 1, message: "not a valid condition: column 29: Unexpected character: 'd'" },
      { file, path: 'steps[0].if', line: 5, message: expect.stringMatching(/^unknown path "incident.hostname": incident has id, /) },
    ]);
  });

  it('reports a broken containment.yaml', () => {
    const dir = configWith({ 'containment.yaml': 'allow_list:\n  cidrs: [10.0.0.0/33]\n' });
    expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
      expect.objectContaining({ file: join(dir, 'containment.yaml'), path: 'allow_list.cidrs[0]', line: 2 }),
    ]);
  });

  describe('enrichment files', () => {
    it('loads the shipped attack.yaml, intel.yaml and assets.yaml', () => {
      const config = loadWardenConfig(shipped);
      expect([config.attack.types.sql_injection, config.intel.lists, config.assets.hosts]).toEqual([
        { techniques: ['T1190'], tactics: [] },
        [],
        [],
      ]);
    });

    it('stops on an ATT&CK id that is not in the table, naming file, path and reason', () => {
      const dir = configWith({ 'attack.yaml': 'types:\n  port_scan: { techniques: [T9999] }\n' });
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        {
          file: join(dir, 'attack.yaml'),
          path: 'types.port_scan.techniques[0]',
          message: 'ATT&CK "T9999" is not a technique of ATT&CK 18.1',
        },
      ]);
    });

    it('warns about a revoked ATT&CK id, naming its replacement', () => {
      const dir = configWith({ 'attack.yaml': 'types:\n  malware: { techniques: [T1086] }\n' });
      expect(loadWardenConfig(dir).warnings).toContainEqual({
        file: join(dir, 'attack.yaml'),
        path: 'types.malware.techniques[0]',
        message: 'ATT&CK T1086 (PowerShell) is revoked; replaced by T1059.001 (PowerShell)',
      });
    });

    it('reports a broken intel.yaml with its line', () => {
      const dir = configWith({ 'intel.yaml': 'lists:\n  - name: feed\n    format: rss\n    file: feed.xml\n' });
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        expect.objectContaining({ file: join(dir, 'intel.yaml'), path: 'lists[0].format', line: 3 }),
      ]);
    });

    it('reports a bad row in a CSV file that assets.yaml names', () => {
      const dir = configWith({ 'assets.yaml': 'csv: [cmdb.csv]\n', 'cmdb.csv': 'kind,name,criticality\nhost,db-01,severe\n' });
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        expect.objectContaining({ file: join(dir, 'cmdb.csv'), path: 'criticality', line: 2 }),
      ]);
    });
  });

  it('refuses two files for one playbook', () => {
    const dir = configWith({ 'playbooks/malware.yml': 'steps:\n  - { id: w, action: wait, with: { duration: 1s } }\n' });
    expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
      {
        file: join(dir, 'playbooks', 'malware.yml'),
        path: '',
        message: 'a second file for playbook "malware" (malware.yaml is the first)',
      },
    ]);
  });

  describe('names that cross files', () => {
    it('names a playbook a rule lists but no file defines', () => {
      const rules = readFileSync(join(shipped, 'rules.yaml'), 'utf8').replace(
        'playbooks: [sql-injection]',
        'playbooks: [sql-injection, sqli]',
      );
      const dir = configWith({ 'rules.yaml': rules });
      const problems = problemsOf(() => loadWardenConfig(dir));
      expect(problems).toEqual([
        { file: join(dir, 'rules.yaml'), path: 'rules[1].playbooks[1]', message: expect.stringMatching(/^no playbook "sqli"/) },
      ]);
    });

    it('names approval, notify and escalate roles that assignment.yaml lacks', () => {
      const dir = configWith({
        'playbooks/roles.yaml': [
          'steps:',
          '  - { id: a, action: disable_user, with: { user: "{{ incident.user }}" }, approval: { role: seniour_analyst, timeout: 5m } }',
          '  - { id: b, action: notify, with: { role: soc, message: hi } }',
          '  - { id: c, action: escalate, with: { role: ceo } }',
          '  - { id: d, action: escalate }',
          '',
        ].join('\n'),
      });
      const file = join(dir, 'playbooks', 'roles.yaml');
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        {
          file,
          path: 'steps[0].approval.role',
          message: expect.stringMatching(/^unknown role "seniour_analyst"; assignment.yaml defines junior_analyst/),
        },
        { file, path: 'steps[1].with.role', message: expect.stringMatching(/^unknown role "soc"/) },
        { file, path: 'steps[2].with.role', message: expect.stringMatching(/^unknown role "ceo"/) },
      ]);
    });

    it('names an adapter that does not exist or cannot do the action', () => {
      const dir = configWith({
        'playbooks/adapters.yaml': [
          'steps:',
          '  - { id: a, action: block_ip, with: { ip: "{{ incident.source_ip }}", adapter: cloudflare } }',
          '  - { id: b, action: block_ip, with: { ip: "{{ incident.source_ip }}", adapter: identity } }',
          '  - id: c',
          '    action: isolate_host',
          '    with: { host: "{{ incident.host }}", adapter: edr }',
          '    compensate: { with: { host: "{{ incident.host }}", adapter: identity } }',
          '  - { id: d, action: release_host, with: { host: "{{ incident.host }}", adapter: waf } }',
          '',
        ].join('\n'),
      });
      const file = join(dir, 'playbooks', 'adapters.yaml');
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        {
          file,
          path: 'steps[0].with.adapter',
          message: expect.stringMatching(/^no adapter "cloudflare" in containment.yaml; adapters are firewall, waf, identity, edr$/),
        },
        {
          file,
          path: 'steps[1].with.adapter',
          message: 'adapter "identity" (scim) cannot block_ip; a scim adapter does disable_user, enable_user',
        },
        {
          file,
          path: 'steps[2].compensate.with.adapter',
          message: 'adapter "identity" (scim) cannot release_host; a scim adapter does disable_user, enable_user',
        },
      ]);
    });

    it('checks the default adapters, and that every containment action has one', () => {
      const containment = readFileSync(join(shipped, 'containment.yaml'), 'utf8')
        .replace('disable_user: identity', 'disable_user: edr')
        .replace('  isolate_host: edr\n', '');
      const dir = configWith({ 'containment.yaml': containment });
      expect(problemsOf(() => loadWardenConfig(dir))).toEqual([
        {
          file: join(dir, 'containment.yaml'),
          path: 'defaults.disable_user',
          message: 'adapter "edr" (edr) cannot disable_user; a edr adapter does isolate_host, release_host',
        },
        {
          file: join(dir, 'playbooks', 'malware.yaml'),
          path: 'steps[0].with',
          message: 'no adapter for isolate_host: name one with adapter: <name>, or set defaults.isolate_host in containment.yaml',
        },
      ]);
    });

    it('are checked only once every file is valid on its own', () => {
      const dir = configWith({ 'assignment.yaml': 'roles: 3\n' });
      expect(problemsOf(() => loadWardenConfig(dir)).map((p) => p.file)).toEqual([join(dir, 'assignment.yaml')]);
    });
  });

  it('fails clearly on a missing directory', () => {
    expect(problemsOf(() => loadWardenConfig('/nonexistent/warden'))[0].message).toMatch(/does not exist/);
  });
});

describe('formatPath', () => {
  it('joins keys and indexes', () => {
    expect(formatPath(['rules', 2, 'match', 'severity'])).toBe('rules[2].match.severity');
  });
});
