import { Injectable } from '@nestjs/common';
import { CorrelationService } from '../correlation/correlation.service';
import type { AcceptedAlert, ItemResult } from '../correlation/items';
import { validateItems, type IntakeItem } from './intake';

/**
 * Validates each item of a request, scopes its Idempotency-Key, and hands the valid
 * alerts to correlation; a rejected item never blocks the others. Results come back in
 * input order.
 */
@Injectable()
export class IngestService {
  constructor(private readonly correlation: CorrelationService) {}

  /** An Idempotency-Key belongs to the API key that sent it; in a batch each item gets its own. */
  async ingest(items: IntakeItem[], options: { idempotencyKey?: string; caller: string; batch: boolean }): Promise<ItemResult[]> {
    const { accepted, rejected } = validateItems(items);
    const keyed: AcceptedAlert[] = accepted.map((a) => ({
      ...a,
      idempotencyKey: options.idempotencyKey
        ? JSON.stringify(options.batch ? [options.caller, options.idempotencyKey, a.index] : [options.caller, options.idempotencyKey])
        : undefined,
    }));
    const stored = await this.correlation.store(keyed);
    return [...rejected, ...stored].sort((a, b) => a.index - b.index);
  }
}
