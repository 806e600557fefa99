/**
 * How large evidence may grow, and what is cut to stay inside it: the pure decisions. A bundle
 * is sealed over exactly what it keeps, and its manifest names every cut, so a capped bundle
 * still verifies and a reader knows what it lacks.
 */
import { canonicalJson, CutSummary, DroppedItem, EvidenceCaps, EvidenceKind, ItemCut, sha256Hex } from './evidence';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The defaults: 5,000 of each kind (as before caps were configurable); 256 KiB an item, which
 * keeps a monitor's usual record whole (a Suricata EVE or ECS document is a few KiB) while a
 * stray multi-megabyte payload is cut; 64 MiB a bundle.
 */
export const DEFAULT_EVIDENCE_CAPS: EvidenceCaps = { maxItems: 5_000, maxItemBytes: 256 * KiB, maxBundleBytes: 64 * MiB };

/** What a playbook step may ask for, with the names its `with` uses. */
export const EVIDENCE_CAP_RANGES = {
  maxItems: { name: 'max_items', min: 1, max: 100_000 },
  maxItemBytes: { name: 'max_item_bytes', min: 1 * KiB, max: 16 * MiB },
  maxBundleBytes: { name: 'max_bundle_bytes', min: 1 * KiB, max: 1024 * MiB },
} as const satisfies Record<keyof EvidenceCaps, { name: string; min: number; max: number }>;

/** The caps a collection runs with: the defaults under what was asked; RangeError naming the field when out of range. */
export function evidenceCaps(asked: Partial<EvidenceCaps> = {}): EvidenceCaps {
  const caps = { ...DEFAULT_EVIDENCE_CAPS, ...Object.fromEntries(Object.entries(asked).filter(([, v]) => v !== undefined)) };
  for (const key of Object.keys(EVIDENCE_CAP_RANGES) as (keyof EvidenceCaps)[]) {
    const { name, min, max } = EVIDENCE_CAP_RANGES[key];
    const v = caps[key];
    if (!Number.isSafeInteger(v) || v < min || v > max)
      throw new RangeError(`${name} must be a whole number from ${min} to ${max}; got ${v}`);
  }
  if (caps.maxItemBytes > caps.maxBundleBytes) {
    throw new RangeError(`max_item_bytes (${caps.maxItemBytes}) must not be larger than max_bundle_bytes (${caps.maxBundleBytes})`);
  }
  return caps;
}

/** An item's stored text, its UTF-8 length, and what was taken out of it. */
export interface FittedItem {
  content: string;
  bytes: number;
  cut?: ItemCut;
}

/**
 * An alert's raw payload as the database renders it (`raw::text`): read, or left unread because
 * that text alone is over maxItemBytes (only its length and hash were read).
 */
export type RawPayload = { text: string } | { unread: { bytes: number; sha256: string } };

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * An alert as an item: whole when it fits maxItemBytes; otherwise its `raw` payload is replaced
 * by `{ "cut": { "bytes", "sha256" } }` (of the payload's text as stored, so it can be matched
 * against the alerts table), and the item says so. An alert over the cap even then (only with a
 * cap below its own clipped fields) comes back over it, for the bundle to drop.
 */
export function fitAlert(view: Record<string, unknown>, raw: RawPayload, maxItemBytes: number): FittedItem {
  if ('text' in raw) {
    const content = canonicalJson({ ...view, raw: JSON.parse(raw.text) as unknown });
    const bytes = byteLength(content);
    if (bytes <= maxItemBytes) return { content, bytes };
  }
  const cut: ItemCut = { path: '/raw', ...('text' in raw ? { bytes: byteLength(raw.text), sha256: sha256Hex(raw.text) } : raw.unread) };
  const content = canonicalJson({ ...view, raw: { cut: { bytes: cut.bytes, sha256: cut.sha256 } } });
  return { content, bytes: byteLength(content), cut };
}

/**
 * The timeline (oldest first) as an item: whole when it fits maxItemBytes, else the oldest
 * entries that fit, the rest named by the cut (path `/k`: entries from k on, as a JSON array).
 */
export function fitTimeline(entries: readonly unknown[], maxItemBytes: number): FittedItem {
  const texts = entries.map((e) => canonicalJson(e));
  const whole = `[${texts.join(',')}]`;
  const wholeBytes = byteLength(whole);
  if (wholeBytes <= maxItemBytes) return { content: whole, bytes: wholeBytes };
  let kept = 0;
  let bytes = 2; // the brackets
  for (const text of texts) {
    const more = byteLength(text) + (kept > 0 ? 1 : 0);
    if (bytes + more > maxItemBytes) break;
    bytes += more;
    kept++;
  }
  const rest = `[${texts.slice(kept).join(',')}]`;
  return {
    content: `[${texts.slice(0, kept).join(',')}]`,
    bytes,
    cut: { path: `/${kept}`, bytes: byteLength(rest), sha256: sha256Hex(rest) },
  };
}

/**
 * Fills one bundle in item order, deciding each item as it comes: kept when it is within
 * maxItemBytes and the room left; else dropped and named. Room set aside at the start
 * (`reserved`: the timeline, gathered first and listed last) is not given to other items, so
 * a storm's alerts cannot crowd out the incident's history.
 */
export class BundleFill {
  private used = 0;
  private readonly truncated = { items: 0, bytes: 0 };
  private readonly dropped = { items: 0, bytes: 0, list: [] as DroppedItem[] };

  constructor(
    private readonly caps: EvidenceCaps,
    private reserved = 0,
  ) {}

  /** Whether the item is kept; `fromReserve`: it is what the room set aside was for. */
  offer(kind: EvidenceKind, ref: string | null, item: FittedItem, fromReserve = false): boolean {
    if (fromReserve) this.reserved = 0;
    const reason =
      item.bytes > this.caps.maxItemBytes ? 'item' : this.used + this.reserved + item.bytes > this.caps.maxBundleBytes ? 'bundle' : null;
    if (reason) {
      this.dropped.items++;
      this.dropped.bytes += item.bytes;
      this.dropped.list.push({ kind, ref, bytes: item.bytes, reason });
      return false;
    }
    this.used += item.bytes;
    if (item.cut) {
      this.truncated.items++;
      this.truncated.bytes += item.cut.bytes;
    }
    return true;
  }

  /** The kept items' bytes so far. */
  get bytes(): number {
    return this.used;
  }

  /** For the manifest. */
  summary(): CutSummary {
    return { truncated: { ...this.truncated }, dropped: { ...this.dropped, list: [...this.dropped.list] } };
  }
}
