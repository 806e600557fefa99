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

/** The manifest layout; bumped if its fields ever change meaning. */
export const MANIFEST_VERSION = 1;

/**
 * JSON with object keys sorted (UTF-16 code units, as RFC 8785), no whitespace, so one value
 * always gives the same text. Like JSON, `toJSON` is honoured (dates) and undefined object
 * members are left out; anything JSON cannot say faithfully (non-finite numbers, bigint,
 * functions, cycles) is refused rather than silently changed.
 */
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
  /** How many of each kind the caps left out (0 when none). */
  omitted?: Partial<Record<EvidenceKind, number>>;
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
    items: [...input.items].sort((a, b) => a.n - b.n).map((i) => ({ n: i.n, kind: i.kind, ref: i.ref, sha256: i.sha256, bytes: i.bytes })),
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

/**
 * Recomputes one incident's chain from what is stored: every item's hash from its content,
 * every manifest's hash from its text, each link to the previous bundle, seq running 1..n,
 * and, when the audit log's record is given (`sealed`; null for an exported file, which has
 * none), that every sealed bundle is still there with the hash it was sealed with and that
 * nothing unsealed joined the chain. The sealed list is what catches a removed newest bundle.
 */
export function verifyChain(bundles: readonly StoredBundle[], sealed: readonly SealedBundle[] | null): ChainVerdict {
  const problems: ChainProblem[] = [];
  const sorted = [...bundles].sort((a, b) => a.seq - b.seq);
  const bySeq = new Map<number, StoredBundle>();

  let expected = 1;
  for (const b of sorted) {
    if (bySeq.has(b.seq)) {
      problems.push({ seq: b.seq, message: `bundle seq ${b.seq} appears more than once` });
      continue;
    }
    bySeq.set(b.seq, b);
    for (; expected < b.seq; expected++) problems.push({ seq: expected, message: `bundle seq ${expected} is missing from the chain` });
    if (b.seq < 1) problems.push({ seq: b.seq, message: `bundle seq ${b.seq} is out of range (seq starts at 1)` });
    expected = Math.max(expected, b.seq + 1);
  }

  for (const b of bySeq.values()) {
    problems.push(...verifyBundle(b));
    if (b.seq === 1) {
      if (b.previousHash !== null) problems.push({ seq: 1, message: 'the first bundle links to a previous bundle; it must link to none' });
    } else {
      const previous = bySeq.get(b.seq - 1);
      if (previous && b.previousHash !== previous.manifestHash) {
        problems.push({
          seq: b.seq,
          message: `previous_hash ${short(b.previousHash)}… does not match bundle seq ${previous.seq}'s manifest hash ${short(previous.manifestHash)}…`,
        });
      }
    }
  }

  if (sealed) {
    const sealedSeqs = new Set<number>();
    for (const s of [...sealed].sort((a, b) => a.seq - b.seq)) {
      sealedSeqs.add(s.seq);
      const b = bySeq.get(s.seq);
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
    for (const b of bySeq.values()) {
      if (!sealedSeqs.has(b.seq)) problems.push({ seq: b.seq, message: `bundle seq ${b.seq} was never sealed in the audit log` });
    }
  }

  problems.sort((a, b) => a.seq - b.seq || (a.item ?? 0) - (b.item ?? 0));
  return { ok: problems.length === 0, problems };
}

/** One bundle on its own: manifest hash, manifest fields against the columns, every item. */
function verifyBundle(b: StoredBundle): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const seq = b.seq;
  const actualManifestHash = sha256Hex(b.manifest);
  if (actualManifestHash !== b.manifestHash) {
    problems.push({
      seq,
      message: `manifest hash recomputes to ${short(actualManifestHash)}…, not the stored ${short(b.manifestHash)}… (the manifest was changed)`,
    });
  }
  const manifest = parseManifest(b.manifest);
  const entries = manifest && manifestEntries(manifest.items);
  if (!manifest || !entries) {
    problems.push({ seq, message: 'the manifest is not a readable manifest; its items cannot be checked' });
    return problems;
  }
  if (manifest.seq !== seq) problems.push({ seq, message: `the manifest says seq ${String(manifest.seq)}, the bundle row says ${seq}` });
  if ((manifest.previousHash ?? null) !== b.previousHash) {
    problems.push({ seq, message: 'the manifest and the bundle row disagree on previous_hash' });
  }
  if (b.incidentId !== undefined && manifest.incidentId !== b.incidentId) {
    problems.push({ seq, message: `the manifest names incident ${String(manifest.incidentId)}, not ${b.incidentId}` });
  }

  const seen = new Set<number>();
  for (const item of [...b.items].sort((x, y) => x.n - y.n)) {
    seen.add(item.n);
    const entry = entries.get(item.n);
    if (!entry) {
      problems.push({ seq, item: item.n, message: `item ${item.n} is not in the manifest` });
      continue;
    }
    const actual = sha256Hex(item.content);
    if (actual !== entry.sha256) {
      problems.push({
        seq,
        item: item.n,
        message: `item ${item.n} (${item.kind}${item.ref ? ` ${item.ref}` : ''}): content hashes to ${short(actual)}…, the manifest says ${short(entry.sha256)}… (the content was changed)`,
      });
    } else if (item.sha256 !== entry.sha256) {
      problems.push({ seq, item: item.n, message: `item ${item.n}: the stored sha256 differs from the manifest's` });
    }
    if (entry.kind !== item.kind || (entry.ref ?? null) !== item.ref) {
      problems.push({ seq, item: item.n, message: `item ${item.n}: kind or ref differs from the manifest's` });
    }
  }
  for (const n of [...entries.keys()].sort((x, y) => x - y)) {
    if (!seen.has(n)) problems.push({ seq, item: n, message: `item ${n} is in the manifest but missing` });
  }
  return problems;
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

/** The stored text back from an export: the exact text when given, else the canonical form of the value. */
export const storedText = (value: unknown, exact?: string): string => exact ?? canonicalJson(value);
