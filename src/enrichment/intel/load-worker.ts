// A worker thread's body (load-off-thread.ts): reads, parses and packs one list, so a refresh's
// heavy part never runs on the api's event loop.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { IntelListConfig } from './intel.schema';
import { loadList } from './load';
import { packV4 } from './packed';

const { list, configDir } = workerData as { list: IntelListConfig; configDir: string };

// Linux keeps a nice value per thread: this one yields the CPU to ingest (elsewhere the call would
// lower the whole process, so it is made only here).
if (process.platform === 'linux') setPriority(19);

loadList(list, configDir).then(
  (loaded) => {
    const { packed, rest } = packV4(list.name, loaded.indicators);
    const buffers = [...packed.networks.values()].map((keys) => keys.buffer as ArrayBuffer);
    parentPort!.postMessage({ packed, rest, skipped: loaded.skipped, count: loaded.indicators.length }, buffers);
  },
  (err: unknown) => parentPort!.postMessage({ error: (err as Error).message }),
);
