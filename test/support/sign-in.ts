import type { Answer } from './harness';

/**
 * The cookies one browser holds for one site: what Set-Cookie gave (a cookie cleared or
 * expired is dropped), sent back whole. Paths and domains are not told apart: each site
 * (Warden, the provider) gets a jar of its own.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((p) => p.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const gone = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** A copy, as someone who lifted the cookies would hold them. */
  copy(): CookieJar {
    const jar = new CookieJar();
    for (const [name, value] of this.cookies) jar.set(name, value);
    return jar;
  }

  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {};
  }
}

/** One request as a browser would send it, redirects not followed, cookies kept in the jar. */
export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...jar.header(), ...init.headers },
    body: init.body,
    redirect: 'manual',
  });
  jar.store(res);
  return res;
}

const answer = async (res: Response): Promise<Answer> => {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
};

/**
 * A signed-in page calling Warden's API: the jar's cookies, and the session's CSRF token on
 * requests that change something unless `csrf` says otherwise (false: none; a string: that one).
 */
export function sessionClient(baseUrl: string, jar: CookieJar) {
  let token: string | null | undefined;
  return async (method: string, path: string, body?: unknown, options: { csrf?: boolean | string } = {}): Promise<Answer> => {
    const changes = method !== 'GET' && method !== 'HEAD';
    let csrf: string | undefined;
    if (typeof options.csrf === 'string') csrf = options.csrf;
    else if (changes && options.csrf !== false) {
      token ??= ((await answer(await browse(jar, `${baseUrl}/v1/session`))).body as { csrfToken: string | null } | undefined)?.csrfToken;
      csrf = token ?? undefined;
    }
    const res = await browse(jar, `${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(csrf !== undefined && { 'x-csrf-token': csrf }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return answer(res);
  };
}

export interface OidcSignIn {
  /** Warden's cookies once the flow is over. */
  jar: CookieJar;
  /** Warden's last answer: its callback's (302 to the return path, or a refusal). */
  final: Answer;
  /** Every URL the browser was sent to, in order. */
  visited: string[];
}

/**
 * Signs `login` in the way a browser does, by hand: Warden's /auth/login redirects to the
 * provider, whose login form is posted, and the provider redirects to Warden's callback at
 * PUBLIC_URL, which the browser reaches at `apiUrl` (as a reverse proxy would forward it).
 */
export async function signInWithOidc(options: {
  apiUrl: string;
  publicUrl: string;
  login: string;
  returnTo?: string;
}): Promise<OidcSignIn> {
  const warden = new CookieJar();
  const provider = new CookieJar();
  const visited: string[] = [];
  const start = `${options.apiUrl}/auth/login${options.returnTo === undefined ? '' : `?return=${encodeURIComponent(options.returnTo)}`}`;
  let res = await browse(warden, start);
  let at = start;
  for (let step = 0; step < 10; step++) {
    if (res.status < 300 || res.status >= 400) break;
    const next = new URL(res.headers.get('location')!, at);
    visited.push(next.href);
    if (next.href.startsWith(options.publicUrl)) {
      at = `${options.apiUrl}${next.pathname}${next.search}`;
      res = await browse(warden, at);
      if (!next.pathname.startsWith('/auth/callback')) break;
      return { jar: warden, final: await answer(res), visited: [...visited, res.headers.get('location') ?? ''] };
    }
    at = next.href;
    // The provider's login form: its development interaction takes any login name it knows.
    if (/^\/interaction\/[^/]+$/.test(next.pathname)) {
      await (await browse(provider, at)).text();
      res = await browse(provider, at, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login: options.login, password: 'any' }).toString(),
      });
    } else res = await browse(provider, at);
  }
  return { jar: warden, final: await answer(res), visited };
}

/** Key sign-in as the sign-in page's form posts it. */
export async function signInWithKey(apiUrl: string, key: string, returnTo?: string): Promise<{ jar: CookieJar; answer: Answer }> {
  const jar = new CookieJar();
  const form = new URLSearchParams({ key, ...(returnTo !== undefined && { return: returnTo }) });
  const res = await browse(jar, `${apiUrl}/auth/key`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { jar, answer: await answer(res) };
}
