import { renderSignInPage } from './sign-in-page';

describe(renderSignInPage.name, () => {
  it('writes the return path and the error as text, and has no script', () => {
    const page = renderSignInPage({
      returnTo: '/app#"><script>alert(1)</script>',
      keyForm: true,
      sso: false,
      error: '<img src=x onerror=alert(1)>',
    });
    expect({
      elements: page.match(/<(script|img)\b/gi),
      hidden: page.match(/name="return" value="([^"]*)"/)?.[1],
      error: page.match(/<p class="error" role="alert">([^<]*)<\/p>/)?.[1],
    }).toEqual({
      elements: null,
      hidden: '/app#&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
      error: '&lt;img src=x onerror=alert(1)&gt;',
    });
  });

  it('posts the key form to /auth/key and links single sign-on with the return path', () => {
    const page = renderSignInPage({ returnTo: '/app#incident/7', keyForm: true, sso: true });
    expect({
      form: page.includes('<form method="post" action="/auth/key">'),
      sso: page.includes('href="/auth/login?return=%2Fapp%23incident%2F7"'),
    }).toEqual({ form: true, sso: true });
  });
});
