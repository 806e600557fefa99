/**
 * The sign-in page: plain HTML and one stylesheet of its own, no script at all, under a strict
 * Content-Security-Policy (as the dashboard's), so nothing a link or a failed sign-in puts on it can run.
 */
export const SIGN_IN_CSS_PATH = '/auth/sign-in.css';

export const SIGN_IN_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

export const SIGN_IN_CSS = `body{font:16px/1.4 system-ui,sans-serif;background:#f4f5f7;color:#172b4d;margin:0}
main{max-width:24rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;margin:0 0 .3rem;font-weight:600}
input[type=password]{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #8993a4;border-radius:4px}
button,a.button{display:inline-block;margin-top:1rem;padding:.5rem 1.2rem;font:inherit;border:0;border-radius:4px;background:#0052cc;color:#fff;text-decoration:none;cursor:pointer}
p.error{color:#bf2600;background:#ffebe6;padding:.5rem;border-radius:4px}
p.hint{color:#5e6c84;font-size:.9rem}
`;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface SignInPageOptions {
  /** Where to go after sign-in (already checked by safeReturnPath). */
  returnTo: string;
  /** Show the API-key form (KEY_SIGN_IN on). */
  keyForm: boolean;
  /** Offer single sign-on (OIDC configured). */
  sso: boolean;
  /** Why the last attempt failed, if it did. */
  error?: string;
}

/** The page itself; every value on it is escaped. */
export function renderSignInPage(o: SignInPageOptions): string {
  const ret = escapeHtml(o.returnTo);
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Sign in · Warden</title><link rel="stylesheet" href="${SIGN_IN_CSS_PATH}"></head>`,
    '<body><main><h1>Sign in to Warden</h1>',
  ];
  if (o.error) parts.push(`<p class="error" role="alert">${escapeHtml(o.error)}</p>`);
  if (o.sso)
    parts.push(
      `<p><a class="button" href="/auth/login?return=${escapeHtml(encodeURIComponent(o.returnTo))}">Sign in with single sign-on</a></p>`,
    );
  if (o.keyForm) {
    parts.push(
      '<form method="post" action="/auth/key">',
      '<label for="key">API key</label>',
      '<input id="key" name="key" type="password" autocomplete="off" required maxlength="512">',
      `<input type="hidden" name="return" value="${ret}">`,
      '<button type="submit">Sign in</button>',
      '</form>',
      '<p class="hint">A key that acts for you: <code>warden keys create --name you --scope analyst --analyst your.id</code></p>',
    );
  }
  if (!o.sso && !o.keyForm) parts.push('<p>Sign-in is off on this Warden. Ask its operator.</p>');
  parts.push('</main></body></html>');
  return parts.join('\n');
}
