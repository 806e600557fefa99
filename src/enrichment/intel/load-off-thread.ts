import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Indicator } from './indicator';
import type { IntelListConfig } from './intel.schema';
import type { PackedV4 } from './packed';

export interface LoadedOffThread {
  packed: PackedV4;
  /** The indicators not packed (domains, URLs, hashes, IPv6, and any with an event or a validity). */
  rest: Indicator[];
  skipped: Record<string, number>;
  count: number;
}

/**
 * Reads, parses and packs one list in a worker thread: the api's event loop only receives the
 * packed arrays (moved, not copied) and the indicators that are not plain IPv4. Run from the
 * TypeScript sources (tests), the worker loads them through ts-node.
 */
export function loadListOffThread(list: IntelListConfig, configDir: string): Promise<LoadedOffThread> {
  const script = join(__dirname, `load-worker${extname(__filename)}`);
  const worker = new Worker(script, {
    workerData: { list, configDir },
    execArgv: script.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [],
  });
  return new Promise<LoadedOffThread>((resolve, reject) => {
    worker.once('message', (m: LoadedOffThread | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the list's worker thread stopped (exit code ${code})`)));
  }).finally(() => void worker.terminate());
}
