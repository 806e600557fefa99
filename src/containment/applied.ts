/**
 * How a call that would change a backend failed, as far as Warden can tell: the one input of
 * mayHaveApplied, which decides whether a containment step that failed may still be in place.
 */
export type CallFailure =
  /** No answer came: the connection failed, or broke, with this error code (undefined when the error had none). */
  | { kind: 'unreachable'; code: string | undefined }
  /** No answer within the timeout. */
  | { kind: 'timeout' }
  /** An answer that is not a success. */
  | { kind: 'answered'; status: number }
  /** An answer began (with this status) and could not be read to its end. */
  | { kind: 'answer_lost'; status: number }
  /** A command (nft) ended with an error, or was killed by its timeout. */
  | { kind: 'exited'; killed: boolean };

/**
 * Socket, DNS and TLS errors that happen before a request is sent: a connection refused, a name
 * that does not resolve, a network out of reach, a certificate refused in the handshake.
 */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_HANDSHAKE = /^(ERR_TLS_|ERR_SSL_)|CERT|SIGNATURE/;

/**
 * Whether a failed attempt may have changed the backend anyway, so that its step is `uncertain`
 * (undone with the rest when the run is compensated) rather than `failed` (never reached: nothing
 * to undo). Only a failure known to come before the backend acted answers no:
 *
 * - a connection that was never made (refused, no such name, no route, a TLS certificate refused);
 * - a 3xx or 4xx answer: the backend refused the request itself (a redirect is not followed,
 *   and a receiver that acts answers 2xx);
 * - a command that ran and exited with an error (nft applies a command whole or not at all).
 *
 * Everything else is a yes: a 5xx (applied, then failed answering, is common), a timeout, a
 * connection reset after the request went out, a 2xx or 5xx answer lost half-way, a killed
 * command, and any failure that says nothing of the call (`undefined`).
 */
export function mayHaveApplied(failure: CallFailure | undefined): boolean {
  if (!failure) return true;
  switch (failure.kind) {
    case 'unreachable':
      return !(failure.code !== undefined && (NOT_SENT.has(failure.code) || TLS_HANDSHAKE.test(failure.code)));
    case 'timeout':
      return true;
    case 'answered':
      return failure.status >= 500;
    case 'answer_lost':
      return failure.status < 300 || failure.status >= 500;
    case 'exited':
      return failure.killed;
  }
}
