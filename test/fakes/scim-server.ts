import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HalfSuccess, type HalfSuccessControls } from './half-success';
import { sendJson, startLoopbackFake, type FakeMode, type LoggedRequest } from './loopback-fake';

export type { FakeMode, LoggedRequest } from './loopback-fake';

export interface ScimUser {
  id: string;
  userName: string;
  active: boolean;
}

/** applyThenFail, refuse and heal take Warden's action names as `only`: disable_user (PATCH active=false), enable_user. */
export interface FakeScimServer extends HalfSuccessControls {
  /** The SCIM base URL (…/scim/v2). */
  url: string;
  users: Map<string, ScimUser>;
  /** Each with when it arrived (`at`, ms since the epoch). */
  requests: LoggedRequest[];
  addUser(userName: string, active?: boolean): ScimUser;
  user(userName: string): ScimUser | undefined;
  /** The userName values the server was asked to filter on, decoded, in order. */
  filters: string[];
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

const SCIM_JSON = 'application/scim+json';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * A SCIM 2.0 identity provider on loopback, as much of RFC 7644 as Warden uses: bearer auth,
 * `GET /Users?filter=userName eq "…"` (the value is a JSON string, so `\"` and `\\` are
 * unescaped; matching is case-insensitive, as userName is caseExact=false), `GET /Users/{id}`,
 * and `PATCH /Users/{id}` replacing `active`. Answers are ListResponse and User resources.
 * applyThenFail makes a PATCH take effect but answer a failure.
 */
export async function startScimServer(options: {
  token: string;
  users?: { userName: string; active?: boolean }[];
}): Promise<FakeScimServer> {
  const users = new Map<string, ScimUser>();
  const filters: string[] = [];
  const faults = new HalfSuccess();

  const addUser = (userName: string, active = true): ScimUser => {
    const user = { id: randomUUID(), userName, active };
    users.set(user.id, user);
    return user;
  };
  for (const u of options.users ?? []) addUser(u.userName, u.active ?? true);
  const resource = (u: ScimUser) => ({ schemas: [USER], id: u.id, userName: u.userName, active: u.active, meta: { resourceType: 'User' } });

  const send = (res: ServerResponse, status: number, body?: unknown) => sendJson(res, status, body, SCIM_JSON);
  const error = (res: ServerResponse, status: number, detail: string, scimType?: string) =>
    send(res, status, { schemas: [ERROR], status: String(status), detail, ...(scimType ? { scimType } : {}) });

  const handle = (req: LoggedRequest, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) return error(res, 401, 'bad token');

    const url = new URL(req.url, 'http://fake');
    const [, scim, v2, collection, id, ...rest] = url.pathname.split('/');
    if (scim !== 'scim' || v2 !== 'v2' || collection !== 'Users' || rest.length > 0) return error(res, 404, 'no such endpoint');

    if (req.method === 'GET' && id === undefined) {
      const filter = url.searchParams.get('filter');
      if (filter === null)
        return send(res, 200, { schemas: [LIST], totalResults: users.size, Resources: [...users.values()].map(resource) });
      const match = /^userName eq ("(?:[^"\\]|\\.)*")$/i.exec(filter);
      let wanted: string;
      try {
        wanted = JSON.parse(match?.[1] ?? '') as string;
      } catch {
        return error(res, 400, `unsupported filter`, 'invalidFilter');
      }
      filters.push(wanted);
      const found = [...users.values()].filter((u) => u.userName.toLowerCase() === wanted.toLowerCase());
      return send(res, 200, {
        schemas: [LIST],
        totalResults: found.length,
        startIndex: 1,
        itemsPerPage: found.length,
        Resources: found.map(resource),
      });
    }

    const user = id === undefined ? undefined : users.get(decodeURIComponent(id));
    if (!user) return error(res, 404, 'no such user');
    if (req.method === 'GET') return send(res, 200, resource(user));
    if (req.method !== 'PATCH') return error(res, 405, 'method not allowed');
    let patch: { schemas?: string[]; Operations?: { op?: string; path?: string; value?: unknown }[] };
    try {
      patch = JSON.parse(req.body) as typeof patch;
    } catch {
      return error(res, 400, 'body is not JSON', 'invalidSyntax');
    }
    if (!patch.schemas?.includes(PATCH_OP) || !Array.isArray(patch.Operations)) return error(res, 400, 'not a PatchOp', 'invalidSyntax');
    for (const op of patch.Operations) {
      if (op.op?.toLowerCase() !== 'replace' || op.path !== 'active' || typeof op.value !== 'boolean') {
        return error(res, 400, 'only "replace active" is supported', 'invalidPath');
      }
    }
    const action = patch.Operations.at(-1)?.value === false ? 'disable_user' : 'enable_user';
    const refusal = faults.refusal(action);
    if (refusal !== undefined) return error(res, refusal, `${action} refused by the test`);
    for (const op of patch.Operations) user.active = op.value as boolean;
    faults.answer(
      action,
      res,
      () => send(res, 200, resource(user)),
      (status) => error(res, status, `${action} applied, then failed by the test`),
    );
  };

  const fake = await startLoopbackFake(handle, {
    down: (res) => error(res, 503, 'down for maintenance'),
  });
  return {
    url: `${fake.origin}/scim/v2`,
    users,
    requests: fake.requests,
    filters,
    addUser,
    user: (userName) => [...users.values()].find((u) => u.userName === userName),
    setMode: fake.setMode,
    applyThenFail: (answer, only) => faults.applyThenFail(answer, only),
    refuse: (status, only) => faults.refuse(status, only),
    heal: () => faults.heal(),
    answerHeld: () => faults.answerHeld(),
    close: fake.close,
  };
}
