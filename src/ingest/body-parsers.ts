import type { FastifyInstance } from 'fastify';

export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines'];

/** One line of an NDJSON body: its parsed value, or why it could not be parsed. */
export type NdjsonLine = { line: number; value: unknown } | { line: number; error: string };

/** An NDJSON body keeps its bad lines so a batch can reject them one by one. */
export class NdjsonBody {
  constructor(readonly lines: NdjsonLine[]) {}
}

export function parseNdjson(text: string): NdjsonBody {
  const lines: NdjsonLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      lines.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      lines.push({ line: i + 1, error: `malformed JSON on line ${i + 1}: ${(err as Error).message}` });
    }
  });
  return new NdjsonBody(lines);
}

const FORM = 'application/x-www-form-urlencoded';

/** Where a form body is taken: Slack's interactions and commands, and sign-in and sign-out (`/auth/key`, `/auth/logout`). */
const FORM_ROUTES = ['/v1/integrations/slack/', '/auth/'];

/** Slack's forms are small; an interaction payload stays well under this. */
const MAX_FORM_BYTES = 256 * 1024;

/** The body as it arrived, for the integrations that verify a signature over it (Slack, Jira). */
export interface RawBodyRequest {
  rawBody?: string;
}

const keepRaw = (req: object, text: string) => {
  (req as RawBodyRequest).rawBody = text;
};

const badRequest = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

/**
 * Our own JSON and NDJSON parsers: any parse failure is a 400 (never a 500), and any
 * other content type is left to Fastify's 415.
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (req, body, done) => {
    const text = body as string;
    keepRaw(req, text);
    if (text.trim() === '') return done(badRequest('the request body is empty'), undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(badRequest(`malformed JSON: ${(err as Error).message}`), undefined);
    }
  });
  // Slack's interactions and slash commands (their signature covers the raw text), and the sign-in page's forms.
  fastify.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (req, body, done) => {
    // Only these routes take forms; everywhere else a form is the 415 it was before.
    if (!FORM_ROUTES.some((prefix) => req.url.startsWith(prefix)))
      return done(Object.assign(new Error(`Unsupported Media Type: ${FORM}`), { statusCode: 415 }), undefined);
    const text = body as string;
    keepRaw(req, text);
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
  fastify.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => {
    done(null, parseNdjson(body as string));
  });
}
