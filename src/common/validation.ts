import { ParseUUIDPipe } from '@nestjs/common';
import { z } from 'zod';
import { jsonPointer, ProblemException } from './problem';

/** Validates a request body, answering 422 with every bad field named by its JSON pointer. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ProblemException(
    422,
    'The request body is invalid.',
    result.error.issues.map((i) => ({ path: jsonPointer(i.path) || '/', message: i.message })),
  );
}

/** Validates query parameters, answering 400 with each bad one named `query:<name>`. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw new ProblemException(
    400,
    'The query parameters are invalid.',
    result.error.issues.map((i) => ({ path: `query:${i.path.join('.') || '?'}`, message: i.message })),
  );
}

/** Opaque keyset cursors: the sort values of the last item, base64url JSON. */
export const encodeCursor = (values: unknown[]): string => Buffer.from(JSON.stringify(values)).toString('base64url');

export function decodeCursor(cursor: string, length: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === length) return values;
  } catch {
    // fall through
  }
  throw new ProblemException(400, 'The cursor is not one this API gave out.', [{ path: 'query:cursor', message: 'invalid cursor' }]);
}

/** A `:id` path parameter that must be a UUID; anything else is a 400 naming `path:id`. */
export const uuidParam = (what: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => new ProblemException(400, `The ${what} id must be a UUID.`, [{ path: 'path:id', message: 'must be a UUID' }]),
  });

/** `limit` of a list: at most 1,000, 100 when omitted. */
export const limitSchema = z.coerce.number().int().min(1).max(1000).default(100);
