import type { Scope } from './api-key.entity';

/** How the caller proved who they are: an API key, a signed-in session (OIDC or key sign-in), or a mapped Slack or Jira person. */
export type PrincipalVia = 'key' | 'session' | 'slack' | 'jira';

/** Who is calling: the API key or session that authenticated the request, or the mapped Slack or Jira person. */
export interface Principal {
  keyId: string;
  name: string;
  scopes: Scope[];
  /** The analyst this key acts for, if any. */
  analystId: string | null;
  /** The alert sources this key may send; null: any. */
  sources: readonly string[] | null;
  via: PrincipalVia;
}

/** Who did it, for the audit log and task history: the analyst when the key names one. */
export const actorOf = (p: Principal): string => (p.analystId ? `analyst:${p.analystId}` : `key:${p.name}`);
