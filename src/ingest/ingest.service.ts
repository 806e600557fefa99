import { Refusal } from '../domain/refusal';
import { Injectable } from '@nestjs/common';
import type { FieldError } from '../common/problem';
import { createHash } from 'node:crypto';
import { CorrelationService } from '../correlation/correlation.service';
import type { AcceptedAlert, ItemResult } from '../correlation/items';
import { validateItems, withWarnings, type IntakeItem } from './intake';
import { foreignSources } from './key-sources';

/**
 * What identifies a request's body: its items as mapped, so the same alerts sent again
 * (whatever the whitespace or key order of the JSON) hash the same, and any change does not.
 */
export function bodyHash(items: readonly IntakeItem[]): string {
  const identity = items.map((i) => [i.alert ?? null, i.errors ?? null, i.resolves ?? false]);
  return createHash('sha256').update(JSON.stringify(identity, sortedKeys)).digest('hex');
}

/** JSON.stringify's replacer for one spelling per value: object keys in sorted order. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Validates each item of a request, scopes its Idempotency-Key, and hands the valid
 * alerts to correlation; a rejected item never blocks the others. Results come back in
 * input order, each stored one with its warnings. A key bound to sources that sends another
 * source is refused whole.
 */
@Injectable()
export class IngestService {
  constructor(private readonly correlation: CorrelationService) {}

  /**
   * An Idempotency-Key belongs to the API key that sent it; in a batch each item gets its
   * own. The body's hash goes with it: a reuse with another body is an IdempotencyConflict.
   * The repeat key (source, externalId) and Alertmanager resolves belong to the caller too.
   *
   * `sources`: the caller's sources (null: any). An alert of another source, even one item of a
   * batch, refuses the whole request (403 naming each such item's `/source`) and stores nothing:
   * a key sending what it is not meant to is misconfigured or stolen, not a bad alert.
   */
  async ingest(
    items: IntakeItem[],
    options: { idempotencyKey?: string; caller: string; sources: readonly string[] | null; batch: boolean },
  ): Promise<ItemResult[]> {
    const { accepted, rejected, warnings } = validateItems(items);
    const foreign = foreignSources(accepted, options.sources);
    if (foreign.length > 0) {
      throw new Refusal('forbidden', `This API key may send only alerts of its own sources; nothing was stored.`, foreign);
    }
    const hash = options.idempotencyKey ? bodyHash(items) : undefined;
    const keyed: AcceptedAlert[] = accepted.map((a) => ({
      ...a,
      idempotencyKey: options.idempotencyKey
        ? JSON.stringify(options.batch ? [options.caller, options.idempotencyKey, a.index] : [options.caller, options.idempotencyKey])
        : undefined,
      bodyHash: hash,
      apiKeyId: options.caller,
    }));
    const stored = await this.correlation.store(keyed);
    return withWarnings([...rejected, ...stored], warnings).sort((a, b) => a.index - b.index);
  }

  /**
   * A bus's messages, each keyed by its identity on the bus as an Idempotency-Key is (per item,
   * as in an HTTP batch), all stored through one call: thresholds read once per question, and
   * transactions of the batch path. `caller` stands for the API key: the bus's own identity.
   * `bodyHash` identifies the message's bytes (a redelivery is byte for byte the same).
   * Results come back per message, in its items' order. An IdempotencyConflict refuses them all.
   */
  async ingestMessages(
    messages: readonly { key: string; items: readonly IntakeItem[]; bodyHash: string }[],
    caller: string,
  ): Promise<ItemResult[][]> {
    const keyed: AcceptedAlert[] = [];
    const answered: { rejected: ItemResult[]; warnings: Map<number, FieldError[]>; base: number; size: number }[] = [];
    let base = 0;
    for (const { key, items, bodyHash } of messages) {
      const { accepted, rejected, warnings } = validateItems(items);
      for (const a of accepted) {
        keyed.push({
          ...a,
          index: base + a.index,
          idempotencyKey: JSON.stringify([caller, key, a.index]),
          bodyHash,
          apiKeyId: caller,
        });
      }
      answered.push({ rejected, warnings, base, size: items.length });
      base += items.length;
    }
    const stored = await this.correlation.store(keyed);
    let next = 0;
    return answered.map(({ rejected, warnings, base, size }) => {
      const own: ItemResult[] = [];
      for (; next < stored.length && stored[next].index < base + size; next++)
        own.push({ ...stored[next], index: stored[next].index - base });
      return withWarnings([...rejected, ...own], warnings).sort((a, b) => a.index - b.index);
    });
  }
}
