import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { IntelListConfig } from './intel.schema';
import { IntelHolder, type Indicator } from './indicator';
import { loadListOffThread } from './load-off-thread';
import {
  mispManifestEvents,
  parseCsvList,
  parseMispEvent,
  parseStixBundle,
  parseTextList,
  type ListDefaults,
  type Parsed,
} from './parsers';

/** What the loaders read through: the file system and fetch, injected so tests need no internet. */
export interface IntelIo {
  readFile(path: string): Promise<string>;
  isDirectory(path: string): Promise<boolean>;
  fetch: typeof fetch;
}

export const nodeIo: IntelIo = {
  readFile: (path) => readFile(path, 'utf8'),
  isDirectory: async (path) => (await stat(path)).isDirectory(),
  fetch: (...args) => fetch(...args),
};

/** A body bigger than this is refused (a list of a million indicators is ~50 MB). */
export const MAX_LIST_BYTES = 256 * 1024 * 1024;

export interface LoadedList {
  name: string;
  indicators: Indicator[];
  skipped: Record<string, number>;
}

/** Reads one list (file or URL) and parses it. Throws with the reason when it cannot be read. */
export async function loadList(list: IntelListConfig, configDir: string, io: IntelIo = nodeIo): Promise<LoadedList> {
  const defaults: ListDefaults = {
    list: list.name,
    confidence: list.confidence,
    ...(list.max_age !== undefined ? { maxAgeMs: list.max_age * 1000 } : {}),
  };
  const read =
    list.url !== undefined ? (path: string) => fetchText(io, joinUrl(list.url!, path), list.timeout) : (path: string) => io.readFile(path);
  const where = list.url ?? (isAbsolute(list.file!) ? list.file! : join(configDir, list.file!));
  const parse = (text: string): Parsed => {
    switch (list.format) {
      case 'text':
        return parseTextList(text, defaults, list.kind);
      case 'csv':
        return parseCsvList(text, defaults, list.csv, list.kind);
      case 'stix':
        return parseStixBundle(JSON.parse(text), defaults);
      case 'misp':
        return parseMispEvent(JSON.parse(text), defaults, { toIdsOnly: list.misp.to_ids_only });
    }
  };

  let results: Parsed[];
  if (list.format === 'misp' && (list.url !== undefined || (await io.isDirectory(where)))) {
    // A feed: manifest.json names the events, each served as <uuid>.json beside it.
    const base = list.url !== undefined ? '' : where;
    const path = (name: string) => (list.url !== undefined ? name : join(base, name));
    const uuids = mispManifestEvents(JSON.parse(await read(path('manifest.json'))));
    results = [];
    for (const uuid of uuids) results.push(parse(await read(path(`${uuid}.json`))));
  } else {
    results = [parse(await read(list.url !== undefined ? '' : where))];
  }
  const loaded: LoadedList = { name: list.name, indicators: [], skipped: {} };
  for (const r of results) {
    for (const i of r.indicators) loaded.indicators.push(i);
    for (const [reason, n] of Object.entries(r.skipped)) loaded.skipped[reason] = (loaded.skipped[reason] ?? 0) + n;
  }
  return loaded;
}

/** `https://feed.example/misp/` + `manifest.json`; an empty name is the URL itself. */
function joinUrl(base: string, name: string): string {
  if (name === '') return base;
  return new URL(name, base.endsWith('/') ? base : `${base}/`).href;
}

async function fetchText(io: IntelIo, url: string, timeoutSeconds: number): Promise<string> {
  const res = await io.fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: 'follow' });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_LIST_BYTES) throw new Error(`${url} is ${length} bytes, over ${MAX_LIST_BYTES}`);
  const text = await res.text();
  if (text.length > MAX_LIST_BYTES) throw new Error(`${url} is over ${MAX_LIST_BYTES} bytes`);
  return text;
}

/**
 * Loads every configured list into the holder, one list at a time, each swapped in as soon as
 * it is built. A list that fails keeps what it had (nothing on a first load), with one log line.
 */
export async function loadIntel(
  lists: readonly IntelListConfig[],
  configDir: string,
  holder: IntelHolder,
  log: (message: string) => void,
  io: IntelIo = nodeIo,
  /** Read each list in a worker thread (the api: this thread never holds a list's million objects). */
  offThread = false,
): Promise<{ name: string; indicators: number; skipped: Record<string, number>; error?: string }[]> {
  const summary = [];
  for (const list of lists) {
    try {
      if (offThread) {
        const loaded = await loadListOffThread(list, configDir);
        await holder.replacePacked(list.name, loaded.packed, loaded.rest);
        summary.push({ name: list.name, indicators: loaded.count, skipped: loaded.skipped });
        continue;
      }
      const loaded = await loadList(list, configDir, io);
      holder.replaceList(list.name, loaded.indicators);
      summary.push({ name: list.name, indicators: loaded.indicators.length, skipped: loaded.skipped });
    } catch (err) {
      const error = (err as Error).message.split('\n')[0];
      log(`intel list ${list.name} not loaded: ${error}`);
      summary.push({ name: list.name, indicators: holder.current.lists.get(list.name)?.size ?? 0, skipped: {}, error });
    }
  }
  holder.keepOnly(lists.map((l) => l.name));
  return summary;
}
