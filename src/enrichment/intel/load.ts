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
  // A long list is parsed a slice at a time, between turns of the event loop: the api keeps
  // answering while a million indicators are read.
  const parse = async (text: string): Promise<Parsed> => {
    switch (list.format) {
      case 'text':
        return inSlices(lineSlices(text, false), (slice) => parseTextList(slice, defaults, list.kind));
      case 'csv': {
        const { header, body } = list.csv.header ? splitHeader(text) : { header: undefined, body: text };
        const withHeader = (slice: string) => (header === undefined ? slice : `${header}\n${slice}`);
        return inSlices(lineSlices(body, true), (slice) => parseCsvList(withHeader(slice), defaults, list.csv, list.kind));
      }
      case 'stix': {
        const bundle: unknown = JSON.parse(text);
        if (!isBundle(bundle)) return parseStixBundle(bundle, defaults);
        const { objects } = bundle;
        const slices = Array.from({ length: Math.ceil(objects.length / SLICE) }, (_, n) => objects.slice(n * SLICE, (n + 1) * SLICE));
        return inSlices(slices, (slice) => parseStixBundle({ ...bundle, objects: slice }, defaults));
      }
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
    for (const uuid of uuids) {
      results.push(await parse(await read(path(`${uuid}.json`))));
      await breathe();
    }
  } else {
    results = [await parse(await read(list.url !== undefined ? '' : where))];
  }
  const loaded: LoadedList = { name: list.name, indicators: [], skipped: {} };
  for (const r of results) {
    for (const i of r.indicators) loaded.indicators.push(i);
    for (const [reason, n] of Object.entries(r.skipped)) loaded.skipped[reason] = (loaded.skipped[reason] ?? 0) + n;
  }
  return loaded;
}

/** Lines (or STIX objects) parsed between two turns of the event loop. */
const SLICE = 2_000;

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Parses each slice, letting the event loop run in between, and merges what they found. */
async function inSlices<T>(slices: Iterable<T>, parseSlice: (slice: T) => Parsed): Promise<Parsed> {
  const merged: Parsed = { indicators: [], skipped: {} };
  for (const slice of slices) {
    const p = parseSlice(slice);
    for (const i of p.indicators) merged.indicators.push(i);
    for (const [reason, n] of Object.entries(p.skipped)) merged.skipped[reason] = (merged.skipped[reason] ?? 0) + n;
    await breathe();
  }
  return merged;
}

/**
 * The text in slices of about SLICE lines, each ending at a line end. For CSV (`quoted`), a
 * slice ends only where an even number of `"` came before, so a quoted value that spans lines
 * stays in one slice (RFC 4180 writes a quote inside a value as two).
 */
export function* lineSlices(text: string, quoted: boolean): Generator<string> {
  let start = 0;
  let lines = 0;
  let quotes = 0;
  for (let at = 0; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c === 34 /* " */) quotes++;
    else if (c === 10 /* \n */ && ++lines >= SLICE && (!quoted || quotes % 2 === 0)) {
      yield text.slice(start, at + 1);
      start = at + 1;
      lines = 0;
    }
  }
  if (start < text.length) yield text.slice(start);
}

/** A CSV's header line (the first that is neither empty nor a `#` comment) and the rest. */
export function splitHeader(text: string): { header?: string; body: string } {
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end).trim();
    if (line !== '' && !line.startsWith('#')) return { header: line, body: end < 0 ? '' : text.slice(end + 1) };
    if (end < 0) break;
    at = end + 1;
  }
  return { body: '' };
}

const isBundle = (v: unknown): v is { objects: unknown[] } & Record<string, unknown> =>
  v !== null && typeof v === 'object' && Array.isArray((v as { objects?: unknown }).objects);

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
