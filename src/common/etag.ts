import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A weak ETag of a response body: two bodies with the same bytes get the same tag. */
export function weakEtag(body: string | Buffer): string {
  return `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether `If-None-Match` names this tag: any of its comma-separated tags, or `*`, compared
 * weakly (RFC 9110 §13.1.2: `W/"x"` and `"x"` match), as a cache revalidating either form does.
 */
export function etagMatches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = etag.replace(/^W\//, '');
  return [ifNoneMatch]
    .flat()
    .join(',')
    .split(',')
    .some((tag) => {
      const t = tag.trim().replace(/^W\//, '');
      return t === '*' || t === opaque;
    });
}

/** Whether a response gets a weak ETag: a successful GET (or HEAD) answered with JSON held in memory, that set no tag itself. */
export function wantsEtag(method: string, status: number, contentType: unknown, existing: unknown, body: unknown): body is string | Buffer {
  return (
    (method === 'GET' || method === 'HEAD') &&
    status === 200 &&
    existing === undefined &&
    typeof contentType === 'string' &&
    /^application\/json\b/i.test(contentType) &&
    (typeof body === 'string' || Buffer.isBuffer(body))
  );
}

/**
 * Weak ETags on JSON reads, so a page that polls (the workspace) asks with `If-None-Match` and
 * gets an empty 304 while nothing changed: the answer is still computed, but not sent again nor
 * rendered again. `private, no-cache`: a browser may keep it but must revalidate, a shared cache
 * must not keep one person's view. A route that sets its own ETag (the pages' assets) keeps it.
 */
export function registerJsonEtags(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (!wantsEtag(request.method, reply.statusCode, reply.getHeader('content-type'), reply.getHeader('etag'), payload)) return payload;
    const etag = weakEtag(payload);
    void reply.header('etag', etag);
    if (reply.getHeader('cache-control') === undefined) void reply.header('cache-control', 'private, no-cache');
    if (!etagMatches(request.headers['if-none-match'], etag)) return payload;
    void reply.code(304);
    return '';
  });
}
