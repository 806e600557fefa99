import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, readManifest, sha256 } from '../support/histories';

// Histories recorded from real runs (test/histories, see recordHistory) must replay on the
// current workflow code: a change that is not behind patched() fails here, not in production.
describe('recorded workflow histories replay on the current code', () => {
  const files = readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has the histories of every released workflow shape', () => {
    expect(files).toEqual(
      expect.arrayContaining(['incident-escalated.json', 'incident-acknowledged.json', 'incident-reassigned.json', 'digest.json']),
    );
  });

  it('replays each without non-determinism', async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'))),
    }));
    const results: { workflowId: string; error?: unknown }[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../../src/temporal/workflows') }, histories)) {
      results.push({ workflowId: r.workflowId, error: r.error ? String(r.error) : undefined });
    }
    expect(results).toEqual(files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), error: undefined })));
  });
});

// Committed histories are append-only: changing or deleting one would let an incompatible
// workflow change pass the replay above. Add new ones with recordHistory; never edit SHA256SUMS lines.
describe('committed workflow histories are append-only (test/histories/SHA256SUMS)', () => {
  it('still has every history in the manifest, unchanged', () => {
    const manifest = readManifest();
    const actual = manifest.map(({ file }) => {
      const present = readdirSync(HISTORIES_DIR).includes(file);
      return { file, sha256: present ? sha256(readFileSync(join(HISTORIES_DIR, file))) : 'missing' };
    });
    expect(actual).toEqual(manifest);
  });

  it('lists every history file in the manifest', () => {
    const listed = new Set(readManifest().map(({ file }) => file));
    const unlisted = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json') && !listed.has(f));
    expect(unlisted).toEqual([]);
  });
});
