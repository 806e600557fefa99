import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { ENV, Env } from '../common/env';
import { TEMPORAL_CONNECTION } from '../temporal/temporal-client.module';

export interface PartHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'down';
  down: string[];
  parts: { database: PartHealth; temporal: PartHealth };
}

@Injectable()
export class HealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly temporal: Connection,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async check(): Promise<HealthReport> {
    const timeoutMs = this.env.HEALTH_CHECK_TIMEOUT_SECONDS * 1000;
    const [database, temporal] = await Promise.all([
      probe(timeoutMs, () => this.dataSource.query<{ up: number }[]>('SELECT 1 AS up')),
      probe(timeoutMs, () => this.temporal.withDeadline(Date.now() + timeoutMs, () => this.temporal.healthService.check({}))),
    ]);
    const parts = { database, temporal };
    const down = Object.entries(parts)
      .filter(([, p]) => p.status === 'down')
      .map(([name]) => name);
    return { status: down.length ? 'down' : 'ok', down, parts };
  }
}

async function probe(timeoutMs: number, fn: () => Promise<unknown>): Promise<PartHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
