/**
 * Why an action was refused, in the domain's words. Services and use cases throw these; each
 * way in maps them once: to problem+json (common/problem.ts), to a Slack ephemeral reply, to a
 * Jira comment, to a non-retryable Temporal failure.
 */
export type RefusalKind = 'not_found' | 'forbidden' | 'conflict' | 'invalid';

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly detail: string,
    /** The field or part of the request it is about (`/status`, `path:id`, `header:authorization`). */
    readonly path: string,
    /** What the field error says; the detail when absent. */
    readonly reason: string = detail,
  ) {
    super(detail);
    this.name = 'Refusal';
  }
}

export const notFound = (detail: string, path = 'path:id', reason = 'no such record') => new Refusal('not_found', detail, path, reason);
export const forbidden = (detail: string, reason: string, path = 'header:authorization') => new Refusal('forbidden', detail, path, reason);
export const conflict = (detail: string, path = '/status') => new Refusal('conflict', detail, path);
export const invalid = (detail: string, path: string, reason = detail) => new Refusal('invalid', detail, path, reason);
