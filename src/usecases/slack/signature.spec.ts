import { signSlackRequest, verifySlackSignature } from './signature';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const rawBody = 'token=x&team_id=T1&command=%2Fwarden&text=mine&user_id=U123';
const now = 1_767_348_900_000;
const ts = String(now / 1000);

const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({ rawBody, timestamp: ts, signature: signSlackRequest(rawBody, secret, ts), secret, now, ...over });

describe('verifySlackSignature', () => {
  it('accepts what Slack signed', () => {
    expect(check()).toEqual({ ok: true });
  });

  it('matches the documented v0 example', () => {
    // Slack's own example (api.slack.com/authentication/verifying-requests-from-slack).
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(body, secret, 1531420618)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('refuses another secret', () => {
    expect(check({ secret: 'another-secret-entirely' })).toEqual({ ok: false, reason: 'the signature does not match' });
  });

  it('refuses a changed body', () => {
    expect(check({ rawBody: `${rawBody}&x=1` }).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes old', () => {
    expect(check({ now: now + 301_000 }).ok).toBe(false);
  });

  it('refuses a timestamp more than five minutes ahead', () => {
    expect(check({ now: now - 301_000 }).ok).toBe(false);
  });

  it('accepts a timestamp five minutes old', () => {
    expect(check({ now: now + 300_000 }).ok).toBe(true);
  });

  it('refuses a signed old request replayed with a fresh timestamp', () => {
    const old = String(now / 1000 - 3600);
    expect(check({ signature: signSlackRequest(rawBody, secret, old) }).ok).toBe(false);
  });

  it.each([
    ['a missing timestamp', { timestamp: undefined }],
    ['a timestamp that is not a number', { timestamp: '12abc' }],
    ['a missing signature', { signature: undefined }],
    ['a signature of another version', { signature: `v1=${'0'.repeat(64)}` }],
    ['a short signature', { signature: 'v0=abcd' }],
    ['no configured secret', { secret: '' }],
  ])('refuses %s', (_what, over) => {
    expect(check(over).ok).toBe(false);
  });
});
