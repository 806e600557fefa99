import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadYamlFile } from '../../common/config-files';
import { validateAlert } from '../security-alert';
import { FORMATS, formatTablesSchema, isFormatName, normalizers, type FormatName } from './index';
import type { NormalizedItem } from './types';

const root = join(__dirname, '..', '..', '..');
const shippedFile = join(root, 'config', 'formats.yaml');
const tables = loadYamlFile(shippedFile, formatTablesSchema);
const readJson = (...path: string[]) => JSON.parse(readFileSync(join(root, 'test', 'fixtures', ...path), 'utf8'));

const samples: Record<FormatName, unknown[]> = {
  suricata: readJson('suricata', 'sample.json'),
  alertmanager: [
    readJson('alertmanager', 'webhook.json'),
    ...readJson('alertmanager', 'prometheus-am-executor.json'),
    ...readJson('alertmanager', 'calert.json'),
    ...readJson('alertmanager', 'prometheus-msteams.json'),
  ],
  wazuh: readJson('wazuh', 'alerts.json'),
  falco: readJson('falco', 'events.json'),
  ecs: [...readJson('ecs', 'events.json'), ...readJson('ecs', 'elastic-integrations-system.json')],
};

const issuesOf = (input: unknown) => {
  const result = formatTablesSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

type Path = Array<string | number>;

/** Every path inside a JSON value, the root included. */
const pathsOf = (value: unknown, prefix: Path = []): Path[] =>
  value !== null && typeof value === 'object'
    ? [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k]))]
    : [prefix];

/** A copy of `record` with the value at `path` replaced, or deleted when `replacement` is absent. */
function mutate(record: unknown, path: Path, replacement: { value: unknown } | null): unknown {
  if (path.length === 0) return replacement?.value;
  const copy = structuredClone(record) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement) parent[last] = replacement.value;
  else delete parent[last];
  return copy;
}

const wellFormed = (items: NormalizedItem[]) =>
  Array.isArray(items) &&
  items.every(
    (item) =>
      (item.alert === undefined) !== (item.errors === undefined) &&
      (item.warnings === undefined || item.alert !== undefined) &&
      [...(item.errors ?? []), ...(item.warnings ?? [])].every(
        (e) => e.path.startsWith('/') && typeof e.message === 'string' && e.message.length > 0,
      ),
  );

describe('normalizers index', () => {
  describe('normalizers', () => {
    it('has one normalizer per format', () => {
      expect(Object.keys(normalizers).sort()).toEqual([...FORMATS].sort());
      expect(isFormatName('falco')).toBe(true);
      expect(isFormatName('native')).toBe(false);
      expect(isFormatName('__proto__')).toBe(false);
    });

    it.each(FORMATS)('%s maps its fixtures with the shipped tables', (format) => {
      const items = samples[format].flatMap((record) => normalizers[format](record, tables));
      expect(items.length).toBeGreaterThan(0);
      expect(items.filter((i) => i.errors)).toEqual([]);
    });

    it('hands each normalizer its own section of the tables', () => {
      const custom = formatTablesSchema.parse({ falco: { priority: { notice: 'critical' } } });
      expect(normalizers.falco(samples.falco[0], custom)[0].alert?.severity).toBe('critical');
    });
  });

  describe('never throwing', () => {
    it.each(FORMATS)('%s answers any JSON value with well-formed items', (format) => {
      fc.assert(
        fc.property(fc.jsonValue(), (record) => wellFormed(normalizers[format](record, tables))),
        { numRuns: 300 },
      );
    });

    it.each(FORMATS)('%s answers its fixtures with any one field replaced or removed', (format) => {
      const records = samples[format];
      fc.assert(
        fc.property(
          fc.nat({ max: records.length - 1 }),
          fc.nat(),
          fc.option(fc.record({ value: fc.anything() })),
          (which, pathIndex, replacement) => {
            const paths = pathsOf(records[which]);
            const record = mutate(records[which], paths[pathIndex % paths.length], replacement);
            return wellFormed(normalizers[format](record, tables));
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('over-long text', () => {
    // Every mapped field is fitted by the normalizer, which names the record's own field; validation then clips nothing.
    it.each(FORMATS)('%s fits any field of its fixtures replaced by long text, leaving validation nothing to clip', (format) => {
      const records = samples[format];
      const longText = fc.integer({ min: 1001, max: 20_000 }).map((n) => 'w'.repeat(n));
      fc.assert(
        fc.property(fc.nat({ max: records.length - 1 }), fc.nat(), longText, (which, pathIndex, text) => {
          const paths = pathsOf(records[which]).filter((p) => p.length > 0);
          const record = mutate(records[which], paths[pathIndex % paths.length], { value: text });
          for (const item of normalizers[format](record, tables)) {
            if (!item.alert) continue;
            const validation = validateAlert(item.alert);
            if (!validation.ok) return false;
            if (validation.warnings !== undefined) throw new Error(`validation clipped ${JSON.stringify(validation.warnings)}`);
          }
          return true;
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('formatTablesSchema', () => {
    it('accepts the shipped config/formats.yaml', () => {
      expect(tables.suricata.default_type).toBe('suspicious_traffic');
      expect(Object.keys(tables.suricata.categories).length).toBeGreaterThan(30);
    });

    it('fills every section from defaults when the file is empty', () => {
      const defaults = formatTablesSchema.parse({});
      expect(defaults.suricata.severity).toEqual({ '1': 'high', '2': 'medium', '3': 'low' });
      expect(defaults.wazuh.severity_min_level).toEqual({ critical: 12, high: 8, medium: 4 });
      expect(defaults.ecs.severity_min_score).toEqual({ critical: 74, high: 48, medium: 22 });
      expect(defaults.falco.priority.warning).toBe('medium');
      expect(defaults.alertmanager.severity.page).toBe('critical');
      expect(FORMATS.map((format) => defaults[format].default_severity)).toEqual(['medium', 'medium', 'medium', 'medium', 'medium']);
      expect(defaults.ecs.default_type).toBe('security_event');
      expect(formatTablesSchema.parse(undefined)).toEqual(defaults);
    });

    it('fills a missing key of a section and keeps the given ones', () => {
      const parsed = formatTablesSchema.parse({ suricata: { default_type: 'ids_alert' } });
      expect(parsed.suricata).toMatchObject({ default_type: 'ids_alert', severity: { '1': 'high' }, categories: {} });
    });

    it.each([
      [{ suricta: {} }, '', /suricta/],
      [{ suricata: { categorys: {} } }, 'suricata', /categorys/],
      [{ suricata: { categories: { 'Misc Attack': 'Misc Attack' } } }, 'suricata.categories.Misc Attack', /lower-case/],
      [{ suricata: { severity: { 1: 'urgent' } } }, 'suricata.severity.1', /low|critical/],
      [
        { suricata: { signature_overrides: [{ pattern: '(unclosed', type: 'x' }] } },
        'suricata.signature_overrides.0.pattern',
        /regular expression/,
      ],
      [{ wazuh: { severity_min_level: { critical: 8, high: 12 } } }, 'wazuh.severity_min_level', /rise/],
      [{ wazuh: { groups: [{ groups: [], type: 'x' }] } }, 'wazuh.groups.0.groups', /.+/],
      [{ ecs: { severity_min_score: { critical: 120 } } }, 'ecs.severity_min_score.critical', /.+/],
      [{ falco: { priority: { Warning: 'medium' } } }, 'falco.priority.Warning', /lower-case/],
      [{ alertmanager: { default_severity: 'urgent' } }, 'alertmanager.default_severity', /low|critical/],
      [{ ecs: { default_type: 'Security Event' } }, 'ecs.default_type', /lower-case/],
    ])('rejects %j at %s', (input, path, message) => {
      expect(issuesOf(input)).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    });

    it('reports a bad formats.yaml with the file, the path and the line', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'warden-formats-')), 'formats.yaml');
      writeFileSync(file, 'suricata:\n  categories:\n    Misc Attack: Misc Attack\n');
      expect(() => loadYamlFile(file, formatTablesSchema)).toThrow(ConfigError);
      expect(() => loadYamlFile(file, formatTablesSchema)).toThrow(`${file}:3 at suricata.categories.Misc Attack`);
    });
  });
});
