import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Refusal, type RefusalKind } from '../domain/refusal';

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, with `errors` naming each bad field. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors: FieldError[];
}

/** RFC 6901: `/` and `~` inside a key are escaped, so every path names exactly one place. */
export const jsonPointer = (path: readonly PropertyKey[]): string =>
  path.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

export class ProblemException extends HttpException {
  constructor(status: number, detail: string, errors: FieldError[] = [], title?: string) {
    super(problem(status, detail, errors, title), status);
  }
}

export function problem(status: number, detail: string, errors: FieldError[] = [], title?: string): Problem {
  const text = title ?? HttpStatus[status]?.toLowerCase().replace(/_/g, ' ') ?? 'error';
  return {
    // A URN, not a URL: there is no documentation site to point at yet.
    type: `urn:warden:problem:${text.replace(/ /g, '-')}`,
    title: text.charAt(0).toUpperCase() + text.slice(1),
    status,
    detail,
    errors,
  };
}

/** PostgreSQL unreachable, shutting down, out of connections or timing out a lock: the client may retry. */
function isStorageUnavailable(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  return (
    /^(08|53|57P|55P03)/.test(code ?? '') ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code ?? '') ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(message ?? '')
  );
}

/** The one mapping of a domain refusal to HTTP. */
export const REFUSAL_STATUS: Record<RefusalKind, number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 400,
  unprocessable: 422,
};

export const refusalProblem = (r: Refusal): Problem => problem(REFUSAL_STATUS[r.kind], r.detail, [...r.fields]);

const BODY_FIELD_ERRORS: Record<number, FieldError> = {
  413: { path: '/', message: 'the body must be at most 5 MiB' },
  415: { path: 'header:content-type', message: 'must be application/json or application/x-ndjson' },
};

/** Every error leaves as application/problem+json; unexpected ones are logged and never leak internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = this.toProblem(exception);
    // The path only: a query string can carry a secret (Jira's `?secret=`), and problems are logged and shown.
    body.instance = request.url.split('?')[0];
    void reply.status(body.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof Refusal) return refusalProblem(exception);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response && 'type' in response && 'errors' in response) {
        return { ...(response as Problem) };
      }
      const message = typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message);
      // Fastify's own rejections (too large, wrong content type, malformed JSON) arrive here as plain HttpExceptions.
      const field = BODY_FIELD_ERRORS[status] ?? (status === 400 ? { path: '/', message } : undefined);
      return problem(status, message, field ? [field] : []);
    }
    // Errors raised inside Fastify (our body parsers) carry a statusCode instead.
    const status = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = (exception as Error).message ?? 'bad request';
      return problem(status, message, [BODY_FIELD_ERRORS[status] ?? { path: '/', message }]);
    }
    if (isStorageUnavailable(exception)) {
      this.logger.warn(`storage unavailable: ${(exception as Error).message}`);
      return problem(503, 'The database is unavailable; nothing from this request was acknowledged. Retry later.');
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return problem(500, 'An unexpected error occurred; it has been logged.');
  }
}
