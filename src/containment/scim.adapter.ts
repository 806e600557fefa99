import type { ContainmentAdapter, ContainmentRequest, ContainmentResult } from './adapter';
import { PermanentActionError } from './adapter';
import { asObject, baseUrl, callBackend, pathSegment } from './http';

export interface ScimAdapterOptions {
  name: string;
  /** The SCIM base, e.g. https://idp.example.com/scim/v2 */
  url: string;
  token: string;
  timeoutSeconds: number;
}

const SCIM_JSON = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Disables and enables users in an identity provider over SCIM 2.0 (RFC 7644): the user is
 * found by `userName` (GET /Users?filter=userName eq "…"), then `PATCH /Users/{id}` replaces
 * `active`. The undo state is the SCIM id and whether the user was active, so an undo enables
 * only a user that containment disabled: one disabled before stays disabled.
 *
 * The undo state is handed to `beforeChange` before the PATCH, and the step keeps the first it
 * is given: a retry after a lost answer, which finds the user already disabled, does not turn
 * it into `wasActive: false`. An enable of a user who is active already, or gone, succeeds.
 */
export class ScimAdapter implements ContainmentAdapter {
  readonly kind = 'scim';
  readonly actions = ['disable_user', 'enable_user'] as const;
  readonly name: string;
  private readonly base: string;

  constructor(private readonly options: ScimAdapterOptions) {
    this.name = options.name;
    this.base = baseUrl(options.url);
  }

  async perform(request: ContainmentRequest): Promise<ContainmentResult> {
    if (request.action === 'disable_user') return this.disable(request.target, request.beforeChange);
    if (request.action === 'enable_user') return this.enable(request.target, request.undo);
    throw new PermanentActionError(`${this.name}: a SCIM adapter cannot ${request.action}`);
  }

  private async disable(userName: string, beforeChange: ContainmentRequest['beforeChange']): Promise<ContainmentResult> {
    const user = await this.find(userName);
    if (!user) throw new PermanentActionError(`${this.name}: no SCIM user named ${JSON.stringify(userName.slice(0, 256))}`);
    if (!user.active) {
      return {
        output: { scimId: user.id, userName: user.userName, active: false, changed: false },
        undo: { scimId: user.id, wasActive: false },
      };
    }
    await beforeChange?.({ scimId: user.id, wasActive: true });
    await this.setActive(user.id, false);
    return {
      output: { scimId: user.id, userName: user.userName, active: false, changed: true },
      undo: { scimId: user.id, wasActive: true },
    };
  }

  private async enable(userName: string, undo: Record<string, unknown> | undefined): Promise<ContainmentResult> {
    if (undo?.wasActive === false) {
      return { output: { userName, active: false, changed: false, reason: 'the user was disabled before containment; left disabled' } };
    }
    const scimId = typeof undo?.scimId === 'string' ? undo.scimId : (await this.find(userName))?.id;
    if (scimId === undefined || !(await this.setActive(scimId, true))) {
      return { output: { userName, active: false, changed: false, reason: 'no such user any more: nothing to enable' } };
    }
    return { output: { scimId, userName, active: true, changed: true } };
  }

  /** The one user named `userName`, or undefined when there is none. */
  private async find(userName: string): Promise<{ id: string; userName: string; active: boolean } | undefined> {
    // A filter's compValue is a JSON string (RFC 7644 §3.4.2.2), so JSON.stringify escapes `"`, `\` and the rest; the URL encoding comes on top.
    const filter = `userName eq ${JSON.stringify(userName)}`;
    const answer = await callBackend(this.name, {
      method: 'GET',
      url: `${this.base}/Users?filter=${encodeURIComponent(filter)}`,
      headers: this.headers(),
      timeoutSeconds: this.options.timeoutSeconds,
    });
    const resources = asObject(answer.body)?.Resources;
    // userName is caseExact=false (RFC 7643 §4.1.1); servers that ignore the filter must not make us act on someone else.
    const matches = (Array.isArray(resources) ? resources : [])
      .map(asObject)
      .filter((r): r is Record<string, unknown> => typeof r?.id === 'string' && typeof r.userName === 'string')
      .filter((r) => (r.userName as string).toLowerCase() === userName.toLowerCase());
    if (matches.length === 0) return undefined;
    if (matches.length > 1)
      throw new PermanentActionError(`${this.name}: ${matches.length} SCIM users are named ${JSON.stringify(userName)}`);
    const [user] = matches;
    return { id: user.id as string, userName: user.userName as string, active: user.active !== false };
  }

  /** PATCHes `active` (setting it to what it is already is no change); false when the user is not there (404). */
  private async setActive(id: string, active: boolean): Promise<boolean> {
    const answer = await callBackend(this.name, {
      method: 'PATCH',
      url: `${this.base}/Users/${pathSegment(this.name, id)}`,
      headers: { ...this.headers(), 'content-type': SCIM_JSON },
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: active }] }),
      timeoutSeconds: this.options.timeoutSeconds,
      accept: active ? [404] : undefined,
    });
    return answer.status !== 404;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, accept: SCIM_JSON };
  }
}
