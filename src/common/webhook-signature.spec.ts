import { signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'a-shared-secret-of-some-length';
  const body = JSON.stringify({ key: 'task-1:assignment:1', kind: 'assigned' });
  const now = Date.parse('2026-01-01T00:00:00Z');
  const t = now / 1000;

  it('verifies what it signed', () => {
    expect(verifyWebhook(body, signWebhook(body, secret, t), secret, 300, now)).toBe(true);
  });

  it('refuses another body, another secret, a stale timestamp or a malformed header', () => {
    const header = signWebhook(body, secret, t);
    expect(verifyWebhook(body + ' ', header, secret, 300, now)).toBe(false);
    expect(verifyWebhook(body, header, 'another-secret-entirely', 300, now)).toBe(false);
    expect(verifyWebhook(body, header, secret, 300, now + 301_000)).toBe(false);
    expect(verifyWebhook(body, 'v1=deadbeef', secret, 300, now)).toBe(false);
    expect(verifyWebhook(body, '', secret, 300, now)).toBe(false);
  });
});
