import { decodeFlow, encodeFlow, type OidcFlow } from './oidc-client';

const flow: OidcFlow = { state: 's1', nonce: 'n1', verifier: 'v1', returnTo: '/app#incident/1', expires: 1_000_600_000 };

describe(decodeFlow.name, () => {
  it('reads back the flow it was given, until it expires', () => {
    expect([decodeFlow(encodeFlow(flow), 1_000_599_999), decodeFlow(encodeFlow(flow), 1_000_600_000)]).toEqual([flow, null]);
  });

  it.each([
    ['not base64 JSON', 'not-a-flow'],
    ['a flow without its verifier', encodeFlow({ ...flow, verifier: '' })],
    ['JSON of another shape', Buffer.from('[1,2]').toString('base64url')],
  ])('reads nothing from %s', (_, value) => {
    expect(decodeFlow(value, 0)).toBeNull();
  });
});
