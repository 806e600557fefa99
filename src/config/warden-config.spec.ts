import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
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
  it('accepts the shipped config/ directory', () => {
    expect(() => loadWardenConfig(join(__dirname, '..', '..', 'config'))).not.toThrow();
  });

  it('collects the problems of every broken file at once', () => {
    const dir = tempDir();
    cpSync(join(__dirname, '..', '..', 'config'), dir, { recursive: true });
    writeFileSync(join(dir, 'rules.yaml'), 'rulez: []\n');
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'block-ip.yaml'), 'steps: [\n');
    const problems = problemsOf(() => loadWardenConfig(dir));
    expect(problems.map((p) => p.file)).toEqual([join(dir, 'rules.yaml'), join(dir, 'playbooks', 'block-ip.yaml')]);
    expect(problems[0].message).toMatch(/rulez/);
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
