import type { FieldError } from '../common/problem';
import type { ItemResult } from '../correlation/items';
import { MAX_BODY_BYTES } from '../ingest/body-parsers';
import { formatIntake, MAX_BATCH_ALERTS, nativeIntake, type IntakeItem } from '../ingest/intake';
import { normalizers, type FormatTables } from '../ingest/normalizers';
import type { MessageFormat } from './intake.schema';

/**
 * A message taken from a bus. `id` is its identity there (stream and sequence; topic,
 * partition and offset), which becomes its Idempotency-Key: a redelivery after a crash is a
 * repeat and stores nothing twice.
 */
export interface BusMessage {
  id: string;
  /** Undefined: nothing in config/intake.yaml says what its subject carries (it is dead-lettered). */
  format: MessageFormat | undefined;
  data: Uint8Array;
  /** Where it was taken from: its subject or topic. */
  origin: string;
  /** Its own place on the bus: `id`, unless it is a redrive carrying its original's identity. */
  place: string;
}

/** A message's alerts, or why it cannot carry any (it then goes to the dead letters). */
export type ParsedMessage = { items: IntakeItem[] } | { poison: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One JSON document per message, mapped by its format's normalizer: the same as an HTTP body of that format. */
export function parseMessage(format: MessageFormat | undefined, data: Uint8Array, tables: FormatTables): ParsedMessage {
  if (format === undefined) return { poison: 'no format is configured for where the message came from (config/intake.yaml)' };
  if (data.byteLength > MAX_BODY_BYTES) return { poison: `the message is ${data.byteLength} bytes; at most ${MAX_BODY_BYTES} are taken` };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { poison: 'the message is not UTF-8 text' };
  }
  if (text.trim() === '') return { poison: 'the message is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { poison: `malformed JSON: ${(err as Error).message}` };
  }
  const { items } = format === 'native' ? nativeIntake(value) : formatIntake(value, normalizers[format], tables);
  if (items.length === 0) return { poison: 'the message contains no alerts' };
  if (items.length > MAX_BATCH_ALERTS)
    return { poison: `the message carries ${items.length} alerts; at most ${MAX_BATCH_ALERTS} are taken` };
  return { items };
}

/**
 * The first subject pattern (NATS wildcards: `*` one token, `>` one or more at the end) that
 * matches, and its format; undefined when none does.
 */
export function subjectFormat(subject: string, patterns: Readonly<Record<string, MessageFormat>>): MessageFormat | undefined {
  const tokens = subject.split('.');
  for (const [pattern, format] of Object.entries(patterns)) {
    const parts = pattern.split('.');
    const matches = parts.every((p, i) =>
      p === '>' ? i === parts.length - 1 && tokens.length > i : i < tokens.length && (p === '*' || p === tokens[i]),
    );
    if (matches && (parts[parts.length - 1] === '>' || parts.length === tokens.length)) return format;
  }
  return undefined;
}

/** What becomes of a message once its alerts are stored: acknowledged, or dead-lettered (then acknowledged). */
export type MessageVerdict = { dead: false } | { dead: true; reason: string; errors: FieldError[] };

/**
 * A message whose items were all stored is done. One with an item refused (by validation or
 * by the database) goes to the dead letters with each refusal, so nothing is dropped silently;
 * its stored items stay stored, and a redrive answers them as repeats.
 */
export function messageVerdict(results: readonly ItemResult[]): MessageVerdict {
  const errors = results.flatMap((r) => (r.status === 'rejected' ? (r.errors ?? [{ path: '/', message: 'refused' }]) : []));
  if (errors.length === 0) return { dead: false };
  const refused = results.filter((r) => r.status === 'rejected').length;
  return { dead: true, reason: `${refused} of ${results.length} alerts refused: ${describe(errors)}`, errors };
}

const describe = (errors: readonly FieldError[]) => {
  const shown = errors.slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`);
  return errors.length > 5 ? `${shown.join('; ')}; +${errors.length - 5} more` : shown.join('; ');
};

/** The header a redriven message carries: the identity of the dead letter's original message. */
export const REDRIVE_OF = 'Warden-Redrive-Of';

/** Headers a dead letter carries beside its original bytes, on either bus. */
export const DEAD_LETTER_HEADERS = {
  reason: 'Warden-Reason',
  /** The subject or topic it was taken from. */
  origin: 'Warden-Origin',
  /** Its identity there (messageIdentity), which a redrive sends along as REDRIVE_OF. */
  id: 'Warden-Message',
} as const;

/** A reason as one header line of bounded length. */
export const headerText = (text: string): string => text.replace(/[\r\n]+/g, ' ').slice(0, 1000);

/**
 * A message's identity: its log (a stream as created, a topic's partition), its position in
 * it, and for Kafka the record's timestamp (`stamp`): a topic deleted and created again
 * numbers its records from 0 again, and they must not be taken for repeats of the old ones.
 * A redriven message takes its original's identity, so the alerts stored the first time are
 * repeats; but only an earlier position of the same log (where redrive puts it back), so a
 * publisher cannot claim a message yet to come and pre-empt it.
 */
export function messageIdentity(log: string, position: number | bigint, redriveOf?: string, stamp?: string): string {
  const own = `${log}:${position}${stamp === undefined ? '' : `@${stamp}`}`;
  const claimed = redriveOf?.startsWith(`${log}:`) ? /^(\d{1,20})(@\d{1,20})?$/.exec(redriveOf.slice(log.length + 1)) : null;
  return claimed && BigInt(claimed[1]) < BigInt(position) ? redriveOf! : own;
}
