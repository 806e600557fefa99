import { type Caller, mayActOnTask, mayEditAnalyst, type TaskHolder } from './access';

const analyst = (id: string | null, role: string | null = 'analyst'): Caller => ({ scopes: ['analyst'], analystId: id, role });
const assignedTo = (id: string): TaskHolder => ({ assigneeId: id, assignRole: 'analyst' });
const unassigned = (role: string): TaskHolder => ({ assigneeId: null, assignRole: role });

describe(mayActOnTask.name, () => {
  describe('an analyst', () => {
    it('acts on a task assigned to them', () => {
      expect(mayActOnTask(analyst('ana'), assignedTo('ana'))).toEqual({ allowed: true });
    });

    it('acts on an unassigned task waiting for their role', () => {
      expect(mayActOnTask(analyst('ana'), unassigned('analyst'))).toEqual({ allowed: true });
    });

    it("does not act on another analyst's task, even in their role", () => {
      expect(mayActOnTask(analyst('ana'), assignedTo('bob'))).toEqual({
        allowed: false,
        reason: 'the task is assigned to bob; only they or a lead may act on it',
      });
    });

    it('does not act on an unassigned task of another role', () => {
      expect(mayActOnTask(analyst('ana'), unassigned('senior_analyst'))).toEqual({
        allowed: false,
        reason: 'the task waits for the senior_analyst role; ana is analyst',
      });
    });

    it('does not act on unassigned tasks once out of the roster', () => {
      expect(mayActOnTask(analyst('ana', null), unassigned('analyst'))).toEqual({
        allowed: false,
        reason: 'the task waits for the analyst role; ana is not in the roster',
      });
    });

    it('still acts on their own task once out of the roster', () => {
      expect(mayActOnTask(analyst('ana', null), assignedTo('ana'))).toEqual({ allowed: true });
    });

    it('retries their own request on a task that has moved on since', () => {
      expect(mayActOnTask(analyst('ana'), assignedTo('bob'), true)).toEqual({ allowed: true });
    });
  });

  it('refuses an analyst key that names no analyst', () => {
    expect(mayActOnTask(analyst(null, null), unassigned('analyst'))).toEqual({
      allowed: false,
      reason: 'the key names no analyst (warden keys create --analyst), so it acts on no task',
    });
  });

  it.each([['lead'], ['admin']] as const)('lets a %s key act on any task, naming an analyst or not', (scope) => {
    expect([
      mayActOnTask({ scopes: [scope], analystId: null, role: null }, assignedTo('bob')),
      mayActOnTask({ scopes: [scope], analystId: 'ana', role: 'analyst' }, unassigned('executive')),
    ]).toEqual([{ allowed: true }, { allowed: true }]);
  });

  it('refuses an ingest key, even naming the assignee', () => {
    expect(mayActOnTask({ scopes: ['ingest'], analystId: 'ana', role: 'analyst' }, assignedTo('ana'))).toEqual({
      allowed: false,
      reason: 'needs the analyst scope',
    });
  });
});

describe(mayEditAnalyst.name, () => {
  it('lets an analyst change themself', () => {
    expect(mayEditAnalyst({ scopes: ['analyst'], analystId: 'ana' }, 'ana')).toEqual({ allowed: true });
  });

  it('refuses an analyst changing someone else', () => {
    expect(mayEditAnalyst({ scopes: ['analyst'], analystId: 'ana' }, 'bob')).toEqual({
      allowed: false,
      reason: 'only bob or a lead may change bob',
    });
  });

  it('refuses an analyst key that names no analyst', () => {
    expect(mayEditAnalyst({ scopes: ['analyst'], analystId: null }, 'bob').allowed).toBe(false);
  });

  it('refuses an ingest key naming the analyst', () => {
    expect(mayEditAnalyst({ scopes: ['ingest'], analystId: 'ana' }, 'ana').allowed).toBe(false);
  });

  it.each([['lead'], ['admin']] as const)('lets a %s change anyone', (scope) => {
    expect(mayEditAnalyst({ scopes: [scope], analystId: null }, 'bob')).toEqual({ allowed: true });
  });
});
