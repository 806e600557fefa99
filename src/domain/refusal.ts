/**
 * Why an action was refused, in the domain's words. Services and use cases throw these; each
 * way in maps them once: to problem+json (common/problem.ts), to a Slack ephemeral reply, to a
 * Jira refusal comment, to a non-retryable Temporal failure (temporal/activities).
 */
export type RefusalKind = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'unprocessable';

/** The part of the request a refusal is about (`/status`, `path:id`, `header:authorization`, `query:cursor`) and what is wrong with it. */
export interface RefusedField {
  path: string;
  message: string;
}

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly detail: string,
    readonly fields: readonly RefusedField[],
  ) {
    super(detail);
    this.name = 'Refusal';
  }

  /** What a person reads as the reason: the first field's message. */
  get reason(): string {
    return this.fields[0]?.message ?? this.detail;
  }
}

export const notFound = (detail: string, path = 'path:id', reason = 'no such record') =>
  new Refusal('not_found', detail, [{ path, message: reason }]);
export const forbidden = (detail: string, reason: string, path = 'header:authorization') =>
  new Refusal('forbidden', detail, [{ path, message: reason }]);
export const conflict = (detail: string, path = '/status') => new Refusal('conflict', detail, [{ path, message: detail }]);
/** The request itself is malformed (a bad cursor, an invalid address). */
export const invalid = (detail: string, path: string, reason = detail) => new Refusal('invalid', detail, [{ path, message: reason }]);
/** Well-formed, but it cannot be done as asked (an Idempotency-Key reused with another body, an unknown analyst). */
export const unprocessable = (detail: string, path: string, reason = detail) =>
  new Refusal('unprocessable', detail, [{ path, message: reason }]);
