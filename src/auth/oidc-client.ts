import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { ENV, type Env } from '../common/env';
import { CALLBACK_PATH, OIDC_FLOW_SECONDS } from './session-cookie';

/** What the flow cookie keeps between the redirect to the provider and the callback. */
export interface OidcFlow {
  state: string;
  nonce: string;
  /** The PKCE code verifier; the provider saw only its S256 challenge. */
  verifier: string;
  /** Where to go after sign-in (already checked by safeReturnPath). */
  returnTo: string;
  /** Epoch ms after which the callback refuses the flow. */
  expires: number;
}

/** Why single sign-on did not complete, in words fit for the person and the audit log (never a token). */
export class OidcFailure extends Error {
  constructor(
    /** unavailable: the provider could not be reached (503); refused: it or its answer said no (401). */
    readonly kind: 'unavailable' | 'refused',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'OidcFailure';
  }
}

/** The flow as the cookie carries it (signed by @fastify/cookie, so it cannot be altered). */
export const encodeFlow = (flow: OidcFlow): string => Buffer.from(JSON.stringify(flow), 'utf8').toString('base64url');

/** The flow a cookie carried, if it is one and not past its time. */
export function decodeFlow(value: string, now: number): OidcFlow | null {
  try {
    const f = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<OidcFlow>;
    const strings = [f.state, f.nonce, f.verifier, f.returnTo].every((v) => typeof v === 'string' && v.length > 0);
    if (!strings || typeof f.expires !== 'number' || f.expires <= now) return null;
    return f as OidcFlow;
  } catch {
    return null;
  }
}

/** The scopes asked of the provider: the ID token, and the email and name claims the roster maps people by. */
const SCOPES = 'openid email profile';
/** How long one call to the provider may take. */
const TIMEOUT_SECONDS = 10;

/**
 * The relying party (openid-client 6): authorization code with PKCE (S256), state and nonce.
 * The provider's metadata is discovered at the first sign-in, not at start-up, so an api whose
 * identity provider is down still starts and takes alerts; a failed discovery is tried again at
 * the next sign-in.
 */
@Injectable()
export class OidcClient {
  private readonly logger = new Logger('OIDC');
  private configuration?: Promise<oidc.Configuration>;

  constructor(@Inject(ENV) private readonly env: Env) {}

  get enabled(): boolean {
    return this.env.OIDC_ISSUER_URL !== undefined;
  }

  /** PUBLIC_URL + /auth/callback, as registered at the provider. */
  get redirectUri(): string {
    return `${this.env.PUBLIC_URL.replace(/\/+$/, '')}${CALLBACK_PATH}`;
  }

  /** The provider's authorization URL for a new sign-in, and the flow to keep until the callback. */
  async begin(returnTo: string, now = Date.now()): Promise<{ url: string; flow: OidcFlow }> {
    const config = await this.config();
    const flow: OidcFlow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      returnTo,
      expires: now + OIDC_FLOW_SECONDS * 1000,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: SCOPES,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, flow };
  }

  /**
   * Completes the flow from the callback's query: checks state and issuer, redeems the code with
   * the PKCE verifier, verifies the ID token and its nonce, and reads userinfo (where many
   * providers put email and groups). The claims, userinfo's under the ID token's.
   */
  async complete(query: string, flow: OidcFlow): Promise<Record<string, unknown>> {
    const config = await this.config();
    const current = new URL(this.redirectUri);
    current.search = query;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new OidcFailure('refused', 'the provider returned no ID token');
      const userinfo = config.serverMetadata().userinfo_endpoint ? await oidc.fetchUserInfo(config, tokens.access_token, claims.sub) : {};
      return { ...userinfo, ...claims };
    } catch (err) {
      throw this.failure(err);
    }
  }

  private config(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const { OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET } = this.env;
      if (!OIDC_ISSUER_URL || !OIDC_CLIENT_ID) return Promise.reject(new OidcFailure('unavailable', 'OIDC is not configured'));
      const issuer = new URL(OIDC_ISSUER_URL);
      this.configuration = oidc
        .discovery(
          issuer,
          OIDC_CLIENT_ID,
          undefined,
          OIDC_CLIENT_SECRET ? oidc.ClientSecretBasic(OIDC_CLIENT_SECRET) : oidc.None(),
          // The environment allows http only for a provider on a loopback address.
          { timeout: TIMEOUT_SECONDS, execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [] },
        )
        .then((config) => {
          config.timeout = TIMEOUT_SECONDS;
          return config;
        })
        .catch((err: unknown) => {
          this.configuration = undefined;
          this.logger.warn(`discovery at ${issuer.href} failed: ${(err as Error).message}`);
          throw new OidcFailure('unavailable', 'the identity provider could not be reached');
        });
    }
    return this.configuration;
  }

  /** A short reason for what went wrong; the provider's own error code when it sent one. The details go to the log. */
  private failure(err: unknown): OidcFailure {
    if (err instanceof OidcFailure) return err;
    if (err instanceof oidc.AuthorizationResponseError) return new OidcFailure('refused', `the provider answered ${err.error}`);
    if (err instanceof oidc.ResponseBodyError) return new OidcFailure('refused', `the provider refused the code: ${err.error}`);
    this.logger.warn(`sign-in failed: ${(err as Error).message}`);
    if (err instanceof oidc.ClientError)
      return new OidcFailure('refused', `the provider's answer did not verify (${err.code ?? 'invalid'})`);
    return new OidcFailure('unavailable', 'the identity provider could not be reached');
  }
}
