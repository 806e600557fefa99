import type { MappedAnalyst } from '../../assignment/roster-ids';
import { personFromClaims, scopesFromClaim, type SignInRoster } from './oidc-person';

const ROLES = ['junior_analyst', 'analyst', 'senior_analyst', 'team_lead', 'executive'];
const sara: MappedAnalyst = { id: 'sara.lindqvist', name: 'Sara Lindqvist', role: 'senior_analyst', team: null };
const marta: MappedAnalyst = { id: 'marta.reyes', name: 'Marta Reyes', role: 'team_lead', team: null };
const roster: SignInRoster = {
  analystByOidcSub: (sub) => ({ 'sub-sara': sara })[sub] ?? null,
  analystByEmail: (email) => ({ 'marta@example.org': marta })[email.toLowerCase()] ?? null,
};

describe(personFromClaims.name, () => {
  it('finds the analyst by subject, with the scopes of their roster role', () => {
    expect(personFromClaims({ sub: 'sub-sara', email: 'someone@else.org', email_verified: true }, roster, { roles: ROLES })).toEqual({
      analyst: sara,
      scopes: ['analyst'],
      matchedBy: 'oidc_sub',
    });
  });

  it('finds the analyst by a verified email when no subject matches; a team lead leads', () => {
    expect(personFromClaims({ sub: 'sub-x', email: 'Marta@Example.org', email_verified: true }, roster, { roles: ROLES })).toEqual({
      analyst: marta,
      scopes: ['lead'],
      matchedBy: 'email',
    });
  });

  it('does not take an unverified email as proof', () => {
    expect(personFromClaims({ sub: 'sub-x', email: 'marta@example.org', email_verified: false }, roster, { roles: ROLES })).toEqual({
      refused: 'no analyst in assignment.yaml has the OIDC subject sub-x (the email marta@example.org is not verified by the provider)',
      sub: 'sub-x',
      email: 'marta@example.org',
    });
  });

  it('refuses a person the roster does not know, naming what it looked for', () => {
    expect(personFromClaims({ sub: 'sub-x', email: 'x@example.org', email_verified: true }, roster, { roles: ROLES })).toEqual({
      refused: 'no analyst in assignment.yaml has the OIDC subject sub-x or the email x@example.org',
      sub: 'sub-x',
      email: 'x@example.org',
    });
  });

  it('takes the scopes from the roles claim alone when one is configured', () => {
    const options = { roles: ROLES, rolesClaim: 'groups' };
    expect([
      personFromClaims({ sub: 'sub-sara', groups: ['warden-users', 'lead'] }, roster, options),
      personFromClaims({ sub: 'sub-sara', groups: ['warden-users'] }, roster, options),
    ]).toEqual([
      { analyst: sara, scopes: ['lead'], matchedBy: 'oidc_sub' },
      {
        refused: 'the groups claim names no Warden role (admin, lead, analyst, or a role of assignment.yaml)',
        sub: 'sub-sara',
        email: null,
      },
    ]);
  });
});

describe(scopesFromClaim.name, () => {
  it.each([
    [['admin'], ['admin']],
    [
      ['executive', 'analyst'],
      ['lead', 'analyst'],
    ],
    ['senior_analyst team_lead', ['lead', 'analyst']],
    ['junior_analyst,ingest', ['analyst']],
    [42, []],
  ])('reads %j as %j, never granting ingest', (value, scopes) => {
    expect(scopesFromClaim(value, ROLES)).toEqual(scopes);
  });
});
