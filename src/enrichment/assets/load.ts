import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError, formatPath, loadYamlFile, type ConfigProblem } from '../../common/config-files';
import { AssetLookup } from './assets';
import { assetsFileSchema, hostAssetSchema, networkAssetSchema, userAssetSchema, type AssetsFile } from './assets.schema';

const CSV_COLUMNS = ['kind', 'name', 'criticality', 'owner', 'team', 'tags'] as const;

/** Validates config/assets.yaml alone (start-up and `warden config validate`); the CSV files are read by loadAssets. */
export const loadAssetsFile = (configDir: string): AssetsFile => loadYamlFile(join(configDir, 'assets.yaml'), assetsFileSchema);

/**
 * Reads config/assets.yaml and the CSV files it names into a new lookup. Call it again to
 * reload; a bad file throws a ConfigError naming the file, the line and the field, and the
 * caller keeps the lookup it had.
 */
export function loadAssets(configDir: string): AssetLookup {
  const file = loadAssetsFile(configDir);
  const problems: ConfigProblem[] = [];
  const hosts = [...file.hosts];
  const networks = [...file.networks];
  const users = [...file.users];
  for (const name of file.csv) {
    const path = isAbsolute(name) ? name : join(configDir, name);
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true, comment: '#' }) as Record<
        string,
        string
      >[];
    } catch (err) {
      problems.push({ file: path, path: '', message: (err as Error).message.split('\n')[0] });
      continue;
    }
    rows.forEach((row, i) => {
      const line = i + 2; // after the header
      const extra = Object.keys(row).filter((k) => !(CSV_COLUMNS as readonly string[]).includes(k));
      if (extra.length > 0) problems.push({ file: path, path: '', line, message: `unknown column ${extra.join(', ')}` });
      const base = {
        criticality: row.criticality,
        ...(row.owner ? { owner: row.owner } : {}),
        ...(row.team ? { team: row.team } : {}),
        tags: row.tags
          ? row.tags
              .split(';')
              .map((t) => t.trim())
              .filter(Boolean)
          : [],
      };
      const parsed =
        row.kind === 'host'
          ? hostAssetSchema.safeParse({ name: row.name, ...base })
          : row.kind === 'network'
            ? networkAssetSchema.safeParse({ cidr: row.name, ...base })
            : row.kind === 'user'
              ? userAssetSchema.safeParse({ name: row.name, ...base })
              : undefined;
      if (!parsed) {
        problems.push({ file: path, path: 'kind', line, message: 'must be host, network or user' });
      } else if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const column = issue.path[0] === 'cidr' ? 'name' : formatPath(issue.path);
          problems.push({ file: path, path: column, line, message: issue.message });
        }
      } else if (row.kind === 'host') hosts.push(parsed.data as (typeof hosts)[number]);
      else if (row.kind === 'network') networks.push(parsed.data as (typeof networks)[number]);
      else users.push(parsed.data as (typeof users)[number]);
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return new AssetLookup({ hosts, networks, users });
}
