import { actorOf } from '../auth/principal';
import { principalForAnalyst } from './principal';

describe('principalForAnalyst', () => {
  it.each([
    ['junior_analyst', ['analyst']],
    ['analyst', ['analyst']],
    ['senior_analyst', ['analyst']],
    ['team_lead', ['lead']],
    ['executive', ['lead']],
  ])('gives a %s the scopes %j', (role, scopes) => {
    expect(principalForAnalyst({ id: 'a1', role, name: 'A' }, 'slack').scopes).toEqual(scopes);
  });

  it('acts as the analyst, whichever channel they came from', () => {
    expect(actorOf(principalForAnalyst({ id: 'alice', role: 'analyst', name: 'Alice' }, 'jira'))).toBe('analyst:alice');
  });
});
