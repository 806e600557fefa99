import type { Principal } from '../auth/principal';

/** The roster roles whose people act as leads when they act from Slack or Jira. */
export const LEAD_ROLES: readonly string[] = ['team_lead', 'executive'];

/**
 * The principal a Slack or Jira user acts as once mapped to a roster analyst: the same rights
 * as that analyst's own API key would have (`lead` for team leads and executives, `analyst`
 * otherwise), so every access check runs exactly as it does for the API. The actor recorded
 * is `analyst:<id>` (actorOf), the same person whichever way they came in.
 */
export function principalForAnalyst(analyst: { id: string; role: string; name: string }, via: 'slack' | 'jira'): Principal {
  return {
    keyId: `${via}:${analyst.id}`,
    name: `${via}:${analyst.name}`,
    scopes: LEAD_ROLES.includes(analyst.role) ? ['lead'] : ['analyst'],
    analystId: analyst.id,
    sources: null,
  };
}
