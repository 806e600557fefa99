import { forbidden } from '../domain/refusal';
import type { Scope } from './api-key.entity';
import { grants } from './api-keys';

/** The caller, as the access decisions see it. */
export interface Caller {
  scopes: readonly Scope[];
  /** The analyst the key acts for; null: the key names nobody. */
  analystId: string | null;
  /** That analyst's role in the roster; null when the key names nobody or they left the roster. */
  role: string | null;
}

/** Who holds a task: its assignee, and the role it waits for while unassigned. */
export interface TaskHolder {
  assigneeId: string | null;
  assignRole: string;
}

export type Access = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: Access = { allowed: true };

/** A refusal (403) naming why, unless the decision allowed it. */
export function refuseUnless(access: Access, detail: string): void {
  if (!access.allowed) throw forbidden(`${detail}: ${access.reason}.`, access.reason);
}
const denied = (reason: string): Access => ({ allowed: false, reason });

/**
 * Who may act on a task (acknowledge, resolve, reassign, comment): a lead or admin on any;
 * an analyst on a task assigned to them, or unassigned in their role; a key that names no
 * analyst on none. `replay`: the caller already made this very request (same Idempotency-Key),
 * so a retry is answered with its first result even when the task has moved on since.
 */
export function mayActOnTask(caller: Caller, task: TaskHolder, replay = false): Access {
  if (grants(caller.scopes, 'lead')) return ALLOWED;
  if (!grants(caller.scopes, 'analyst')) return denied('needs the analyst scope');
  if (caller.analystId === null) return denied('the key names no analyst (warden keys create --analyst), so it acts on no task');
  if (replay || task.assigneeId === caller.analystId) return ALLOWED;
  if (task.assigneeId !== null) return denied(`the task is assigned to ${task.assigneeId}; only they or a lead may act on it`);
  if (task.assignRole === caller.role) return ALLOWED;
  return denied(`the task waits for the ${task.assignRole} role; ${caller.analystId} is ${caller.role ?? 'not in the roster'}`);
}

/** Who may change an analyst's availability, out-of-office or capacity: the analyst themself, or a lead or admin. */
export function mayEditAnalyst(caller: Pick<Caller, 'scopes' | 'analystId'>, analystId: string): Access {
  if (grants(caller.scopes, 'lead')) return ALLOWED;
  if (caller.analystId !== null && caller.analystId === analystId && grants(caller.scopes, 'analyst')) return ALLOWED;
  return denied(`only ${analystId} or a lead may change ${analystId}`);
}

/**
 * Who may approve or deny a gated playbook step: a lead or admin; or an analyst whose role is
 * the approval's role or above it in the roster's `roles` chain (a team lead may approve what
 * a senior analyst may).
 */
export function mayDecideApproval(caller: Caller, approvalRole: string, roles: readonly string[]): Access {
  if (grants(caller.scopes, 'lead')) return ALLOWED;
  if (!grants(caller.scopes, 'analyst')) return denied('needs the analyst scope');
  if (caller.analystId === null) return denied('the key names no analyst (warden keys create --analyst), so it decides no approval');
  const needed = roles.indexOf(approvalRole);
  const held = caller.role === null ? -1 : roles.indexOf(caller.role);
  if (held >= 0 && needed >= 0 && held >= needed) return ALLOWED;
  return denied(`the approval needs the ${approvalRole} role or above; ${caller.analystId} is ${caller.role ?? 'not in the roster'}`);
}
