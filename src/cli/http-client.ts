/** Where the HTTP commands find Warden, and with which key. */
export interface Connection {
  url: string;
  key?: string;
}

/** `--url`, else WARDEN_URL, else the local api on PORT; `--key`, else WARDEN_API_KEY. */
export function resolveConnection(opts: { url?: string; key?: string }, env: NodeJS.ProcessEnv): Connection {
  const url = opts.url || env.WARDEN_URL || `http://127.0.0.1:${env.PORT || 3000}`;
  return { url: url.replace(/\/+$/, ''), key: opts.key || env.WARDEN_API_KEY || undefined };
}

/**
 * Where people open Warden, for the links the CLI prints: PUBLIC_URL when set (the address the
 * api's own links use), else the address this command reached it at.
 */
export const publicUrlOf = (opts: { url?: string }, env: NodeJS.ProcessEnv): string =>
  (env.PUBLIC_URL || resolveConnection(opts, env).url).replace(/\/+$/, '');

/** A failed call: `status` is null when Warden could not be reached at all. The message is one line, for stderr. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The key was refused: nothing later can succeed with it. */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

interface ProblemLike {
  title?: unknown;
  detail?: unknown;
  errors?: unknown;
}

/**
 * One line from an error answer: the problem's detail (or title) and its first field errors.
 * Never the body itself, which may be an HTML error page from a proxy.
 */
export function describeProblem(status: number, body: unknown): string {
  const p = (body !== null && typeof body === 'object' ? body : {}) as ProblemLike;
  const detail = typeof p.detail === 'string' && p.detail ? p.detail : typeof p.title === 'string' && p.title ? p.title : `HTTP ${status}`;
  const fields = Array.isArray(p.errors)
    ? p.errors
        .filter((e): e is { path: string; message: string } => typeof e?.path === 'string' && typeof e?.message === 'string')
        .slice(0, 3)
        .map((e) => `${e.path}: ${e.message}`)
    : [];
  return oneLine(`${status} ${detail}${fields.length ? ` (${fields.join('; ')})` : ''}`);
}

/** Control characters (a hostile alert title could carry terminal escapes) become visible escapes; newlines become spaces. */
export function printable(text: string): string {
  return (
    text
      .replace(/[\r\n\t]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}

const oneLine = (text: string) => printable(text).slice(0, 500);

export interface Answer<T> {
  status: number;
  body: T;
  text: string;
}

/** A small client for Warden's REST API: JSON in, JSON out, problems as ApiError. */
export class WardenClient {
  constructor(
    readonly connection: Connection,
    private readonly timeoutMs = 60_000,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Sends and answers whatever status comes back; throws only when Warden cannot be reached. */
  async send<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    if (!this.connection.key) throw new ApiError('no API key: pass --key <key> or set WARDEN_API_KEY', null);
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.connection.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.key}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ApiError(`cannot reach Warden at ${this.connection.url}: ${reason(err)}`, null);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as T, text };
  }

  /** Sends and returns the JSON body of a 2xx answer; anything else is an ApiError naming the problem's detail. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.send<T>(method, path, body);
    if (answer.status < 200 || answer.status > 299)
      throw new ApiError(`${method} ${path}: ${describeProblem(answer.status, answer.body)}`, answer.status);
    return answer.body;
  }

  /** A 2xx answer's text (an HTML page, say). */
  async text(path: string): Promise<string> {
    const answer = await this.send('GET', path, undefined, { accept: 'text/html, */*' });
    if (answer.status < 200 || answer.status > 299)
      throw new ApiError(`GET ${path}: ${describeProblem(answer.status, answer.body)}`, answer.status);
    return answer.text;
  }
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return oneLine(e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err));
}
