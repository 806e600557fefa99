import { z } from 'zod';
import { durationSchema } from '../common/duration';
import {
  ANALYST_DISPOSITIONS,
  PRIORITIES,
  SEVERITIES,
  TASK_STATUSES,
  type AnalystDisposition,
  type Priority,
  type Severity,
  type TaskStatus,
} from '../domain';
import { PEOPLE_NOTICE_KINDS, REPORT_NOTICE_KINDS, STATE_EVENT_KINDS } from '../notifications/channels';

/**
 * config/integrations.yaml: where Slack posts, how tasks map onto Jira, and the outbound
 * webhooks per event type. Credentials come only from the environment (SLACK_*, JIRA_*, and
 * each webhook's `url_env` / `secret_env`); a channel whose variables are unset is off.
 */

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');
const slackChannel = z.string().min(1).max(80);
const eventKind = z.enum([...PEOPLE_NOTICE_KINDS, ...STATE_EVENT_KINDS, ...REPORT_NOTICE_KINDS]);

export const integrationsFileSchema = z
  .object({
    slack: z
      .object({
        /** Channel name or id for incidents no rule below routes. */
        channel: slackChannel.default('#soc-alerts'),
        by_severity: z.partialRecord(z.enum(SEVERITIES), slackChannel).default({}),
        /** The assignee's team (assignment.yaml) → channel; checked before severity. */
        by_team: z.record(z.string().min(1), slackChannel).default({}),
      })
      .strict()
      .default({ channel: '#soc-alerts', by_severity: {}, by_team: {} }),
    jira: z
      .object({
        project: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'must be a Jira project key (SOC)')
          .default('SOC'),
        issue_type: z.string().min(1).default('Task'),
        priorities: z.partialRecord(z.enum(PRIORITIES), z.string().min(1)).default({}),
        /** A Warden task status → the Jira status its issue moves to (by a transition to that status). */
        transitions: z.partialRecord(z.enum(TASK_STATUSES), z.string().min(1)).default({}),
        /** Jira statuses that resolve the Warden task. */
        done_statuses: z.array(z.string().min(1)).default(['Done']),
        /** Jira resolution name → disposition; others take `default_disposition`. */
        resolutions: z.record(z.string().min(1), z.enum(ANALYST_DISPOSITIONS)).default({}),
        default_disposition: z.enum(ANALYST_DISPOSITIONS).default('true_positive'),
      })
      .strict()
      .default({
        project: 'SOC',
        issue_type: 'Task',
        priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', P4: 'Low' },
        transitions: {},
        done_statuses: ['Done'],
        resolutions: {},
        default_disposition: 'true_positive',
      }),
    /**
     * The least time between two "alerts added" updates of one incident on one channel (Slack's
     * thread reply and top-message edit, Jira's comment); milestones go at once.
     */
    alerts_added_every: durationSchema.default(60),
    /** Signed JSON (X-Warden-Signature) per event type, for SIEM and SOAR consumers. */
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be lowercase letters, digits, - or _'),
            url_env: envName,
            secret_env: envName,
            events: z.array(eventKind).min(1),
          })
          .strict(),
      )
      .default([])
      .superRefine((hooks, ctx) => {
        const seen = new Set<string>();
        hooks.forEach((h, i) => {
          if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a second webhook named "${h.name}"` });
          seen.add(h.name);
        });
      }),
  })
  .strict();

export type IntegrationsFile = z.infer<typeof integrationsFileSchema>;

export interface IntegrationsConfig {
  publicUrl: string;
  slack: { channel: string; bySeverity: Partial<Record<Severity, string>>; byTeam: Record<string, string> };
  jira: {
    project: string;
    issueType: string;
    priorities: Record<Priority, string>;
    transitions: Partial<Record<TaskStatus, string>>;
    doneStatuses: string[];
    resolutions: Record<string, AnalystDisposition>;
    defaultDisposition: AnalystDisposition;
  };
  /** Only the webhooks whose variables are set. */
  webhooks: { name: string; url: string; secret: string; events: string[] }[];
  /** Seconds between two "alerts added" updates of one incident on one channel. */
  alertsAddedEverySeconds: number;
}

/** Nest token of the file as parsed (provided by the global ConfigModule). */
export const INTEGRATIONS_FILE = Symbol('INTEGRATIONS_FILE');
/** Nest token of `IntegrationsConfig` (provided by IntegrationsModule). */
export const INTEGRATIONS_CONFIG = Symbol('INTEGRATIONS_CONFIG');

/** The file with the environment applied: the public URL and each webhook's URL and secret. */
export function integrationsConfig(file: IntegrationsFile, publicUrl: string, environment: NodeJS.ProcessEnv): IntegrationsConfig {
  return {
    publicUrl: publicUrl.replace(/\/+$/, ''),
    slack: { channel: file.slack.channel, bySeverity: file.slack.by_severity, byTeam: file.slack.by_team },
    jira: {
      project: file.jira.project,
      issueType: file.jira.issue_type,
      priorities: { P1: 'Highest', P2: 'High', P3: 'Medium', P4: 'Low', ...file.jira.priorities },
      transitions: file.jira.transitions,
      doneStatuses: file.jira.done_statuses,
      resolutions: file.jira.resolutions,
      defaultDisposition: file.jira.default_disposition,
    },
    alertsAddedEverySeconds: file.alerts_added_every,
    webhooks: file.webhooks.flatMap((w) => {
      const url = environment[w.url_env];
      const secret = environment[w.secret_env];
      return url && secret ? [{ name: w.name, url, secret, events: w.events }] : [];
    }),
  };
}
