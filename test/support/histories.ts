import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporalCliPath } from './temporal-server';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/** `sha256sum` format, names relative to HISTORIES_DIR: `cd test/histories && sha256sum -c SHA256SUMS` checks it. */
export const HISTORIES_MANIFEST = join(HISTORIES_DIR, 'SHA256SUMS');

export interface ManifestEntry {
  file: string;
  sha256: string;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The manifest's lines in order; a line that is not `<sha256>  <name>.json` throws. */
export function readManifest(): ManifestEntry[] {
  return readFileSync(HISTORIES_MANIFEST, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const m = /^([0-9a-f]{64}) [ *]([^/\\]+\.json)$/.exec(line);
      if (!m) throw new Error(`${HISTORIES_MANIFEST}: not a "<sha256>  <name>.json" line: ${JSON.stringify(line)}`);
      return { sha256: m[1], file: m[2] };
    });
}

/**
 * With RECORD_HISTORIES=1, saves a finished workflow's history to a NEW file in test/histories
 * for the replay suite, and appends its SHA-256 to SHA256SUMS. Record after a workflow change
 * that is meant to be compatible (behind patched()), and commit both.
 *
 * Committed histories are append-only, so this never overwrites: it writes `<name>.json` if
 * that is free, else `<name>-2.json`, `<name>-3.json`, ... (the first free one, created with
 * O_EXCL so parallel suites cannot race). Recording twice therefore adds two files; delete the
 * ones you do not mean to commit, together with their SHA256SUMS lines, before committing.
 * Returns the file name written, or undefined when not recording.
 */
export function recordHistory(address: string, workflowId: string, name: string): string | undefined {
  if (!process.env.RECORD_HISTORIES) return undefined;
  const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json']);
  for (let n = 1; ; n++) {
    const file = n === 1 ? `${name}.json` : `${name}-${n}.json`;
    try {
      writeFileSync(join(HISTORIES_DIR, file), json, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    // One short O_APPEND write per line, so lines from parallel suites do not interleave.
    appendFileSync(HISTORIES_MANIFEST, `${sha256(json)}  ${file}\n`);
    return file;
  }
}
