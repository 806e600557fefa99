import { z } from 'zod';
import { durationSchema } from '../common/duration';
import { PRIORITIES } from '../domain';

/** The tier that notifies the task's own assignee rather than a role. */
export const ASSIGNEE_TIER = 'assignee';
/** The tier that `critical_notifies_executives` notifies at once. */
export const EXECUTIVE_TIER = 'executive';

/** The classic SOC targets, in seconds. */
export const DEFAULT_DEADLINES = {
  P1: { ack: 15 * 60, resolve: 4 * 3600 },
  P2: { ack: 3600, resolve: 24 * 3600 },
  P3: { ack: 4 * 3600, resolve: 3 * 86_400 },
  P4: { ack: 86_400, resolve: 7 * 86_400 },
};

const deadlineSchema = z.object({ ack: durationSchema, resolve: durationSchema }).strict();

const tierSchema = z
  .object({
    tier: z.string().min(1),
    /** Who is notified; defaults to the tier name. The `assignee` tier notifies the assignee and takes no role. */
    role: z.string().min(1).optional(),
    /** How long past the ack deadline the tier is first notified; omitted: at the deadline. */
    after: durationSchema.optional(),
    /** Further notifications of this tier, `every` apart, while nobody acknowledges. */
    repeat: z.number().int().min(0).default(0),
    every: durationSchema.optional(),
    /** Only these priorities escalate to this tier; omitted: all. */
    priorities: z.array(z.enum(PRIORITIES)).min(1).optional(),
  })
  .strict();

const DEFAULT_TIERS: z.input<typeof tierSchema>[] = [
  { tier: ASSIGNEE_TIER, repeat: 2, every: '10m' },
  { tier: 'senior_analyst', after: '15m', repeat: 1, every: '15m' },
  { tier: 'team_lead', after: '30m', repeat: 1, every: '30m' },
  { tier: EXECUTIVE_TIER, after: '1h', priorities: ['P1', 'P2'] },
];

export const slaFileSchema = z
  .object({
    priorities: z
      .object({
        P1: deadlineSchema.default(DEFAULT_DEADLINES.P1),
        P2: deadlineSchema.default(DEFAULT_DEADLINES.P2),
        P3: deadlineSchema.default(DEFAULT_DEADLINES.P3),
        P4: deadlineSchema.default(DEFAULT_DEADLINES.P4),
      })
      .strict()
      .prefault({}),
    escalation: z
      .object({
        /** P1 notifies the executive tier as soon as the task opens, before any deadline. */
        critical_notifies_executives: z.boolean().default(true),
        /** In escalation order; `after` never goes down along the list. */
        tiers: z.array(tierSchema).prefault(DEFAULT_TIERS),
      })
      .strict()
      .prefault({}),
    /**
     * A reassigned task gives its new assignee a fresh ack deadline: `ack` after the
     * reassignment (omitted: the priority's ack window), never past the resolve deadline.
     */
    reassignment: z
      .object({
        ack: durationSchema.optional(),
      })
      .strict()
      .prefault({}),
    /** Incidents whose rule says `batch` are gathered into one digest task this often. */
    digest: z
      .object({
        every: durationSchema.default(3600),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    PRIORITIES.forEach((p, i) => {
      const d = file.priorities[p];
      if (d.resolve < d.ack) issue(['priorities', p, 'resolve'], 'must not be shorter than ack');
      const higher = PRIORITIES[i - 1];
      if (higher === undefined) return;
      // A lower priority never gets a tighter deadline, so a priority rise only ever brings deadlines forward.
      for (const kind of ['ack', 'resolve'] as const) {
        if (d[kind] < file.priorities[higher][kind]) issue(['priorities', p, kind], `must not be shorter than ${higher}'s`);
      }
    });

    const tiers = file.escalation.tiers;
    const seen = new Set<string>();
    tiers.forEach((t, i) => {
      if (seen.has(t.tier)) issue(['escalation', 'tiers', i, 'tier'], `duplicate tier "${t.tier}"`);
      seen.add(t.tier);
      if (t.tier === ASSIGNEE_TIER && t.role !== undefined)
        issue(['escalation', 'tiers', i, 'role'], 'the assignee tier notifies the assignee and takes no role');
      if (t.repeat > 0 && t.every === undefined) issue(['escalation', 'tiers', i, 'every'], 'is required when repeat is above 0');
      if (i > 0 && (t.after ?? 0) < (tiers[i - 1].after ?? 0))
        issue(['escalation', 'tiers', i, 'after'], `must not be earlier than tier "${tiers[i - 1].tier}"`);
    });
    if (file.escalation.critical_notifies_executives && !seen.has(EXECUTIVE_TIER)) {
      issue(['escalation', 'critical_notifies_executives'], `needs a tier named "${EXECUTIVE_TIER}"`);
    }
  });

export type SlaConfig = z.output<typeof slaFileSchema>;
/** Nest injection token of config/sla.yaml. */
export const SLA_CONFIG = Symbol('SLA_CONFIG');
export type EscalationTier = SlaConfig['escalation']['tiers'][number];
