import { IdempotencyConflict } from '../correlation/correlation.service';
import type { ItemResult } from '../correlation/items';
import { formatTablesSchema } from '../ingest/normalizers';
import { BatchHandler, retryDelayMs, type DeadLetter, type StoreMessages } from './batch-handler';
import type { BusMessage } from './message';

const tables = formatTablesSchema.parse({});
const message = (id: string, body: unknown): BusMessage => ({
  id,
  format: 'native',
  data: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
  origin: 'warden.alerts.native',
  place: id,
});
const good = (title: string) => ({ source: 's', type: 'port_scan', severity: 'low', title });
const storedAll: StoreMessages = async (messages) => messages.map((m) => m.items.map((_, index): ItemResult => ({ index, status: 'new' })));

function handler(store: StoreMessages) {
  const letters: DeadLetter[] = [];
  const slept: number[] = [];
  const h = new BatchHandler(store, tables, async (l) => void letters.push(...l), { sleep: async (ms) => void slept.push(ms) });
  return { h, letters, slept };
}

describe('BatchHandler', () => {
  it('stores the good messages of a batch and dead-letters the poison one with its reason', async () => {
    const { h, letters } = handler(storedAll);
    const done = await h.handle(
      [message('m1', good('a')), message('m2', '{'), message('m3', good('b'))],
      () => true,
      () => {},
    );
    expect(done).toBe(true);
    expect(letters.map((l) => [l.message.id, l.reason.split(':')[0]])).toEqual([['m2', 'malformed JSON']]);
    expect(h.progress).toEqual({ state: 'running', stored: 2, deadLettered: 1 });
  });

  it('keys each message by its identity', async () => {
    const keys: string[] = [];
    const { h } = handler(async (messages) => {
      keys.push(...messages.map((m) => m.key));
      return storedAll(messages);
    });
    await h.handle(
      [message('nats:S:c:1', good('a')), message('nats:S:c:2', good('b'))],
      () => true,
      () => {},
    );
    expect(keys).toEqual(['nats:S:c:1', 'nats:S:c:2']);
  });

  it('retries while storage fails, keeping the messages alive, then stores', async () => {
    let calls = 0;
    const { h, slept } = handler(async (messages) => {
      if (++calls <= 3) throw new Error('connect ECONNREFUSED');
      return storedAll(messages);
    });
    let alive = 0;
    const done = await h.handle(
      [message('m1', good('a'))],
      () => true,
      () => alive++,
    );
    expect({ done, calls, slept, alive }).toEqual({ done: true, calls: 4, slept: [500, 1000, 1000, 1000], alive: 4 });
    expect(h.progress).toEqual({ state: 'running', stored: 1, deadLettered: 0, error: undefined });
  });

  it('gives up without acknowledging when stopped while storage fails', async () => {
    const { h, letters } = handler(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    const done = await h.handle(
      [message('m1', good('a'))],
      () => false,
      () => {},
    );
    expect({ done, letters, state: h.progress.state, error: h.progress.error }).toEqual({
      done: false,
      letters: [],
      state: 'paused',
      error: 'connect ECONNREFUSED',
    });
  });

  it('dead-letters only the message whose identity was first stored with another body', async () => {
    const { h, letters } = handler(async (messages) => {
      if (messages.some((m) => m.key === 'edited')) throw new IdempotencyConflict();
      return storedAll(messages);
    });
    await h.handle(
      [message('m1', good('a')), message('edited', good('b'))],
      () => true,
      () => {},
    );
    expect(letters.map((l) => [l.message.id, l.reason])).toEqual([
      ['edited', "the message's identity (edited) was first stored with another body"],
    ]);
    expect(h.progress.stored).toBe(1);
  });
});

describe('retryDelayMs', () => {
  it('doubles from 0.5 s up to 10 s', () =>
    expect([0, 1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]));
});
