import { classifyStatus, deliveryFailure, DeliveryError, parseRetryAfter } from './notifier';

describe('classifyStatus', () => {
  it('takes 2xx as delivered', () => {
    expect([200, 201, 202, 204].map(classifyStatus)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('never retries a refusal of the request itself', () => {
    expect([400, 401, 403, 404, 410, 422].map(classifyStatus)).toEqual(Array(6).fill('permanent'));
  });

  it('retries timeouts, rate limits, server errors and anything unexpected', () => {
    expect([408, 425, 429, 500, 502, 503, 504, 301, 100].map(classifyStatus)).toEqual(Array(9).fill('transient'));
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the seconds until then, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('deliveryFailure', () => {
  it('keeps what the channel judged', () => {
    expect(deliveryFailure(new DeliveryError('answered 400', true))).toEqual({
      message: 'answered 400',
      permanent: true,
      retryAfterSeconds: 0,
    });
    expect(deliveryFailure(new DeliveryError('answered 429', false, 30))).toEqual({
      message: 'answered 429',
      permanent: false,
      retryAfterSeconds: 30,
    });
  });

  it('retries any other error, its message cut to 1,000 characters', () => {
    const failure = deliveryFailure(new Error('x'.repeat(5000)));
    expect(failure).toEqual({ message: 'x'.repeat(1000), permanent: false, retryAfterSeconds: 0 });
  });
});
