/**
 * Evidence with a chain of custody: the pure parts. Each item is stored as canonical JSON
 * text and hashed over its UTF-8 bytes; a bundle's manifest lists every item's hash and the
 * previous bundle's manifest hash, so one incident's bundles form a hash chain. The audit
 * log (append-only) records every sealed bundle's hash, which anchors the chain's head.
 */
import { createHash } from 'node:crypto';

export const EVIDENCE_KINDS = ['alert', 'related_alert', 'timeline'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const RELATED_BY = ['ip', 'user', 'host'] as const;
export type RelatedBy = (typeof RELATED_BY)[number];

/** The manifest layout; bumped when its fields change meaning. 2 added `caps`, `cut` and an item's own `cut`. */
export const MANIFEST_VERSION = 2;

/**
 * What one collection was held to: at most `maxItems` of each kind read (alerts, related alerts,
 * timeline entries; the rest are counted in `omitted`), each item at most `maxItemBytes`, all
 * items together at most `maxBundleBytes` (UTF-8 bytes of the stored content).
 */
export interface EvidenceCaps {
  maxItems: number;
  maxItemBytes: number;
  maxBundleBytes: number;
}

/**
 * What was taken out of one kept item: the part at `path` (a JSON pointer into the item as it
 * would have been: `/raw` for an alert's payload, `/k` for a timeline's entries from k on), its
 * UTF-8 length and its SHA-256, so the original can still be matched against its source.
 */
export interface ItemCut {
  path: string;
  bytes: number;
  sha256: string;
}

/** `item`: over maxItemBytes even with its payload cut; `bundle`: the bundle had no room left for it. */
export type DropReason = 'item' | 'bundle';

/** An item read but not kept; `bytes` is what it would have taken. */
export interface DroppedItem {
  kind: EvidenceKind;
  ref: string | null;
  bytes: number;
  reason: DropReason;
}

/** Everything the byte caps cut from one bundle. */
export interface CutSummary {
  /** Kept items with a part taken out (each says which in its manifest entry), and the bytes taken out. */
  truncated: { items: number; bytes: number };
  /** Items left out whole, each named. */
  dropped: { items: number; bytes: number; list: DroppedItem[] };
}

export function canonicalJson(value: unknown): string {
  const ancestors = new Set<object>();
  const out = (v: unknown, path: string): string => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: () => unknown }).toJSON();
    }
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'string':
        return JSON.stringify(v);
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${String(v)} at ${path || '/'} is not a finite number`);
        return JSON.stringify(v);
      case 'object': {
        if (ancestors.has(v as object)) throw new TypeError(`canonicalJson: cycle at ${path || '/'}`);
        ancestors.add(v as object);
        let text: string;
        if (Array.isArray(v)) {
          text = `[${v.map((e, i) => out(e, `${path}/${i}`)).join(',')}]`;
        } else {
          const record = v as Record<string, unknown>;
          const members = Object.keys(record)
            .filter((k) => record[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${out(record[k], `${path}/${k}`)}`);
          text = `{${members.join(',')}}`;
        }
        ancestors.delete(v as object);
        return text;
      }
      default:
        throw new TypeError(`canonicalJson: a ${typeof v} at ${path || '/'} has no JSON form`);
    }
  };
  return out(value, '');
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface ManifestItem {
  n: number;
  kind: EvidenceKind;
  ref: string | null;
  sha256: string;
  /** UTF-8 length of the stored content. */
  bytes: number;
  /** Present when a part of the item was cut to fit maxItemBytes. */
  cut?: ItemCut;
}

export interface ManifestInput {
  incidentId: string;
  seq: number;
  runId: string | null;
  stepId: string | null;
  /** ISO 8601. */
  createdAt: string;
  previousHash: string | null;
  items: ManifestItem[];
  /** What was asked for, so a reader knows what "related" meant. */
  criteria?: { windowSeconds: number; relatedBy: RelatedBy[] };
  /** How many of each kind were past maxItems, so never read (0 when none). */
  omitted?: Partial<Record<EvidenceKind, number>>;
  caps?: EvidenceCaps;
  cut?: CutSummary;
}

/** The manifest as stored (canonical JSON) and its hash. */
export function buildManifest(input: ManifestInput): { manifest: string; manifestHash: string } {
  const manifest = canonicalJson({
    version: MANIFEST_VERSION,
    algorithm: 'sha256',
    incidentId: input.incidentId,
    seq: input.seq,
    runId: input.runId,
    stepId: input.stepId,
    createdAt: input.createdAt,
    previousHash: input.previousHash,
    criteria: input.criteria ?? null,
    omitted: input.omitted ?? {},
    caps: input.caps ?? null,
    cut: input.cut ?? null,
    items: [...input.items]
      .sort((a, b) => a.n - b.n)
      .map((i) => ({ n: i.n, kind: i.kind, ref: i.ref, sha256: i.sha256, bytes: i.bytes, cut: i.cut })),
  });
  return { manifest, manifestHash: sha256Hex(manifest) };
}

/** A stored item; `content` is the exact text that was hashed. */
export interface StoredItem {
  n: number;
  kind: string;
  ref: string | null;
  content: string;
  sha256: string;
}

/** A stored bundle: the manifest text and the columns beside it. */
export interface StoredBundle {
  seq: number;
  incidentId?: string;
  manifest: string;
  manifestHash: string;
  previousHash: string | null;
  items: StoredItem[];
}

/** A bundle the audit log recorded as sealed. */
export interface SealedBundle {
  seq: number;
  manifestHash: string;
}

export interface ChainProblem {
  seq: number;
  item?: number;
  message: string;
}

export interface ChainVerdict {
  ok: boolean;
  problems: ChainProblem[];
}

interface ParsedManifest {
  incidentId?: unknown;
  seq?: unknown;
  previousHash?: unknown;
  items?: unknown;
}

function parseManifest(text: string): ParsedManifest | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ParsedManifest) : null;
  } catch {
    return null;
  }
}

function manifestEntries(items: unknown): Map<number, Partial<ManifestItem>> | null {
  if (!Array.isArray(items)) return null;
  const entries = new Map<number, Partial<ManifestItem>>();
  for (const e of items) {
    if (e === null || typeof e !== 'object' || typeof (e as { n?: unknown }).n !== 'number') return null;
    entries.set((e as ManifestItem).n, e as Partial<ManifestItem>);
  }
  return entries;
}

const short = (hash: unknown) => (typeof hash === 'string' ? hash.slice(0, 16) : String(hash));

/** A stored bundle's manifest and columns, without its items: what a reader holds while items stream past. */
export type BundleHead = Omit<StoredBundle, 'items'>;

interface OpenBundle {
  seq: number;
  /** The manifest's entries by n; null when the manifest is unreadable or the bundle is a repeat (its items go unchecked). */
  entries: Map<number, Partial<ManifestItem>> | null;
  seen: Set<number>;
}

/**
 * Recomputes one incident's chain as it is read, one bundle and then its items, so a reader
 * holds one manifest at a time however large the chain (the database in pages, an export
 * streamed from a file): every item's hash from its content, every manifest's hash from its
 * text, each link to the previous bundle, seq running 1..n, and, when the audit log's record is
 * given to `finish` (`sealed`; null for an exported file, which has none), that every sealed
 * bundle is still there with the hash it was sealed with and that nothing unsealed joined the
 * chain. The sealed list is what catches a removed newest bundle.
 */
export class ChainCheck {
  private readonly problems: ChainProblem[] = [];
  private readonly heads = new Map<number, { manifestHash: string; previousHash: string | null }>();
  private open: OpenBundle | null = null;

  /** Starts the next bundle (any order); its items follow through `item`. */
  bundle(b: BundleHead): void {
    this.close();
    if (this.heads.has(b.seq)) {
      this.problems.push({ seq: b.seq, message: `bundle seq ${b.seq} appears more than once` });
      this.open = { seq: b.seq, entries: null, seen: new Set() };
      return;
    }
    this.heads.set(b.seq, { manifestHash: b.manifestHash, previousHash: b.previousHash });
    if (b.seq < 1) this.problems.push({ seq: b.seq, message: `bundle seq ${b.seq} is out of range (seq starts at 1)` });
    this.open = { seq: b.seq, entries: this.checkManifest(b), seen: new Set() };
  }

  /** One item of the bundle started last. */
  item(item: StoredItem): void {
    const open = this.open;
    if (!open?.entries) return;
    const seq = open.seq;
    open.seen.add(item.n);
    const entry = open.entries.get(item.n);
    if (!entry) {
      this.problems.push({ seq, item: item.n, message: `item ${item.n} is not in the manifest` });
      return;
    }
    const actual = sha256Hex(item.content);
    if (actual !== entry.sha256) {
      this.problems.push({
        seq,
        item: item.n,
        message: `item ${item.n} (${item.kind}${item.ref ? ` ${item.ref}` : ''}): content hashes to ${short(actual)}…, the manifest says ${short(entry.sha256)}… (the content was changed)`,
      });
    } else if (item.sha256 !== entry.sha256) {
      this.problems.push({ seq, item: item.n, message: `item ${item.n}: the stored sha256 differs from the manifest's` });
    }
    if (entry.kind !== item.kind || (entry.ref ?? null) !== item.ref) {
      this.problems.push({ seq, item: item.n, message: `item ${item.n}: kind or ref differs from the manifest's` });
    }
  }

  /** The verdict once every bundle was read, ordered by bundle seq and item n. */
  finish(sealed: readonly SealedBundle[] | null): ChainVerdict {
    this.close();
    const problems = [...this.problems];
    const seqs = [...this.heads.keys()].sort((a, b) => a - b);
    let expected = 1;
    for (const seq of seqs) {
      for (; expected < seq; expected++) problems.push({ seq: expected, message: `bundle seq ${expected} is missing from the chain` });
      expected = Math.max(expected, seq + 1);
    }
    for (const [seq, b] of this.heads) {
      if (seq === 1) {
        if (b.previousHash !== null)
          problems.push({ seq: 1, message: 'the first bundle links to a previous bundle; it must link to none' });
        continue;
      }
      const previous = this.heads.get(seq - 1);
      if (previous && b.previousHash !== previous.manifestHash) {
        problems.push({
          seq,
          message: `previous_hash ${short(b.previousHash)}… does not match bundle seq ${seq - 1}'s manifest hash ${short(previous.manifestHash)}…`,
        });
      }
    }
    if (sealed) {
      const sealedSeqs = new Set<number>();
      for (const s of [...sealed].sort((a, b) => a.seq - b.seq)) {
        sealedSeqs.add(s.seq);
        const b = this.heads.get(s.seq);
        if (!b) {
          // A gap inside the chain is reported above; past the stored head only the audit log knows.
          if (s.seq >= expected) problems.push({ seq: s.seq, message: `bundle seq ${s.seq} was sealed (audit log) but is missing` });
        } else if (b.manifestHash !== s.manifestHash) {
          problems.push({
            seq: s.seq,
            message: `manifest hash ${short(b.manifestHash)}… differs from the one sealed in the audit log ${short(s.manifestHash)}…`,
          });
        }
      }
      for (const seq of this.heads.keys()) {
        if (!sealedSeqs.has(seq)) problems.push({ seq, message: `bundle seq ${seq} was never sealed in the audit log` });
      }
    }
    problems.sort((a, b) => a.seq - b.seq || (a.item ?? 0) - (b.item ?? 0));
    return { ok: problems.length === 0, problems };
  }

  /** The items the open bundle's manifest lists that never came. */
  private close(): void {
    const open = this.open;
    this.open = null;
    if (!open?.entries) return;
    for (const n of [...open.entries.keys()].sort((x, y) => x - y)) {
      if (!open.seen.has(n)) this.problems.push({ seq: open.seq, item: n, message: `item ${n} is in the manifest but missing` });
    }
  }

  /** Manifest hash and fields against the columns; its entries by n, or null when it cannot be read. */
  private checkManifest(b: BundleHead): Map<number, Partial<ManifestItem>> | null {
    const seq = b.seq;
    const actualManifestHash = sha256Hex(b.manifest);
    if (actualManifestHash !== b.manifestHash) {
      this.problems.push({
        seq,
        message: `manifest hash recomputes to ${short(actualManifestHash)}…, not the stored ${short(b.manifestHash)}… (the manifest was changed)`,
      });
    }
    const manifest = parseManifest(b.manifest);
    const entries = manifest && manifestEntries(manifest.items);
    if (!manifest || !entries) {
      this.problems.push({ seq, message: 'the manifest is not a readable manifest; its items cannot be checked' });
      return null;
    }
    if (manifest.seq !== seq)
      this.problems.push({ seq, message: `the manifest says seq ${String(manifest.seq)}, the bundle row says ${seq}` });
    if ((manifest.previousHash ?? null) !== b.previousHash) {
      this.problems.push({ seq, message: 'the manifest and the bundle row disagree on previous_hash' });
    }
    if (b.incidentId !== undefined && manifest.incidentId !== b.incidentId) {
      this.problems.push({ seq, message: `the manifest names incident ${String(manifest.incidentId)}, not ${b.incidentId}` });
    }
    return entries;
  }
}

/** ChainCheck over bundles held in memory, each with its items. */
export function verifyChain(bundles: readonly StoredBundle[], sealed: readonly SealedBundle[] | null): ChainVerdict {
  const check = new ChainCheck();
  for (const { items, ...head } of [...bundles].sort((a, b) => a.seq - b.seq)) {
    check.bundle(head);
    for (const item of items) check.item(item);
  }
  return check.finish(sealed);
}

/**
 * What the caps cut from a bundle, read back from its manifest text (null when nothing was cut,
 * the manifest predates caps or cannot be read): for verify to say the bundle is partial.
 */
export function cutOf(manifestText: string): CutSummary | null {
  const cut = (parseManifest(manifestText) as { cut?: unknown } | null)?.cut;
  if (cut === null || typeof cut !== 'object') return null;
  const { truncated, dropped } = cut as Partial<CutSummary>;
  if (typeof truncated?.items !== 'number' || typeof dropped?.items !== 'number') return null;
  return truncated.items + dropped.items > 0 ? (cut as CutSummary) : null;
}

/**
 * A stored text for an export: parsed for readers, plus the exact text whenever re-encoding the
 * parsed value would not give it back (it was edited into other JSON, or is not JSON at all),
 * so a file verifies exactly what the database holds.
 */
export function exportedText(text: string): { value: unknown; exact?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { value: null, exact: text };
  }
  return canonicalJson(value) === text ? { value } : { value, exact: text };
}

/**
 * A stored text as members of an export line: `"<name>":<text>` as it is when it hashes to
 * `sealedHash`, since it is then what collect wrote (canonical JSON, which a reader re-encoding
 * gets back byte for byte) and needs neither parsing nor encoding again: that keeps exporting a
 * storm's bundle cheap. Any other text goes as exportedText gives it, its exact text in
 * `"<exactName>"` when re-encoding would not give it back.
 */
export function exportedMembers(name: string, exactName: string, text: string, sealedHash: string): string {
  if (text !== '' && sha256Hex(text) === sealedHash) return `${JSON.stringify(name)}:${text}`;
  const { value, exact } = exportedText(text);
  const members = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  return exact === undefined ? members : `${members},${JSON.stringify(exactName)}:${JSON.stringify(exact)}`;
}

/** The stored text back from an export: the exact text when given, else the canonical form of the value. */
export const storedText = (value: unknown, exact?: string): string => exact ?? canonicalJson(value);
