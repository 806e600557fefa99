import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../support/histories';

// Histories recorded from real runs (test/histories, see recordHistory) must replay on the
// current workflow code: a change that is not behind patched() fails here, not in production.
describe('recorded workflow histories replay on the current code', () => {
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

  it('has the histories of every released workflow shape', () => {
    expect(files).toEqual(expect.arrayContaining(['incident-v0-placeholder.json', 'incident-escalated.json', 'incident-acknowledged.json', 'incident-reassigned.json', 'digest.json']));
  });

  it('replays each without non-determinism', async () => {
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'))) }));
    const results: { workflowId: string; error?: unknown }[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: require.resolve('../../src/temporal/workflows') }, histories)) {
      results.push({ workflowId: r.workflowId, error: r.error ? String(r.error) : undefined });
    }
    expect(results).toEqual(files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), error: undefined })));
  });
});
