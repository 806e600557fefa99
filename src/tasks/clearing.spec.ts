import { clearingVerdict } from './clearing';

describe('clearingVerdict', () => {
  it.each(['new', 'assigned'] as const)('resolves a %s task once every alert is resolved', (status) => {
    expect(clearingVerdict(status, { firing: 0, resolved: 3 })).toEqual({ resolve: true });
  });

  it('leaves the task open while one alert still fires', () => {
    expect(clearingVerdict('assigned', { firing: 1, resolved: 2 })).toEqual({ resolve: false, reason: 'alerts_firing' });
  });

  it.each(['acknowledged', 'in_progress'] as const)('leaves a %s task with its analyst', (status) => {
    expect(clearingVerdict(status, { firing: 0, resolved: 2 })).toEqual({ resolve: false, reason: 'acknowledged' });
  });

  it.each(['resolved', 'closed'] as const)('does nothing to a task already %s', (status) => {
    expect(clearingVerdict(status, { firing: 0, resolved: 2 })).toEqual({ resolve: false, reason: 'task_finished' });
  });

  it('does not call an incident without alerts cleared', () => {
    expect(clearingVerdict('assigned', { firing: 0, resolved: 0 })).toEqual({ resolve: false, reason: 'no_alerts' });
  });
});
