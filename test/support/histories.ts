import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporalCliPath } from './temporal-server';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a finished workflow's history to test/histories/<name>.json
 * for the replay suite. Record after a workflow change that is meant to be compatible, and commit.
 */
export function recordHistory(address: string, workflowId: string, name: string): void {
  if (!process.env.RECORD_HISTORIES) return;
  const json = execFileSync(temporalCliPath(), ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json']);
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), json);
}
