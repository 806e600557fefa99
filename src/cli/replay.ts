// `warden replay`: the pure parts. Reading a file into records, the pacing schedule, the tally
// of batch answers, and the lines it prints. The loop that sends is in replay-run.ts.

/** The API takes at most this many alerts per request. */
export const MAX_BATCH = 1000;

export interface ReadRecords {
  records: unknown[];
  /** NDJSON lines that are not JSON: never sent, counted and shown. */
  unreadable: { line: number; message: string }[];
}

/** A JSON array, `{ "alerts": [...] }`, one JSON value, or NDJSON (one value per line). */
export function readRecords(text: string): ReadRecords {
  const trimmed = text.trim();
  if (trimmed === '') return { records: [], unreadable: [] };
  let whole: unknown;
  let isJson = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    isJson = false;
  }
  if (isJson) {
    if (Array.isArray(whole)) return { records: whole, unreadable: [] };
    const alerts = (whole as { alerts?: unknown } | null)?.alerts;
    if (whole !== null && typeof whole === 'object' && Array.isArray(alerts)) return { records: alerts, unreadable: [] };
    return { records: [whole], unreadable: [] };
  }
  const records: unknown[] = [];
  const unreadable: ReadRecords['unreadable'] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line));
    } catch (err) {
      unreadable.push({ line: i + 1, message: err instanceof Error ? err.message : String(err) });
    }
  });
  return { records, unreadable };
}

export interface PlannedBatch {
  /** Index in the file's records of the first one in the batch. */
  start: number;
  count: number;
  /** When to send it, in ms after the replay started: records before it divided by the rate. */
  atMs: number;
}

/**
 * Batches of at most `batchSize` (and at most one second's worth at `rate`, so a slow rate
 * trickles rather than bursts), each due when the records before it have had their time.
 */
export function planBatches(total: number, batchSize: number, rate: number): PlannedBatch[] {
  if (!(rate > 0)) throw new RangeError('rate must be positive');
  const size = Math.max(1, Math.min(Math.floor(batchSize), MAX_BATCH, Math.floor(rate) || 1));
  const batches: PlannedBatch[] = [];
  for (let start = 0; start < total; start += size) {
    batches.push({ start, count: Math.min(size, total - start), atMs: Math.round((start / rate) * 1000) });
  }
  return batches;
}

/** One item of a batch answer (`POST /v1/alerts` and `/v1/alerts/{format}`). */
export interface ItemAnswer {
  index?: number;
  status?: string;
  incidentId?: string | null;
  errors?: { path?: string; message?: string }[];
  repeat?: boolean;
}

export interface ReplaySummary {
  /** Records read from the file (alerts, EVE records, webhooks, ...). */
  events: number;
  unreadable: number;
  /** Records in batches Warden answered. */
  sent: number;
  /** Stored now, by status: what the alerts table gained. */
  accepted: number;
  duplicates: number;
  suppressed: number;
  resolved: number;
  rejected: number;
  /** Items Warden already had (same source and externalId): answered with their first result, nothing stored. */
  repeats: number;
  /** Distinct incidents the stored alerts opened or joined. */
  incidents: number;
  batches: number;
  failedBatches: number;
  /** The first few rejections and failures, by record of the file. */
  rejections: string[];
  failures: string[];
  elapsedSeconds: number;
  /** Records sent per second of the replay. */
  rate: number;
}

const SHOWN = 5;

/** Adds up the batch answers of a replay. */
export class ReplayTally {
  private readonly counts = { sent: 0, accepted: 0, duplicates: 0, suppressed: 0, resolved: 0, rejected: 0, repeats: 0 };
  private readonly incidents = new Set<string>();
  private batches = 0;
  private failedBatches = 0;
  private processed = 0;
  private readonly rejections: string[] = [];
  private readonly failures: string[] = [];

  constructor(
    private readonly events: number,
    private readonly unreadable: ReadRecords['unreadable'] = [],
  ) {
    for (const u of unreadable.slice(0, SHOWN)) this.rejections.push(`line ${u.line}: not JSON (${u.message})`);
  }

  /**
   * A batch Warden answered, per item. `retried`: an earlier attempt of the same batch may have
   * stored items (same Idempotency-Key), so its repeats are this run's own and count by status.
   */
  answered(batch: { start: number; count: number }, items: readonly ItemAnswer[], retried = false): void {
    this.batches++;
    this.processed += batch.count;
    this.counts.sent += batch.count;
    for (const item of items) {
      if (item.repeat && !retried) {
        this.counts.repeats++;
        continue;
      }
      switch (item.status) {
        case 'new':
          this.counts.accepted++;
          break;
        case 'duplicate':
          this.counts.duplicates++;
          break;
        case 'suppressed':
          this.counts.suppressed++;
          break;
        case 'resolved':
          this.counts.resolved++;
          break;
        case 'rejected':
          this.counts.rejected++;
          this.reject(batch.start, item);
          break;
      }
      if (item.status !== 'rejected' && item.incidentId) this.incidents.add(item.incidentId);
    }
  }

  /** A batch that failed as a whole: nothing in it is known to be stored. */
  failed(batch: { start: number; count: number }, reason: string): void {
    this.batches++;
    this.processed += batch.count;
    this.failedBatches++;
    if (this.failures.length < SHOWN) this.failures.push(`records ${batch.start + 1}-${batch.start + batch.count}: ${reason}`);
  }

  /** Records in batches answered or failed: how far the replay has got. */
  get done(): number {
    return this.processed;
  }

  summary(elapsedMs: number): ReplaySummary {
    const elapsedSeconds = Math.round(elapsedMs) / 1000;
    return {
      events: this.events,
      unreadable: this.unreadable.length,
      ...this.counts,
      incidents: this.incidents.size,
      batches: this.batches,
      failedBatches: this.failedBatches,
      rejections: [...this.rejections],
      failures: [...this.failures],
      elapsedSeconds,
      rate: elapsedSeconds > 0 ? Math.round((this.counts.sent / elapsedSeconds) * 10) / 10 : this.counts.sent,
    };
  }

  private reject(start: number, item: ItemAnswer): void {
    if (this.rejections.length >= SHOWN) return;
    const first = item.errors?.[0];
    // Paths point into the request (`/3/alert/severity`); name the record of the file instead.
    const m = /^\/(\d+)(\/.*)?$/.exec(first?.path ?? '');
    const record = m ? start + Number(m[1]) + 1 : start + (item.index ?? 0) + 1;
    const where = m ? (m[2] ?? '/') : (first?.path ?? '/');
    this.rejections.push(`record ${record}: ${where || '/'} ${first?.message ?? 'rejected'}`);
  }
}

/** The summary for people; `--json` prints the object instead. */
export function formatReplaySummary(s: ReplaySummary): string {
  const lines = [
    `events read: ${s.events}${s.unreadable ? ` (${s.unreadable} unreadable lines skipped)` : ''}`,
    `sent:        ${s.sent} in ${s.batches} batches${s.failedBatches ? `, ${s.failedBatches} failed` : ''}`,
    `accepted:    ${s.accepted}`,
    `duplicates:  ${s.duplicates}`,
    `suppressed:  ${s.suppressed}`,
    ...(s.resolved ? [`resolved:    ${s.resolved}`] : []),
    `rejected:    ${s.rejected}`,
    ...(s.repeats ? [`repeats:     ${s.repeats} (already stored, nothing new)`] : []),
    `incidents:   ${s.incidents} touched`,
    `elapsed:     ${s.elapsedSeconds.toFixed(1)} s (${s.rate} events/s)`,
  ];
  if (s.rejections.length) lines.push('first rejections:', ...s.rejections.map((r) => `  ${r}`));
  if (s.failures.length) lines.push('failed batches:', ...s.failures.map((r) => `  ${r}`));
  return lines.join('\n');
}

/** A plain progress line, for a stderr that is not a terminal (logs, CI). */
export function progressLine(
  done: number,
  total: number,
  s: Pick<ReplaySummary, 'accepted' | 'duplicates' | 'suppressed' | 'rejected'>,
): string {
  const pct = total ? Math.floor((done / total) * 100) : 100;
  return `replay: ${done}/${total} sent (${pct}%): ${s.accepted} accepted, ${s.duplicates} duplicates, ${s.suppressed} suppressed, ${s.rejected} rejected`;
}

/** A plain line at most every `everyMs`, at each tenth of the way, and at the end; never more often. */
export function shouldReport(prevDone: number, done: number, total: number, sinceLastMs: number, everyMs = 1000): boolean {
  if (done >= total) return true;
  const tenth = (n: number) => Math.floor((n * 10) / Math.max(total, 1));
  return sinceLastMs >= everyMs || tenth(done) > tenth(prevDone);
}
