import { SingleBar } from 'cli-progress';
import { ApiError, describeProblem, type WardenClient } from './http-client';
import { type ItemAnswer, planBatches, progressLine, type ReadRecords, ReplaySummary, ReplayTally, shouldReport } from './replay';

/** What the replay reports as it goes; stderr only, so `--json` keeps stdout clean. */
export interface Progress {
  start(total: number): void;
  update(done: number, s: ReplaySummary): void;
  stop(): void;
}

/** A bar redrawn in place, for a terminal. */
export function barProgress(stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar({
    stream,
    format:
      'replay |{bar}| {value}/{total} events | {accepted} accepted {duplicates} dup {suppressed} supp {rejected} rej | ETA {eta_formatted}',
    barsize: 30,
    hideCursor: true,
  });
  const fields = (s?: Pick<ReplaySummary, 'accepted' | 'duplicates' | 'suppressed' | 'rejected'>) => ({
    accepted: s?.accepted ?? 0,
    duplicates: s?.duplicates ?? 0,
    suppressed: s?.suppressed ?? 0,
    rejected: s?.rejected ?? 0,
  });
  return {
    start: (total) => bar.start(total, 0, fields()),
    update: (done, s) => bar.update(done, fields(s)),
    stop: () => bar.stop(),
  };
}

/** Plain lines, for logs: see `shouldReport`. */
export function lineProgress(write: (line: string) => void, now: () => number = Date.now): Progress {
  let total = 0;
  let prev = 0;
  let lastAt = now();
  return {
    start(t) {
      total = t;
      lastAt = now();
      write(`replay: ${t} events to send`);
    },
    update(done, s) {
      if (!shouldReport(prev, done, total, now() - lastAt)) return;
      write(progressLine(done, total, s));
      prev = done;
      lastAt = now();
    },
    stop() {},
  };
}

export interface ReplayOptions {
  /** `native` posts to /v1/alerts, a format to /v1/alerts/{format}. */
  format: string;
  rate: number;
  batch: number;
  /** Prefix of each batch's Idempotency-Key: a retried batch is answered, never stored twice. */
  runId: string;
}

export interface ReplayDeps {
  client: Pick<WardenClient, 'send'>;
  progress: Progress;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Waits before each retry of a batch that met an outage (429, 502-504, no connection). */
  retryDelaysMs?: number[];
}

export interface ReplayResult {
  summary: ReplaySummary;
  /** Why the replay stopped early: the key was refused, or Warden could not be reached. */
  fatal?: ApiError;
}

interface BatchAnswer {
  results?: ItemAnswer[];
}

const OUTAGE = new Set([429, 502, 503, 504]);

/** Posts the records in paced batches, one at a time, and tallies what Warden answered. */
export async function runReplay(input: ReadRecords, opts: ReplayOptions, deps: ReplayDeps): Promise<ReplayResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retryDelays = deps.retryDelaysMs ?? [1000, 3000];
  const path = opts.format === 'native' ? '/v1/alerts' : `/v1/alerts/${encodeURIComponent(opts.format)}`;
  const tally = new ReplayTally(input.records.length, input.unreadable);
  const started = now();
  deps.progress.start(input.records.length);
  let fatal: ApiError | undefined;

  try {
    for (const [n, batch] of planBatches(input.records.length, opts.batch, opts.rate).entries()) {
      const wait = started + batch.atMs - now();
      if (wait > 0) await sleep(wait);
      const body = input.records.slice(batch.start, batch.start + batch.count);
      const headers = { 'idempotency-key': `${opts.runId}-${n}` };
      for (let attempt = 0; ; attempt++) {
        let outcome: { retry: string } | undefined;
        try {
          const answer = await deps.client.send<BatchAnswer>('POST', path, body, headers);
          const results = Array.isArray(answer.body?.results) ? answer.body.results : undefined;
          if ((answer.status === 200 || answer.status === 202 || answer.status === 422) && results) {
            tally.answered(batch, results, attempt > 0);
          } else if (answer.status === 401 || answer.status === 403) {
            throw new ApiError(`the API key was refused: ${describeProblem(answer.status, answer.body)}`, answer.status);
          } else if (OUTAGE.has(answer.status)) {
            outcome = { retry: describeProblem(answer.status, answer.body) };
          } else {
            tally.failed(batch, describeProblem(answer.status, answer.body));
          }
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== null) throw err;
          outcome = { retry: err.message };
        }
        if (!outcome) break;
        if (attempt >= retryDelays.length) {
          // Out of reach for good: every later batch would fail the same way.
          if (/^cannot reach/.test(outcome.retry)) throw new ApiError(outcome.retry, null);
          tally.failed(batch, outcome.retry);
          break;
        }
        await sleep(retryDelays[attempt]);
      }
      deps.progress.update(tally.done, tally.summary(now() - started));
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    fatal = err;
  } finally {
    deps.progress.stop();
  }
  return { summary: tally.summary(now() - started), ...(fatal ? { fatal } : {}) };
}
