/* global self, fetch, location, crypto */
// The workspace's one way to the API: the session (GET /v1/session), reads that revalidate with
// their ETag (an unchanged answer is an empty 304, and nothing is drawn again), and actions that
// send the session's CSRF token. Everything goes with the session cookie (same origin only).
(function (root) {
  'use strict';

  /** A refusal or failure, with the problem+json the API answered (its `detail` is what a person reads). */
  class ApiError extends Error {
    constructor(status, problem) {
      const detail = problem && typeof problem.detail === 'string' ? problem.detail : 'HTTP ' + status;
      super(detail);
      this.status = status;
      this.detail = detail;
      this.errors = problem && Array.isArray(problem.errors) ? problem.errors : [];
    }

    /** The detail with each named field: `The query parameters are invalid. (query:sourceIp: must be …)`. */
    get text() {
      const fields = this.errors.map((e) => e.path + ': ' + e.message).join('; ');
      return fields ? this.detail + ' (' + fields + ')' : this.detail;
    }
  }

  /** The page is on its way to sign-in: whatever was in flight stops quietly. */
  class SigningIn extends Error {}

  /** How many answers a page keeps for revalidation; the oldest goes first. */
  const KEPT = 100;

  const state = {
    session: null,
    /** path → { etag, body } of the last 200, for If-None-Match. */
    kept: new Map(),
    /** The server's clock minus ours (from each answer's Date), so countdowns count the server's deadlines. */
    skewMs: 0,
    leaving: false,
  };

  /** Sign-in, coming back to this very view afterwards (the #fragment never reaches the server, so the page says it). */
  function signIn() {
    if (!state.leaving) {
      state.leaving = true;
      location.assign('/auth/login?return=' + encodeURIComponent(location.pathname + location.search + location.hash));
    }
    throw new SigningIn('signing in');
  }

  function clock(res) {
    const date = Date.parse(res.headers.get('date') || '');
    if (!Number.isNaN(date)) state.skewMs = date - Date.now();
  }

  /** Now, on the server's clock (to the second, as its Date header says). */
  const now = () => Date.now() + state.skewMs;

  const problemOf = (res) => res.json().catch(() => null);

  /** Who is signed in: `{ analyst: { id, name, roles } | null, scopes, csrfToken, expiresAt }`; no session: off to sign-in. */
  async function session() {
    const res = await fetch('/v1/session', { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    clock(res);
    if (res.status === 401) signIn();
    if (!res.ok) throw new ApiError(res.status, await problemOf(res));
    state.session = await res.json();
    return state.session;
  }

  /**
   * A JSON read, asked with the ETag of the answer kept for it: `{ body, changed }`, where an empty
   * 304 gives the kept body back unchanged.
   */
  async function read(path) {
    const headers = { accept: 'application/json' };
    const kept = state.kept.get(path);
    if (kept) headers['if-none-match'] = kept.etag;
    // no-store: the browser's cache stays out of it, so a 304 reaches this code as a 304.
    const res = await fetch(path, { headers, credentials: 'same-origin', cache: 'no-store' });
    clock(res);
    if (res.status === 304 && kept) return { body: kept.body, changed: false };
    if (res.status === 401) signIn();
    if (!res.ok) throw new ApiError(res.status, await problemOf(res));
    const body = await res.json();
    const etag = res.headers.get('etag');
    state.kept.delete(path);
    if (etag) state.kept.set(path, { etag, body });
    if (state.kept.size > KEPT) state.kept.delete(state.kept.keys().next().value);
    return { body, changed: true };
  }

  /** A state-changing request, with the session's CSRF token; a refusal throws its problem. */
  async function send(method, path, body, extraHeaders) {
    const headers = Object.assign({ accept: 'application/json' }, extraHeaders || {});
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (state.session && state.session.csrfToken) headers['x-csrf-token'] = state.session.csrfToken;
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    clock(res);
    if (res.status === 401) signIn();
    const answer = await problemOf(res);
    if (!res.ok) throw new ApiError(res.status, answer);
    return answer;
  }

  /** Ends the session, then shows sign-in (also when the session had ended already). */
  async function signOut() {
    try {
      await send('POST', '/auth/logout');
    } catch {
      // Gone already or refused: sign-in is where the person goes either way.
    }
    state.leaving = true;
    location.assign('/auth/login');
  }

  /** A fresh Idempotency-Key, so a retried reassignment is applied once. */
  function idempotencyKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Which scopes each scope includes, as the API's guard decides (auth/api-keys.ts). */
  const IMPLIED = { admin: ['admin', 'lead', 'analyst', 'ingest'], lead: ['lead', 'analyst'], analyst: ['analyst'], ingest: ['ingest'] };
  const has = (scope) =>
    Boolean(state.session && (state.session.scopes || []).some((s) => Object.hasOwn(IMPLIED, s) && IMPLIED[s].includes(scope)));
  const roles = () => (state.session && state.session.analyst && state.session.analyst.roles) || [];

  root.WardenApi = {
    ApiError,
    SigningIn,
    session,
    read,
    send,
    signOut,
    now,
    idempotencyKey,
    /** Whether the session's scopes grant this one (lead includes analyst, admin everything). */
    has,
    /** The signed-in analyst's roster roles. */
    roles,
    current: () => state.session,
  };
})(typeof self !== 'undefined' ? self : globalThis);
