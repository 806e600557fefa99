import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dropDatabase, ensureDatabase, migrate } from '../../src/database/database';

const root = join(__dirname, '..', '..');

/**
 * A database of the suite's own, migrated. Suites that run the outbox dispatcher and the
 * assignment need one: in the shared database other suites' incidents would reach their
 * workflows and fill analysts' capacity.
 */
export async function isolatedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl, 'up');
  return { url: databaseUrl, drop: () => dropDatabase(databaseUrl) };
}

type Doc = Record<string, any>;

/**
 * A copy of config/ with edits to the parsed YAML files, e.g. SLA durations in seconds.
 * Working hours always cover the test's clock unless the edit says otherwise, so the
 * outcome never depends on the day the suite runs.
 */
export function testConfigDir(
  edit: {
    sla?: (doc: Doc) => void;
    assignment?: (doc: Doc) => void;
    rules?: (doc: Doc) => void;
    containment?: (doc: Doc) => void;
    /** Files to add or replace, by path under config/ (e.g. `playbooks/test.yaml`). */
    files?: Record<string, string>;
  } = {},
): {
  dir: string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
  cpSync(join(root, 'config'), dir, { recursive: true });
  const rewrite = (file: string, change?: (doc: Doc) => void) => {
    const path = join(dir, file);
    const doc = parse(readFileSync(path, 'utf8')) as Doc;
    change?.(doc);
    writeFileSync(path, stringify(doc));
  };
  rewrite('assignment.yaml', (doc) => {
    doc.working_hours = { ...doc.working_hours, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' };
    edit.assignment?.(doc);
  });
  rewrite('sla.yaml', edit.sla);
  rewrite('rules.yaml', edit.rules);
  if (edit.containment) rewrite('containment.yaml', edit.containment);
  for (const [file, text] of Object.entries(edit.files ?? {})) writeFileSync(join(dir, file), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
