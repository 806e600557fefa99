import type { ContainmentAdapter, ContainmentRequest, ContainmentResult } from './adapter';
import { PermanentActionError } from './adapter';
import { asObject, baseUrl, callBackend, pathSegment } from './http';

export interface EdrAdapterOptions {
  name: string;
  /** The API base, e.g. https://edr.example.com/api */
  url: string;
  token: string;
  timeoutSeconds: number;
}

/**
 * A generic HTTP EDR, for products with (or wrapped to) this small API; every call carries
 * `Authorization: Bearer <token>`, and {host} is one URL-encoded path segment:
 *
 *   GET  {base}/hosts/{host}          → 200 { "host": "ws-042", "isolated": false }, 404 when unknown
 *   POST {base}/hosts/{host}/isolate  { "incidentId": "…", "idempotencyKey": "…" } → 2xx (already isolated: no-op)
 *   POST {base}/hosts/{host}/release  { "incidentId": "…", "idempotencyKey": "…" } → 2xx (not isolated: no-op)
 *
 * The undo state is whether the host was isolated before, so the undo releases only a host
 * that containment isolated. It is handed to `beforeChange` before the isolate, and the step
 * keeps the first it is given: a retry after a lost answer, which sees the host isolated, does not
 * turn it into `wasIsolated: true`. A release of a host that is not isolated, or that the EDR no
 * longer knows (404), succeeds: there is nothing to release.
 */
export class EdrAdapter implements ContainmentAdapter {
  readonly kind = 'edr';
  readonly actions = ['isolate_host', 'release_host'] as const;
  readonly name: string;
  private readonly base: string;

  constructor(private readonly options: EdrAdapterOptions) {
    this.name = options.name;
    this.base = baseUrl(options.url);
  }

  async perform(request: ContainmentRequest): Promise<ContainmentResult> {
    if (request.action !== 'isolate_host' && request.action !== 'release_host') {
      throw new PermanentActionError(`${this.name}: an EDR adapter cannot ${request.action}`);
    }
    const host = request.target;
    const hostUrl = `${this.base}/hosts/${pathSegment(this.name, host)}`;
    if (request.action === 'release_host' && request.undo?.wasIsolated === true) {
      return { output: { host, isolated: true, changed: false, reason: 'the host was isolated before containment; left isolated' } };
    }
    if (request.action === 'isolate_host') {
      const wasIsolated = await this.isolated(hostUrl, host);
      if (wasIsolated) return { output: { host, isolated: true, changed: false }, undo: { wasIsolated: true } };
      await request.beforeChange?.({ wasIsolated: false });
    }
    const verb = request.action === 'isolate_host' ? 'isolate' : 'release';
    const answer = await callBackend(this.name, {
      method: 'POST',
      url: `${hostUrl}/${verb}`,
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ incidentId: request.incidentId, idempotencyKey: request.idempotencyKey }),
      timeoutSeconds: this.options.timeoutSeconds,
      accept: verb === 'release' ? [404] : undefined,
    });
    if (answer.status === 404)
      return { output: { host, isolated: false, changed: false, reason: 'the EDR knows no such host: nothing to release' } };
    const isolated = verb === 'isolate';
    return isolated
      ? { output: { host, isolated, changed: true }, undo: { wasIsolated: false } }
      : { output: { host, isolated, changed: true } };
  }

  private async isolated(hostUrl: string, host: string): Promise<boolean> {
    const answer = await callBackend(this.name, {
      method: 'GET',
      url: hostUrl,
      headers: this.headers(),
      timeoutSeconds: this.options.timeoutSeconds,
      accept: [404],
    });
    if (answer.status === 404) throw new PermanentActionError(`${this.name}: the EDR knows no host named ${JSON.stringify(host)}`);
    const isolated = asObject(answer.body)?.isolated;
    if (typeof isolated !== 'boolean')
      throw new PermanentActionError(`${this.name}: the EDR answered without a boolean "isolated" for the host`);
    return isolated;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, accept: 'application/json' };
  }
}
