import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a Jira webhook proves it knows JIRA_WEBHOOK_SECRET. Two ways, either is enough:
 *
 * 1. Signed (preferred): a Jira Cloud webhook registered with a secret sends
 *    `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`.
 *    This needs the exact bytes Jira sent, before any JSON parsing.
 * 2. Secret in the URL, for Jira setups that cannot sign (Automation "Send web request",
 *    Jira Data Center): register `https://warden.example/v1/integrations/jira/webhook?secret=<secret>`.
 *    Weaker: the secret travels in the URL and may land in proxy logs; use HTTPS.
 *
 * Both comparisons run in constant time.
 */
export interface JiraWebhookProof {
  rawBody: string | Buffer;
  /** The X-Hub-Signature header, if any. */
  header?: string | string[] | null;
  /** The `secret` query parameter, if any. */
  querySecret?: string | string[] | null;
  secret: string;
}

/** What Jira would send in X-Hub-Signature for this body (also what the tests and the fake sign with). */
export function signJiraWebhook(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Equal strings of any length, compared in constant time (both sides hashed to one length first). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** True when the header signs the body with `secret`, or the query carries `secret`. An empty secret verifies nothing. */
export function verifyJiraWebhook(proof: JiraWebhookProof): boolean {
  if (!proof.secret) return false;
  const { header, querySecret } = proof;
  if (typeof header === 'string' && header !== '') {
    const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
    if (!match) return false;
    const given = Buffer.from(match[1], 'hex');
    const expected = createHmac('sha256', proof.secret).update(proof.rawBody).digest();
    return timingSafeEqual(given, expected);
  }
  // A repeated parameter (?secret=a&secret=b) is refused rather than guessed at.
  if (typeof querySecret === 'string' && querySecret !== '') return sameSecret(querySecret, proof.secret);
  return false;
}
