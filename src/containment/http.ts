import { classifyStatus } from '../notifications/notifier';
import { BackendCallError, PermanentActionError } from './adapter';
import type { CallFailure } from './applied';

/** An answer's JSON (undefined when empty, the text when not JSON); large answers are cut off. */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutSeconds: number;
  /** Non-2xx statuses the caller handles itself (e.g. 404 for "no such host") instead of an error. */
  accept?: number[];
}

/** Backends answer with a small JSON document; anything past this is not read (and not kept on the step). */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * One HTTP call for an adapter, judged the way every channel is (notifier.ts classifyStatus):
 * a refusal (4xx but 408, 425, 429) is a PermanentActionError; 5xx, 408, 425, 429, a network
 * error or a timeout is a BackendCallError, which the step's retry policy tries again. Both say
 * how the call failed (`failure`, for mayHaveApplied). Redirects are not followed (the request
 * carries a token) and are refused as a misconfigured URL. Errors name the backend by origin
 * only: a URL's path may hold a secret, and errors are shown on incidents.
 */
export async function callBackend(adapter: string, call: HttpCall): Promise<HttpAnswer> {
  const origin = new URL(call.url).origin;
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: call.method,
      headers: { 'user-agent': 'Warden', ...call.headers },
      body: call.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(call.timeoutSeconds * 1000),
    });
  } catch (err) {
    throw new BackendCallError(`${adapter}: ${origin} ${describe(err, call.timeoutSeconds)}`, noAnswer(err), { cause: err });
  }
  let text: string | null;
  try {
    text = await readCapped(res, MAX_ANSWER_BYTES);
  } catch (err) {
    throw new BackendCallError(
      `${adapter}: ${origin} ${describe(err, call.timeoutSeconds)} while answering`,
      { kind: 'answer_lost', status: res.status },
      { cause: err },
    );
  }
  const body = parse(text);
  if (call.accept?.includes(res.status)) return { status: res.status, body };
  const answered: CallFailure = { kind: 'answered', status: res.status };
  if (res.status >= 300 && res.status < 400) {
    throw new PermanentActionError(`${adapter}: ${origin} answered ${res.status} (a redirect, not followed: check the URL)`, answered);
  }
  const verdict = classifyStatus(res.status);
  if (verdict === 'ok') return { status: res.status, body };
  const message = `${adapter}: ${origin} answered ${res.status}${detail(body)}`;
  throw verdict === 'permanent' ? new PermanentActionError(message, answered) : new BackendCallError(message, answered);
}

const isTimeout = (err: unknown) => ['TimeoutError', 'AbortError'].includes((err as Error | undefined)?.name ?? '');

function describe(err: unknown, timeoutSeconds: number): string {
  const e = err as Error & { cause?: Error };
  if (isTimeout(err)) return `did not answer within ${timeoutSeconds} s`;
  return `unreachable: ${e?.cause?.message ?? e?.message ?? String(err)}`;
}

/** A fetch that ended without an answer: the socket or DNS error code undici puts in `cause`, or the timeout. */
function noAnswer(err: unknown): CallFailure {
  if (isTimeout(err)) return { kind: 'timeout' };
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return { kind: 'unreachable', code: typeof code === 'string' ? code : undefined };
}

async function readCapped(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    // Leaving the loop cancels the stream.
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parse(text: string | null): unknown {
  if (text === null) return { answerTooLarge: true };
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 1000);
  }
}

/** A short, printable reason from an error answer (SCIM's `detail`, a JSON `error`/`message`, or text). */
function detail(body: unknown): string {
  let text: unknown = body;
  if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    text = b.detail ?? b.error ?? b.message;
  }
  if (typeof text !== 'string' || text.trim() === '') return '';
  return `: ${text
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, 200)}`;
}

/** A plain JSON object, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * `value` as one URL path segment. "." and ".." cannot be one (URL parsers resolve them, and
 * their %2e spellings, as dot segments), so they are refused rather than sent.
 */
export function pathSegment(adapter: string, value: string): string {
  if (/^\.{1,2}$/.test(value)) throw new PermanentActionError(`${adapter}: "${value}" cannot be sent as a name`);
  return encodeURIComponent(value);
}

/** The base URL without trailing slashes, so `${base}/Users` has exactly one. */
export const baseUrl = (url: string) => url.replace(/\/+$/, '');
