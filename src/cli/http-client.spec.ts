import { ApiError, describeProblem, printable, publicUrlOf, resolveConnection, WardenClient } from './http-client';

describe('resolveConnection', () => {
  it('prefers the options, then WARDEN_URL and WARDEN_API_KEY, then the local api on PORT', () => {
    expect([
      resolveConnection({ url: 'http://w:1/', key: 'k' }, { WARDEN_URL: 'http://x', WARDEN_API_KEY: 'y' }),
      resolveConnection({}, { WARDEN_URL: 'http://x', WARDEN_API_KEY: 'y' }),
      resolveConnection({}, { PORT: '4000' }),
      resolveConnection({}, {}),
    ]).toEqual([
      { url: 'http://w:1', key: 'k' },
      { url: 'http://x', key: 'y' },
      { url: 'http://127.0.0.1:4000', key: undefined },
      { url: 'http://127.0.0.1:3000', key: undefined },
    ]);
  });
});

describe('publicUrlOf', () => {
  it('prefers PUBLIC_URL, then the address the command reaches Warden at', () => {
    expect([
      publicUrlOf({ url: 'http://127.0.0.1:3000' }, { PUBLIC_URL: 'https://warden.example/' }),
      publicUrlOf({ url: 'http://w:1/' }, {}),
      publicUrlOf({}, { WARDEN_URL: 'http://x' }),
    ]).toEqual(['https://warden.example', 'http://w:1', 'http://x']);
  });
});

describe('describeProblem', () => {
  it('names the detail and the first field errors on one line', () => {
    expect(
      describeProblem(400, {
        title: 'Bad request',
        detail: 'The IP address is invalid.',
        errors: [{ path: 'path:ip', message: 'must be an IPv4 or IPv6 address' }],
      }),
    ).toBe('400 The IP address is invalid. (path:ip: must be an IPv4 or IPv6 address)');
  });

  it('falls back to the title, then the status, and never echoes a non-problem body', () => {
    expect([describeProblem(404, { title: 'Not found' }), describeProblem(502, '<html>bad gateway</html>')]).toEqual([
      '404 Not found',
      '502 HTTP 502',
    ]);
  });

  it('keeps a hostile detail on one line without terminal escapes', () => {
    expect(describeProblem(422, { detail: 'bad\n\u001b[2Jtitle' })).toBe('422 bad \\u001b[2Jtitle');
  });
});

describe('printable', () => {
  it('escapes C0 and C1 controls and folds newlines', () => {
    expect(printable('a\r\nb\u009b31mc\u0007')).toBe('a b\\u009b31mc\\u0007');
  });
});

describe(WardenClient.name, () => {
  const fakeFetch = (status: number, body: string) =>
    (async () => new Response(body, { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;

  it('returns the JSON of a 2xx answer', async () => {
    const client = new WardenClient({ url: 'http://w', key: 'k' }, 1000, fakeFetch(200, '{"ok":true}'));
    await expect(client.json('GET', '/x')).resolves.toEqual({ ok: true });
  });

  it('turns a problem into an ApiError with its status and detail', async () => {
    const client = new WardenClient(
      { url: 'http://w', key: 'k' },
      1000,
      fakeFetch(403, '{"detail":"This API key lacks the \\"analyst\\" scope."}'),
    );
    const err = await client.json('GET', '/v1/investigations/ip/1.2.3.4').catch((e: unknown) => e);
    expect({
      is: err instanceof ApiError,
      status: (err as ApiError).status,
      refused: (err as ApiError).refused,
      message: (err as Error).message,
    }).toEqual({
      is: true,
      status: 403,
      refused: true,
      message: 'GET /v1/investigations/ip/1.2.3.4: 403 This API key lacks the "analyst" scope.',
    });
  });

  it('says so when Warden cannot be reached', async () => {
    const refuse = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch;
    const err = await new WardenClient({ url: 'http://127.0.0.1:9', key: 'k' }, 1000, refuse).send('GET', '/').catch((e: unknown) => e);
    expect({ status: (err as ApiError).status, message: (err as Error).message }).toEqual({
      status: null,
      message: 'cannot reach Warden at http://127.0.0.1:9: ECONNREFUSED',
    });
  });

  it('asks for a key before calling without one', async () => {
    await expect(new WardenClient({ url: 'http://w' }, 1000, fakeFetch(200, '{}')).send('GET', '/')).rejects.toThrow(
      'no API key: pass --key <key> or set WARDEN_API_KEY',
    );
  });
});
