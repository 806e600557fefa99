import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { ENV, Env } from '../common/env';
import { IntakeService, type ConsumerStatus } from '../intake/intake.service';
import { TEMPORAL_CONNECTION } from '../temporal/temporal-client.module';

export interface PartHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** What failed for good and waits for an operator (`warden notices redrive`, `warden outbox redrive`, `warden playbooks redrive`). */
export interface HealthDetails {
  notices: { failed: number; oldestFailedAt: Date | null };
  outbox: { deadLettered: number; oldestDeadLetteredAt: Date | null };
  /** Playbook steps whose undo failed for good: their containment is still in place. */
  compensations: { failed: number; oldestFailedAt: Date | null };
}

export interface HealthReport {
  status: 'ok' | 'down';
  down: string[];
  parts: { database: PartHealth; temporal: PartHealth };
  /** null while the database does not answer. Never part of readiness: a replica with dead letters still serves. */
  details: HealthDetails | null;
  /**
   * Each bus consumer of this api: its state (`paused` while storage fails), what it stored and
   * dead-lettered, its lag and the dead letters waiting. Never part of readiness either.
   */
  intake: Omit<ConsumerStatus, 'error'>[];
}

interface DetailsRow {
  failed_notices: number;
  oldest_failed_notice: Date | null;
  dead_letters: number;
  oldest_dead_letter: Date | null;
  failed_compensations: number;
  oldest_failed_compensation: Date | null;
}

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly temporal: Connection,
    @Inject(ENV) private readonly env: Env,
    private readonly intake: IntakeService,
  ) {}

  async check(): Promise<HealthReport> {
    const timeoutMs = this.env.HEALTH_CHECK_TIMEOUT_SECONDS * 1000;
    let details: HealthDetails | null = null;
    const [database, temporal, intake] = await Promise.all([
      probe('database', timeoutMs, async () => (details = await this.details())),
      probe('temporal', timeoutMs, () => this.temporal.withDeadline(Date.now() + timeoutMs, () => this.temporal.healthService.check({}))),
      // The driver's text stays in the log, as for the parts above.
      this.intake.status(timeoutMs).then((all) => all.map(({ error: _error, ...shown }) => shown)),
    ]);
    const parts = { database, temporal };
    const down = Object.entries(parts)
      .filter(([, p]) => p.status === 'down')
      .map(([name]) => name);
    return { status: down.length ? 'down' : 'ok', down, parts, details: database.status === 'up' ? details : null, intake };
  }

  /** One round trip, which is also the database's probe; partial indexes keep the counts cheap. */
  private async details(): Promise<HealthDetails> {
    const [row] = await this.dataSource.query<DetailsRow[]>(
      `SELECT (SELECT count(*)::int FROM notifications WHERE failed_at IS NOT NULL) AS failed_notices,
              (SELECT min(failed_at) FROM notifications WHERE failed_at IS NOT NULL) AS oldest_failed_notice,
              (SELECT count(*)::int FROM outbox WHERE dead_lettered_at IS NOT NULL) AS dead_letters,
              (SELECT min(dead_lettered_at) FROM outbox WHERE dead_lettered_at IS NOT NULL) AS oldest_dead_letter,
              (SELECT count(*)::int FROM playbook_steps WHERE compensation_status = 'failed') AS failed_compensations,
              (SELECT min(compensation_failed_at) FROM playbook_steps WHERE compensation_status = 'failed') AS oldest_failed_compensation`,
    );
    return {
      notices: { failed: row.failed_notices, oldestFailedAt: row.oldest_failed_notice },
      outbox: { deadLettered: row.dead_letters, oldestDeadLetteredAt: row.oldest_dead_letter },
      compensations: { failed: row.failed_compensations, oldestFailedAt: row.oldest_failed_compensation },
    };
  }
}

const logger = new Logger('Health');

/** `/health` is open to anyone: a part that is down says only how, and the driver's own text goes to the log. */
async function probe(part: string, timeoutMs: number, fn: () => Promise<unknown>): Promise<PartHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = `no answer within ${timeoutMs} ms`;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(timedOut)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const message = (err as Error).message;
    if (message !== timedOut) logger.warn(`${part} is down: ${message}`);
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: message === timedOut ? timedOut : 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}
