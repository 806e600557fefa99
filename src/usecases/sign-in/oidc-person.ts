import type { Scope } from '../../auth/api-key.entity';
import type { MappedAnalyst } from '../../assignment/roster-ids';
import { scopesForRole } from '../principal';

/** How the roster is searched for the person a provider vouches for. */
export interface SignInRoster {
  analystByOidcSub(sub: string): MappedAnalyst | null;
  analystByEmail(email: string): MappedAnalyst | null;
}

export type OidcPerson =
  | { analyst: MappedAnalyst; scopes: Scope[]; matchedBy: 'oidc_sub' | 'email' }
  | { refused: string; sub: string | null; email: string | null };

/** Claim values that grant scopes beyond the roster's roles. */
const SCOPE_VALUES: Record<string, Scope> = { admin: 'admin', lead: 'lead', analyst: 'analyst' };
const SCOPE_ORDER: readonly Scope[] = ['admin', 'lead', 'analyst'];

/** A roles claim's values: an array of strings, or one string of them separated by spaces or commas. */
function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The scopes a roles claim grants: `admin`, `lead` and `analyst` as they are; a roster role as a
 * person of that role gets them (scopesForRole); anything else nothing. Never `ingest`: a person
 * signed in is not a monitor.
 */
export function scopesFromClaim(value: unknown, roles: readonly string[]): Scope[] {
  const granted = new Set<Scope>();
  for (const v of claimValues(value)) {
    if (SCOPE_VALUES[v]) granted.add(SCOPE_VALUES[v]);
    else if (roles.includes(v)) for (const s of scopesForRole(v)) granted.add(s);
  }
  return SCOPE_ORDER.filter((s) => granted.has(s));
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Who a provider's claims sign in as: the analyst whose `oidc_sub` is the `sub`, else the one whose
 * `email` is the claims' email if the provider verified it (an unverified address proves nothing).
 * Their scopes come from their roster role (team leads and executives lead), or, with
 * OIDC_ROLES_CLAIM, from that claim alone. Nobody matched, or a roles claim granting nothing:
 * refused, with why.
 */
export function personFromClaims(
  claims: Record<string, unknown>,
  roster: SignInRoster,
  options: { rolesClaim?: string; roles: readonly string[] },
): OidcPerson {
  const sub = text(claims.sub);
  const email = text(claims.email);
  if (!sub) return { refused: 'the provider named no subject', sub, email };
  const bySub = roster.analystByOidcSub(sub);
  const verified = claims.email_verified === true;
  const byEmail = !bySub && email && verified ? roster.analystByEmail(email) : null;
  const analyst = bySub ?? byEmail;
  if (!analyst) {
    const unverified = email && !verified ? ` (the email ${email} is not verified by the provider)` : '';
    const named = email && verified ? ` or the email ${email}` : '';
    return { refused: `no analyst in assignment.yaml has the OIDC subject ${sub}${named}${unverified}`, sub, email };
  }
  const matchedBy = bySub ? 'oidc_sub' : 'email';
  if (!options.rolesClaim) return { analyst, scopes: scopesForRole(analyst.role), matchedBy };
  const scopes = scopesFromClaim(claims[options.rolesClaim], options.roles);
  if (scopes.length === 0) {
    const refused = `the ${options.rolesClaim} claim names no Warden role (admin, lead, analyst, or a role of assignment.yaml)`;
    return { refused, sub, email };
  }
  return { analyst, scopes, matchedBy };
}
