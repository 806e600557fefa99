import { z } from 'zod';
import type { SecurityAlert } from '../../domain';
import type { AttackTable, Tactic, Technique } from './attack-table';
import { attackRefsOf, type AttackSource } from './extract';

/** An alert type as config keys name it (the alert `type` rule). */
const alertTypeKey = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be an alert type: lower-case letters, digits, "_", "." or "-"');
const techniqueRef = z.string().regex(/^T\d{4}(\.\d{3})?$/, 'must be an ATT&CK technique id such as T1190 or T1059.001');
const tacticRef = z.string().min(1, 'must be a tactic id (TA0001), shortname (initial-access) or name');

/** config/attack.yaml: ATT&CK by alert type, and the Alertmanager labels that name ATT&CK ids. */
export const attackFileSchema = z
  .object({
    /** Techniques and tactics every alert of a type gets, beside those its payload names. */
    types: z
      .record(alertTypeKey, z.object({ techniques: z.array(techniqueRef).default([]), tactics: z.array(tacticRef).default([]) }).strict(), {
        error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
      })
      .default({}),
    /** Label names read on Alertmanager alerts (values may list several ids: `T1190,T1059.001`). */
    alertmanager: z
      .object({
        technique_labels: z.array(z.string().min(1)).default(['mitre_technique', 'mitre_technique_id']),
        tactic_labels: z.array(z.string().min(1)).default(['mitre_tactic', 'mitre_tactic_id']),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AttackConfig = z.output<typeof attackFileSchema>;

/** Where an ATT&CK reference came from. */
export type AttackOrigin = 'payload' | 'type';

export interface TechniqueHit extends Technique {
  origin: AttackOrigin;
  /** The revoked id the payload or config named, which this technique replaced. */
  replaces?: string;
  deprecated?: boolean;
}

export interface TacticHit extends Tactic {
  /** `technique`: not named, but the tactic of a technique that was (when none of its tactics was named). */
  origin: AttackOrigin | 'technique';
}

export interface AttackContext {
  techniques: TechniqueHit[];
  tactics: TacticHit[];
  /** Revoked, deprecated or unknown ids, one line each. */
  warnings: string[];
}

/** The ATT&CK techniques and tactics of an alert: from its payload and from its type, checked against the table. */
export class AttackLookup {
  constructor(
    private readonly table: AttackTable,
    private readonly config: AttackConfig,
  ) {}

  enrich(alert: AttackSource & Pick<SecurityAlert, 'type'>): AttackContext {
    const context: AttackContext = { techniques: [], tactics: [], warnings: [] };
    const payload = attackRefsOf(alert, this.config.alertmanager);
    // Own keys only: an alert's type is outside text ("constructor", "__proto__" are on every object's prototype).
    const byType = Object.hasOwn(this.config.types, alert.type) ? this.config.types[alert.type] : undefined;
    const sources: [AttackOrigin, { techniques: string[]; tactics: string[] }][] = [['payload', payload]];
    if (byType) sources.push(['type', byType]);

    for (const [origin, refs] of sources) {
      for (const ref of refs.techniques) {
        const resolved = this.table.technique(ref);
        if (resolved.warning) context.warnings.push(resolved.warning);
        if (!resolved.found || context.techniques.some((t) => t.id === resolved.technique.id)) continue;
        const hit: TechniqueHit = Object.assign(resolved.technique, { origin });
        if (resolved.replaces) hit.replaces = resolved.replaces;
        if (resolved.deprecated) hit.deprecated = true;
        context.techniques.push(hit);
      }
      for (const ref of refs.tactics) {
        const tactic = this.table.tactic(ref);
        if (!tactic) context.warnings.push(`ATT&CK ${JSON.stringify(ref.slice(0, 40))} is not a tactic`);
        else if (!context.tactics.some((t) => t.id === tactic.id)) context.tactics.push({ ...tactic, origin });
      }
    }
    // A technique none of whose tactics was named brings its own (T1078 alone: all four of its tactics).
    for (const technique of context.techniques) {
      const named = context.tactics.map((t) => t.shortname);
      if (technique.tactics.some((s) => named.includes(s))) continue;
      for (const shortname of technique.tactics) {
        const tactic = this.table.tactic(shortname);
        if (tactic && !context.tactics.some((t) => t.id === tactic.id)) context.tactics.push({ ...tactic, origin: 'technique' });
      }
    }
    return context;
  }
}

export interface AttackConfigProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks config/attack.yaml against the ATT&CK table: an unknown technique or tactic is an error,
 * a revoked or deprecated technique a warning (naming the replacement).
 */
export function attackConfigProblems(
  config: AttackConfig,
  table: AttackTable,
): { errors: AttackConfigProblem[]; warnings: AttackConfigProblem[] } {
  const errors: AttackConfigProblem[] = [];
  const warnings: AttackConfigProblem[] = [];
  for (const [type, entry] of Object.entries(config.types)) {
    entry.techniques.forEach((id, i) => {
      const resolved = table.technique(id);
      const path = ['types', type, 'techniques', i];
      if (!resolved.found) errors.push({ path, message: resolved.warning });
      else if (resolved.warning) warnings.push({ path, message: resolved.warning });
    });
    entry.tactics.forEach((ref, i) => {
      if (!table.tactic(ref))
        errors.push({ path: ['types', type, 'tactics', i], message: `${JSON.stringify(ref)} is not an ATT&CK tactic` });
    });
  }
  return { errors, warnings };
}
