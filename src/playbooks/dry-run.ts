import { loadPlaybookContext, type Queryable } from './context';
import { planRun, type RefuseCheck, type RunPlan } from './plan';
import type { LoadedPlaybook, PlaybookContext } from './playbook';

/**
 * `warden playbooks dry-run FILE --incident ID` and its API twin: which steps would run for
 * this incident, with their rendered inputs. Reads the incident and its latest alert; writes
 * nothing and calls no adapter.
 */

export interface DryRunReport {
  file: string;
  incident: Pick<PlaybookContext['incident'], 'id' | 'severity' | 'priority' | 'status' | 'types'>;
  plan: RunPlan;
}

export async function dryRun(args: {
  loaded: LoadedPlaybook;
  incidentId: string;
  db: Queryable;
  refuse: RefuseCheck;
}): Promise<DryRunReport | null> {
  const ctx = await loadPlaybookContext(args.db, args.incidentId);
  if (!ctx) return null;
  const { id, severity, priority, status, types } = ctx.incident;
  return { file: args.loaded.file, incident: { id, severity, priority, status, types }, plan: planRun(args.loaded, ctx, args.refuse) };
}

// Alert text reaches the terminal here: JSON.stringify escapes C0 controls, this the rest (DEL, C1 such as CSI).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const safe = (text: string) => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const VERDICT_TEXT: Record<RunPlan['steps'][number]['verdict'], string> = {
  run: 'run',
  needs_approval: 'approval',
  skip: 'skip',
  refused: 'refused',
  invalid: 'invalid',
};

const formatSeconds = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

/** The report for a terminal: a header, the `when` verdict, then one line per step. */
export function formatDryRun(report: DryRunReport): string {
  const { plan, incident } = report;
  const lines = [
    `playbook ${plan.playbook} (version ${plan.version.slice(0, 12)}) from ${report.file}`,
    `incident ${incident.id}: ${incident.severity} ${incident.priority} ${incident.status}, types ${incident.types.join(', ') || '-'}`,
    plan.when.condition === null
      ? 'when: (none) - runs for every incident its rules name it for'
      : `when: ${plan.when.condition} -> ${plan.when.holds ? 'true: the playbook would run' : 'false: the playbook would NOT run; its steps as they would be:'}`,
  ];
  const idWidth = Math.max(4, ...plan.steps.map((s) => s.id.length));
  const actionWidth = Math.max(6, ...plan.steps.map((s) => s.action.length));
  plan.steps.forEach((step, i) => {
    const verdict = VERDICT_TEXT[step.verdict].padEnd(8);
    const after = step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(', ')}` : '';
    const approval = step.approval
      ? ` (${step.approval.role} within ${formatSeconds(step.approval.timeoutSeconds)}, on timeout ${step.approval.on_timeout})`
      : '';
    const reason = step.reason ? ` - ${step.reason}` : '';
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${step.id.padEnd(idWidth)}  ${step.action.padEnd(actionWidth)}  ${verdict} ${JSON.stringify(step.input)}${after}${approval}${reason}`,
    );
  });
  return lines.map(safe).join('\n');
}
