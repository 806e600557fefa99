import type { LogLevel } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { z } from 'zod';

const durationSeconds = z.coerce.number().positive();
/** Host names of this machine: the only ones an http (not https) identity provider may have. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
/** A schedule's cron (five fields, or @daily-style), or `off`. */
const cron = z
  .string()
  .trim()
  .regex(/^(off|@[a-z]+|\S+(\s+\S+){4})$/, "must be a cron expression of five fields (e.g. '0 6 * * *'), or off");

/** Every environment variable Warden reads. `.env.example` lists the same names. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .default('postgres://postgres@127.0.0.1:5432/warden'),
    DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(20),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('warden'),
    /** A prebuilt workflow bundle (npm run build writes dist/workflow-bundle.js); unset means bundle from source. */
    WORKFLOW_BUNDLE_PATH: z.string().optional(),
    /**
     * Worker tuning. The sticky cache keeps this many workflows in memory (0 turns it off); the
     * rest are replayed from history when they next wake (an incident's history is short). Each
     * cached workflow costs about 1 MB of RSS (bench/temporal-worker-memory.ts): 100 keeps the
     * worker under 500 MB with 20,000 open incident workflows, where the SDK's default (from the
     * heap limit, ~2,300 here) would not.
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(100),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().positive().default(100),
    /** How long a verified API key is trusted without asking the database again (0 disables the cache). */
    API_KEY_CACHE_SECONDS: z.coerce.number().min(0).default(10),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(500),
    /**
     * Ingest transactions an api runs at a time; single-alert requests that arrive while they
     * run share the next ones (correlation/ingest-path.ts). At most DATABASE_POOL_SIZE. More than
     * PostgreSQL has cores only makes them wait on each other: fewer, larger ones commit more alerts.
     */
    INGEST_TRANSACTIONS: z.coerce.number().int().positive().max(256).default(4),
    /** How often an api folds incident and storm-source deltas when no ingest nudged it (correlation/delta-fold.ts). */
    DELTA_FOLD_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
    OUTBOX_BATCH_SIZE: z.coerce.number().int().positive().max(1000).default(100),
    OUTBOX_MAX_BACKOFF_SECONDS: durationSeconds.default(60),
    /** How long a replica owns the rows it took; a crashed replica's rows come back after it. */
    OUTBOX_LEASE_SECONDS: durationSeconds.default(60),
    OUTBOX_SIGNAL_TIMEOUT_SECONDS: durationSeconds.default(5),
    /** Signals Temporal refuses (anything but being out of reach) are retried this many times, then dead-lettered. */
    OUTBOX_MAX_FAILURES: z.coerce.number().int().positive().default(10),
    /** Incidents signalled at once per replica; one incident's rows always go one after the other. */
    OUTBOX_CONCURRENCY: z.coerce.number().int().positive().max(256).default(16),
    /** Delivered outbox rows are kept this long (to trace what a workflow was told), then pruned by the worker. */
    OUTBOX_RETENTION_HOURS: z.coerce.number().positive().default(168),
    /** Set to false on api replicas that should not deliver the outbox (at least one must). */
    OUTBOX_DISPATCHER_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** Notifications are logged; with a URL they are also POSTed there, signed with the secret. */
    NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    NOTIFY_WEBHOOK_TIMEOUT_SECONDS: durationSeconds.default(5),
    /** The worker delivers recorded notices beside the workflows: how often it looks when nothing nudged it. */
    NOTIFY_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(1000),
    /** How long a worker owns the notices it took; a crashed worker's notices come back after it. */
    NOTIFY_LEASE_SECONDS: durationSeconds.default(60),
    /** A notice still failing this long after it was recorded is marked failed and retried no more. */
    NOTIFY_MAX_AGE_SECONDS: durationSeconds.default(3600),
    NOTIFY_MAX_BACKOFF_SECONDS: durationSeconds.default(300),
    /** Delivered notices are kept this long, then pruned (failed ones stay until re-driven). */
    NOTIFY_RETENTION_HOURS: z.coerce.number().positive().default(168),
    /** A resolved incident's Slack thread and task's Jira issue stay linked this long after resolution. */
    INTEGRATION_LINKS_RETENTION_HOURS: z.coerce.number().positive().default(720),
    /** How often the worker prunes what delivery leaves behind. */
    RETENTION_EVERY_SECONDS: durationSeconds.default(600),
    /** Where people open Warden: links in Slack messages and Jira issues. */
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://localhost:3000'),
    /** Slack is on when the bot token is set (config/integrations.yaml routes its channels). */
    SLACK_BOT_TOKEN: z.string().min(1).optional(),
    /** Verifies interactions and slash commands (v0 signatures); required with the token. */
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
    /** Interaction replies go only to response_url values under this prefix. */
    SLACK_RESPONSE_URL_PREFIX: z.string().min(1).default('https://hooks.slack.com/'),
    SLACK_TIMEOUT_SECONDS: durationSeconds.default(10),
    /** The workspace's own address (https://acme.slack.com): the incident page links its Slack thread's permalink; unset, the channel. */
    SLACK_WORKSPACE_URL: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    /** Jira Cloud is on when the base URL is set; email and API token authenticate Warden's own account. */
    JIRA_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    JIRA_EMAIL: z.string().min(1).optional(),
    JIRA_API_TOKEN: z.string().min(1).optional(),
    /** Verifies Jira's webhook (X-Hub-Signature HMAC, or ?secret=); required with the base URL. */
    JIRA_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Warden's own Jira account id; read from /myself when unset. Its changes never come back. */
    JIRA_ACCOUNT_ID: z.string().min(1).optional(),
    JIRA_TIMEOUT_SECONDS: durationSeconds.default(10),
    /** When the report schedules fire, in REPORTS_TIMEZONE; `off` removes that schedule (reports can still be built on request). */
    REPORTS_DAILY_CRON: cron.default('0 6 * * *'),
    REPORTS_EXECUTIVE_CRON: cron.default('0 7 * * 1'),
    /** The IANA time zone report days and weeks are counted in and the schedules fire in. */
    REPORTS_TIMEZONE: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone, e.g. Europe/Berlin')
      .default('UTC'),
    WARDEN_CONFIG_DIR: z.string().min(1).default('config'),
    /** MaxMind DB files for enrichment (src/enrichment/geoip); unset turns that lookup off. */
    GEOIP_CITY_DB: z.string().min(1).optional(),
    GEOIP_COUNTRY_DB: z.string().min(1).optional(),
    GEOIP_ASN_DB: z.string().min(1).optional(),
    /** false: ingest enriches nothing (no tables loaded; alerts stored with enrichment null, priority from severity). */
    ENRICHMENT_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** NATS servers for bus intake, comma-separated (nats://host:4222); set, they replace config/intake.yaml's `nats.servers`. */
    NATS_URL: z.string().trim().optional(),
    /** Kafka brokers for bus intake, comma-separated host:port; set, they replace config/intake.yaml's `kafka.brokers`. */
    KAFKA_BROKERS: z.string().trim().optional(),
    /** false: this api takes nothing from the buses (HTTP only), whatever config/intake.yaml says. */
    INTAKE_ENABLED: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    HEALTH_CHECK_TIMEOUT_SECONDS: durationSeconds.default(2),
    /** /metrics is open unless this is set; then it takes `Authorization: Bearer <token>` (api and worker alike). */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** How long a scrape waits for its database and Temporal reads; one slower keeps its last value. */
    METRICS_TIMEOUT_SECONDS: durationSeconds.default(2),
    /** host:port where the worker serves its own /metrics (activities, notices, process); unset: none. */
    WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
      .optional(),
    SHUTDOWN_TIMEOUT_SECONDS: durationSeconds.default(10),
    /**
     * Single sign-on for people (the workspace): OpenID Connect is on when the issuer is set. https,
     * or http on a loopback address only (a provider on the same machine, as in the tests).
     */
    OIDC_ISSUER_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine(
        (u) => new URL(u).protocol === 'https:' || LOOPBACK.test(new URL(u).hostname),
        'must be https (http only on a loopback address such as 127.0.0.1)',
      )
      .optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** Unset: a public client (PKCE alone); set: client_secret_basic. */
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** A claim of the ID token or userinfo whose values grant scopes (roster roles, or lead, admin); unset: the roster role decides. */
    OIDC_ROLES_CLAIM: z.string().min(1).optional(),
    /** Sign-in with an API key (for installations without an identity provider); unset: on without OIDC, off with it. */
    KEY_SIGN_IN: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    /** Signs the session cookie; every api replica needs the same one. Unset outside production: one per process. */
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** A session unused this long ends. */
    SESSION_IDLE_SECONDS: z.coerce.number().int().positive().default(1800),
    /** A session ends this long after sign-in, used or not. */
    SESSION_MAX_HOURS: z.coerce.number().positive().default(12),
  })
  .superRefine((env, ctx) => {
    if (env.WORKER_MAX_CACHED_WORKFLOWS > 0 && env.WORKER_MAX_CACHED_WORKFLOWS < env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_MAX_CACHED_WORKFLOWS'],
        message: 'must be 0 (no cache) or at least WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      });
    }
    if (env.NOTIFY_WEBHOOK_URL && !env.NOTIFY_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['NOTIFY_WEBHOOK_SECRET'], message: 'is required when NOTIFY_WEBHOOK_URL is set' });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'is required when SLACK_BOT_TOKEN is set' });
    }
    if (env.OIDC_ISSUER_URL && !env.OIDC_CLIENT_ID) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_CLIENT_ID'], message: 'is required when OIDC_ISSUER_URL is set' });
    }
    if (!env.OIDC_ISSUER_URL) {
      for (const v of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_ROLES_CLAIM'] as const) {
        if (env[v]) ctx.addIssue({ code: 'custom', path: [v], message: 'is used only with OIDC_ISSUER_URL, which is unset' });
      }
    }
    if (env.JIRA_BASE_URL) {
      for (const v of ['JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_WEBHOOK_SECRET'] as const) {
        if (!env[v]) ctx.addIssue({ code: 'custom', path: [v], message: 'is required when JIRA_BASE_URL is set' });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Nest injection token of the parsed environment (provided by ConfigModule). */
export const ENV = Symbol('ENV');

export class EnvError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Reads `.env` from the working directory into the environment when it exists; variables
 * already set win. Every entry point (api, worker, migrate, CLI) calls this first.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Parses the environment, naming every bad variable at once. Empty strings count as unset. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => ({ variable: i.path.join('.'), message: i.message })));
  }
  return result.data;
}

/** Nest's log levels up to and including LOG_LEVEL. */
export const logLevels = (level: Env['LOG_LEVEL']): LogLevel[] => {
  const order: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  return order.slice(0, order.indexOf(level) + 1);
};
