import { allowListVerdict, validateTarget } from '../containment/allow-list';
import type { ContainmentConfig } from '../containment/containment.schema';
import { isContainment, TARGET_OF } from './playbook';

/** Why containment would refuse a step with these inputs (a bad target, or the allow-list), or null: for dry runs. */
export function containmentRefusal(allow: ContainmentConfig['allow_list'], action: string, input: Record<string, unknown>): string | null {
  const kind = TARGET_OF[action as keyof typeof TARGET_OF];
  if (!kind) return null;
  const target = validateTarget(kind, input[kind]);
  if (!target.ok) return target.reason;
  if (!isContainment(action)) return null;
  const verdict = allowListVerdict(allow, kind, target.target);
  return verdict.allowed ? null : verdict.reason;
}
