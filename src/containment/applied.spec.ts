import { mayHaveApplied, type CallFailure } from './applied';

describe('mayHaveApplied', () => {
  it.each<[string, CallFailure]>([
    ['a connection refused', { kind: 'unreachable', code: 'ECONNREFUSED' }],
    ['a name that does not resolve', { kind: 'unreachable', code: 'ENOTFOUND' }],
    ['a resolver that is down', { kind: 'unreachable', code: 'EAI_AGAIN' }],
    ['no route to the host', { kind: 'unreachable', code: 'EHOSTUNREACH' }],
    ['no route to the network', { kind: 'unreachable', code: 'ENETUNREACH' }],
    ['a connect that timed out', { kind: 'unreachable', code: 'UND_ERR_CONNECT_TIMEOUT' }],
    ['an expired certificate', { kind: 'unreachable', code: 'CERT_HAS_EXPIRED' }],
    ['a self-signed certificate', { kind: 'unreachable', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }],
    ['a certificate for another name', { kind: 'unreachable', code: 'ERR_TLS_CERT_ALTNAME_INVALID' }],
    ['plain HTTP to a TLS port', { kind: 'unreachable', code: 'ERR_SSL_WRONG_VERSION_NUMBER' }],
    ['400 Bad Request', { kind: 'answered', status: 400 }],
    ['401 Unauthorized', { kind: 'answered', status: 401 }],
    ['403 Forbidden', { kind: 'answered', status: 403 }],
    ['404 Not Found', { kind: 'answered', status: 404 }],
    ['409 Conflict', { kind: 'answered', status: 409 }],
    ['422 Unprocessable', { kind: 'answered', status: 422 }],
    ['429 Too Many Requests', { kind: 'answered', status: 429 }],
    ['a redirect', { kind: 'answered', status: 302 }],
    ['a 4xx whose body was cut off', { kind: 'answer_lost', status: 403 }],
    ['nft exiting with an error', { kind: 'exited', killed: false }],
  ])('no for %s: the backend never acted on it', (_label, failure) => {
    expect(mayHaveApplied(failure)).toBe(false);
  });

  it.each<[string, CallFailure | undefined]>([
    ['500 Internal Server Error', { kind: 'answered', status: 500 }],
    ['502 Bad Gateway', { kind: 'answered', status: 502 }],
    ['503 Service Unavailable', { kind: 'answered', status: 503 }],
    ['504 Gateway Timeout', { kind: 'answered', status: 504 }],
    ['no answer within the timeout', { kind: 'timeout' }],
    ['a connection reset after sending', { kind: 'unreachable', code: 'ECONNRESET' }],
    ['the other side closing the socket', { kind: 'unreachable', code: 'UND_ERR_SOCKET' }],
    ['a broken pipe', { kind: 'unreachable', code: 'EPIPE' }],
    ['a network error without a code', { kind: 'unreachable', code: undefined }],
    ['a 200 whose body was cut off', { kind: 'answer_lost', status: 200 }],
    ['a 500 whose body was cut off', { kind: 'answer_lost', status: 500 }],
    ['nft killed by its timeout', { kind: 'exited', killed: true }],
    ['an error that says nothing of the call', undefined],
  ])('yes for %s: the change may be in place', (_label, failure) => {
    expect(mayHaveApplied(failure)).toBe(true);
  });
});
