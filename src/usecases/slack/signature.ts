import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: string };

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`, as Slack signs its requests (and the tests sign theirs). */
export function signSlackRequest(rawBody: string, secret: string, timestamp: number | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/**
 * Slack's request signing (v0). The timestamp is part of what is signed, and one more than
 * `maxAgeSeconds` away from `now` either way is refused, so a captured request cannot be replayed later.
 * `now` is in milliseconds.
 */
export function verifySlackSignature(input: {
  rawBody: string;
  timestamp: string | undefined | null;
  signature: string | undefined | null;
  secret: string;
  now?: number;
  maxAgeSeconds?: number;
}): SlackSignatureCheck {
  const { rawBody, timestamp, signature, secret, now = Date.now(), maxAgeSeconds = 300 } = input;
  if (!secret) return { ok: false, reason: 'no signing secret is configured' };
  if (!timestamp) return { ok: false, reason: `the ${SLACK_TIMESTAMP_HEADER} header is missing` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `the ${SLACK_TIMESTAMP_HEADER} header is not a Unix time` };
  if (Math.abs(now / 1000 - Number(timestamp)) > maxAgeSeconds)
    return { ok: false, reason: `the request timestamp is more than ${maxAgeSeconds} seconds away from now` };
  if (!signature) return { ok: false, reason: `the ${SLACK_SIGNATURE_HEADER} header is missing` };
  if (!/^v0=[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: `the ${SLACK_SIGNATURE_HEADER} header is not a v0 signature` };
  const expected = Buffer.from(signSlackRequest(rawBody, secret, timestamp).slice(3), 'hex');
  const given = Buffer.from(signature.slice(3), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}
