import type { Scope } from '../auth/api-key.entity';
import type { Principal } from '../auth/principal';

/** The roster roles whose people act as leads when they act from Slack, Jira or a single sign-on session. */
export const LEAD_ROLES: readonly string[] = ['team_lead', 'executive'];

/** The scopes a person of this roster role gets without an API key: `lead` for team leads and executives, `analyst` otherwise. */
export const scopesForRole = (role: string): Scope[] => (LEAD_ROLES.includes(role) ? ['lead'] : ['analyst']);

/**
 * The principal a Slack or Jira user acts as once mapped to a roster analyst: the same rights
 * as that analyst's own API key would have (scopesForRole), so every access check runs exactly
 * as it does for the API. The actor recorded is `analyst:<id>` (actorOf), the same person
 * whichever way they came in.
 */
export function principalForAnalyst(analyst: { id: string; role: string; name: string }, via: 'slack' | 'jira'): Principal {
  return {
    keyId: `${via}:${analyst.id}`,
    name: `${via}:${analyst.name}`,
    scopes: scopesForRole(analyst.role),
    analystId: analyst.id,
    sources: null,
    via,
  };
}
