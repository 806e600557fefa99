import type { Priority, SecurityAlert } from '../domain';
import type { Enrichment } from '../enrichment';
import {
  correlationLock,
  CorrelationEngine,
  fingerprintLock,
  kindLock,
  reusedWithOtherBody,
  type LockMode,
  type ChangeSet,
  type EngineResult,
  type Snapshot,
} from './engine';
import type { SnapshotRequest } from './ingest-sql';
import type { AcceptedAlert, ItemResult } from './items';
import { evaluateRules, type RecentAlertCounter, type RuleDecision, type ThresholdQuery } from './rules';
import type { CorrelationField, RulesFile } from './rules.schema';

/** Storage failed at `index`; other items of the request may or may not be committed (retries are idempotent). */
export class IngestInterrupted extends Error {
  constructor(
    readonly index: number,
    readonly cause: Error,
  ) {
    super(`storage failed at item ${index}: ${cause.message}`);
  }
}

/** The request's Idempotency-Key was first used with another body: nothing of this request is stored. */
export class IdempotencyConflict extends Error {
  constructor() {
    super('the Idempotency-Key was first used with another body');
  }
}

/** A resolve's answer: the firing alert it marked, if any. */
export type Resolved = { status: 'resolved'; alertId?: string; incidentId?: string | null; priority?: Priority };

/**
 * Where the ingest path keeps alerts and incidents: PostgreSQL for the api, memory for
 * `warden rules backtest`. Everything else (rules, thresholds, the engine, repeats,
 * resolves, storms, chunks) is this file's, so the two cannot drift.
 */
export interface IngestStore {
  /**
   * One transaction: reads the snapshot for `request` at the store's clock, and stores the
   * changes `decide` returns (none: rolls back). An error thrown by `decide` rolls back.
   */
  transact<T>(request: SnapshotRequest, decide: (snapshot: Snapshot, now: Date) => { changes?: ChangeSet; value: T }): Promise<T>;
  /**
   * Stored alerts of the type with the same fields inside the window, except those the
   * request itself carries again (`own`: a retry), which count as the request's own: a
   * threshold is a rate, read outside any transaction.
   */
  countStored(query: ThresholdQuery, own: OwnAlerts): Promise<number>;
  /** Alertmanager's `resolved`: marks the alert with the same source and externalId sent by the same API key. */
  resolve(alert: SecurityAlert, apiKeyId?: string): Promise<Resolved>;
  newId(): string;
}

/** The alerts a request carries by their repeat keys: stored ones are this request's retried items. */
export interface OwnAlerts {
  idempotencyKeys: string[];
  externalIds: { apiKeyId: string | null; source: string; externalId: string }[];
}

interface Pending extends AcceptedAlert {
  decision: RuleDecision;
  enrichment?: Enrichment;
}

/** Enriches one alert from tables in memory (no I/O); undefined: enrichment is off. */
export type Enrich = (alert: SecurityAlert) => Enrichment | undefined;

interface Waiting {
  chunk: Pending[];
  resolve: (results: ItemResult[]) => void;
  reject: (err: unknown) => void;
}

/** A chunk's results, or the locks it must run again with. */
type ChunkOutcome = { results: EngineResult[]; needs: ReadonlyMap<string, LockMode> } | { relockWith: Map<string, LockMode> };

/** How long this process remembers that a lock was (or was not) needed: a guess only, to save a second run. */
const HINT_MS = 5_000;

/** Alerts per transaction: large enough to amortize round trips, small enough to keep locks short. */
const CHUNK = 100;
/** Data the database refuses for this item alone (classes 22, 23, and 54 such as an index row too large): retrying cannot help. */
const isDataError = (err: unknown) => /^(2[23]|54)/.test((err as { code?: string }).code ?? '');

/**
 * Ingest's per-item path: rules (thresholds count stored alerts plus the request's earlier
 * ones), then the CorrelationEngine over a snapshot, in chunks of one transaction each.
 * A resolve applies after the request's firing alerts before it, in input order.
 */
export class IngestPath {
  /**
   * Guesses, never correctness: the mode in which a recent run needed each lock (null: not
   * at all), until when (ms). A wrong guess costs a second run or an uncontended lock.
   */
  private readonly hints = new Map<string, { mode: LockMode | null; until: number }>();
  /** Also a guess: storm kinds whose alerts recently folded into their storm, until when (ms). */
  private readonly storming = new Map<string, number>();

  /** Chunks waiting for a transaction, each with the request that waits for its results. */
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly store: IngestStore,
    private readonly rules: RulesFile,
    /** Told why an item was refused by storage; the client only gets a stable message. */
    private readonly onRefused: (index: number, err: Error) => void = () => {},
    /** Ingest transactions at a time; chunks of other requests that arrive meanwhile share the next ones. */
    private readonly transactions = 1,
    /** Runs before the rules, so they can match on what it adds; stored with the alert. */
    private readonly enrich: Enrich = () => undefined,
  ) {}

  /** Decides and stores each alert in input order; the results come back in that order too. */
  async ingest(alerts: readonly AcceptedAlert[]): Promise<ItemResult[]> {
    // Every firing alert is decided before anything of the request is stored, so a stored
    // count never includes this request's own alerts and `earlier` counts each of them once.
    const earlier: Pending[] = [];
    // Thresholds count stored alerts plus the earlier alerts of this same request. The
    // stored count is a rate read outside any transaction, so one read per question and
    // request is enough: a batch of a thousand failed logins asks once, not a thousand times.
    // A retried request's items already stored are counted once, as the request's own.
    const own: OwnAlerts = {
      idempotencyKeys: alerts.flatMap((a) => (a.idempotencyKey ? [a.idempotencyKey] : [])),
      externalIds: alerts.flatMap((a) =>
        a.alert.externalId ? [{ apiKeyId: a.apiKeyId ?? null, source: a.alert.source, externalId: a.alert.externalId }] : [],
      ),
    };
    const stored = new Map<string, Promise<number>>();
    const countRecent: RecentAlertCounter = async (q) => {
      const key = JSON.stringify([q.type, q.by, q.withinSeconds]);
      if (!stored.has(key)) stored.set(key, this.store.countStored(q, own));
      const before = earlier.filter(
        (p) => p.alert.type === q.type && Object.entries(q.by).every(([f, v]) => p.alert[f as CorrelationField] === v),
      ).length;
      return (await stored.get(key)!) + before;
    };
    const decided: (Pending | AcceptedAlert)[] = [];
    for (const accepted of alerts) {
      if (accepted.resolves) {
        decided.push(accepted);
        continue;
      }
      const enrichment = this.enrich(accepted.alert);
      const pending: Pending = {
        ...accepted,
        enrichment,
        decision: await evaluateRules(this.rules, accepted.alert, countRecent, enrichment),
      };
      earlier.push(pending);
      decided.push(pending);
    }

    const results: ItemResult[] = [];
    let run: Pending[] = [];
    const flush = async () => {
      for (let i = 0; i < run.length; i += CHUNK) results.push(...(await this.storeShared(run.slice(i, i + CHUNK))));
      run = [];
    };
    for (const item of decided) {
      if ('decision' in item) {
        run.push(item);
        continue;
      }
      // [firing X, resolved X] resolves X: the firing alerts before it are stored first.
      await flush();
      results.push({ index: item.index, ...(await this.store.resolve(item.alert, item.apiKeyId)) });
    }
    await flush();
    return results.sort((a, b) => a.index - b.index);
  }

  /**
   * Stores a request's chunk in a transaction it may share with other requests' chunks:
   * while `transactions` are running, chunks that arrive wait and then go together (up to
   * CHUNK alerts), so a flood of single-alert requests costs a transaction per group, not
   * per alert. Alone, a chunk goes at once. A shared transaction that fails before storing
   * anything is retried per request, so each request gets its own answer (a refused
   * Idempotency-Key, an outage) and nothing of another.
   */
  private storeShared(chunk: Pending[]): Promise<ItemResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ chunk, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.transactions && this.waiting.length > 0) {
      const group = [this.waiting.shift()!];
      let size = group[0].chunk.length;
      while (this.waiting.length > 0 && size + this.waiting[0].chunk.length <= CHUNK) {
        size += this.waiting[0].chunk.length;
        group.push(this.waiting.shift()!);
      }
      this.running++;
      void this.storeGroup(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async storeGroup(group: Waiting[]): Promise<void> {
    if (group.length > 1) {
      const results: ItemResult[] = [];
      const failure = await this.storeChunkIsolating(
        group.flatMap((w) => w.chunk),
        results,
      ).then(
        () => null,
        (err: unknown) => err,
      );
      if (failure === null) {
        // Results come in chunk order (isolating retries keep it too).
        let at = 0;
        for (const w of group) {
          w.resolve(results.slice(at, at + w.chunk.length));
          at += w.chunk.length;
        }
        return;
      }
      // Some items were stored one by one before the failure: a retry could store them twice.
      if (results.length > 0) {
        for (const w of group) w.reject(failure);
        return;
      }
    }
    for (const w of group) {
      const results: ItemResult[] = [];
      await this.storeChunkIsolating(w.chunk, results).then(
        () => w.resolve(results),
        (err: unknown) => w.reject(err),
      );
    }
  }

  /**
   * Stores a chunk; if the database refuses some item's data, retries the items one by one
   * so only that item is rejected. A racing insert of the same idempotency key (23505)
   * is simply retried: the second attempt finds the winner's result.
   */
  private async storeChunkIsolating(chunk: Pending[], results: ItemResult[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.storeChunk(chunk, results);
      } catch (err) {
        if (err instanceof IdempotencyConflict) throw err;
        if ((err as { code?: string }).code === '23505' && attempt < 3) continue;
        if (!isDataError(err)) throw new IngestInterrupted(chunk[0].index, err as Error);
        if (chunk.length === 1) {
          const { index, pointer } = chunk[0];
          this.onRefused(index, err as Error);
          // PostgreSQL's own text stays in the log: it names tables and indexes, not the client's fields.
          results.push({
            index,
            status: 'rejected',
            errors: [{ path: pointer || '/', message: 'could not be stored: a value does not fit' }],
          });
          return;
        }
        for (const item of chunk) await this.storeChunkIsolating([item], results);
        return;
      }
    }
  }

  /**
   * A chunk first runs holding the locks it will probably need, in the mode recent runs
   * needed them (by default: fingerprints and correlation keys exclusive, except the keys of
   * alerts whose kind was folding into its storm; storm keys shared; storm kinds not at all).
   * When the engine needed a lock, or a mode, the run did not hold, nothing is written and
   * the chunk runs again holding it too.
   */
  private async storeChunk(chunk: Pending[], results: ItemResult[]): Promise<void> {
    const now = Date.now();
    const candidates = new Map<string, LockMode | null>();
    for (const p of chunk) {
      const k = CorrelationEngine.keys(p.alert, p.decision);
      candidates.set(fingerprintLock(k.fingerprint), 'exclusive');
      // While a kind storms, its alerts fold into the storm and do not need their own keys (a
      // scan's addresses are new each time, so a per-name hint would never learn that).
      const folding = k.stormKind !== undefined && (this.storming.get(k.stormKind) ?? 0) > now;
      const own = correlationLock(k.correlationKey);
      if (!folding) candidates.set(own, 'exclusive');
      else if (!candidates.has(own)) candidates.set(own, null);
      if (k.stormKey) candidates.set(correlationLock(k.stormKey), 'shared');
      if (k.stormKind) candidates.set(kindLock(k.stormKind), null);
    }
    let locks = new Map<string, LockMode>();
    for (const [name, byDefault] of candidates) {
      const hint = this.hints.get(name);
      const mode = hint && hint.until > now ? hint.mode : byDefault;
      if (mode) locks.set(name, mode);
    }
    for (;;) {
      const outcome = await this.runChunk(chunk, locks);
      if ('relockWith' in outcome) {
        locks = outcome.relockWith;
        continue;
      }
      chunk.forEach((p, i) => results.push({ index: p.index, ...outcome.results[i] }));
      if (this.hints.size > 50_000) this.hints.clear();
      for (const name of candidates.keys()) this.hints.set(name, { mode: outcome.needs.get(name) ?? null, until: now + HINT_MS });
      if (this.storming.size > 10_000) this.storming.clear();
      for (const p of chunk) {
        const k = CorrelationEngine.keys(p.alert, p.decision);
        if (!k.stormKind || !k.stormKey) continue;
        const folded = !outcome.needs.has(correlationLock(k.correlationKey)) && outcome.needs.has(correlationLock(k.stormKey));
        if (folded) this.storming.set(k.stormKind, now + HINT_MS);
        else this.storming.delete(k.stormKind);
      }
      return;
    }
  }

  private runChunk(chunk: Pending[], locks: ReadonlyMap<string, LockMode>): Promise<ChunkOutcome> {
    const keys = chunk.map((p) => CorrelationEngine.keys(p.alert, p.decision));
    const stormKinds = new Map(
      chunk.flatMap((p, i) => (p.decision.storm && keys[i].stormKind ? [[keys[i].stormKind!, p.decision.storm] as const] : [])),
    );
    const request: SnapshotRequest = {
      locks,
      fingerprints: keys.map((k) => k.fingerprint),
      correlationKeys: keys.flatMap((k) => (k.stormKey ? [k.correlationKey, k.stormKey] : [k.correlationKey])),
      idempotencyKeys: chunk.flatMap((p) => (p.idempotencyKey ? [p.idempotencyKey] : [])),
      externalIds: chunk.flatMap((p) =>
        p.alert.externalId ? [{ apiKeyId: p.apiKeyId ?? null, source: p.alert.source, externalId: p.alert.externalId }] : [],
      ),
      stormKinds: [...stormKinds].map(([kind, s]) => ({ kind, withinSeconds: s.withinSeconds, threshold: s.threshold })),
    };
    return this.store.transact<ChunkOutcome>(request, (snapshot, now) => {
      if (chunk.some((p) => reusedWithOtherBody(snapshot, p.idempotencyKey, p.bodyHash))) throw new IdempotencyConflict();
      const engine = new CorrelationEngine(snapshot, () => this.store.newId());
      const results = chunk.map((p) => engine.apply(p.alert, p.decision, now, p.idempotencyKey, p.bodyHash, p.apiKeyId, p.enrichment));
      // Held exclusive, or shared where shared is all it takes.
      const unheld = [...engine.needs].filter(([name, mode]) => locks.get(name) !== 'exclusive' && !(mode === 'shared' && locks.has(name)));
      if (unheld.length > 0) return { value: { relockWith: new Map([...locks, ...unheld]) } };
      return { changes: engine.changes, value: { results, needs: engine.needs } };
    });
  }
}
