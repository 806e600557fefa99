import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { DataSource } from 'typeorm';
import type { Env } from '../../src/common/env';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { Scope } from '../../src/auth/api-key.entity';
import { createApiKey } from '../../src/auth/api-keys.service';
import { incidentWorkflowId } from '../../src/domain';
import type { IncidentWorkflowStatus } from '../../src/temporal/workflows/incident.workflow';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { client, pollUntil, RunningApi, RunningWorker, startApi, startWorker, testEnv, uniqueTaskQueue } from './harness';
import { isolatedDatabase, testConfigDir } from './isolated';

type Doc = Record<string, any>;

export interface Stack {
  env: Env;
  db: DataSource;
  api: RunningApi;
  worker?: RunningWorker;
  webhook: WebhookReceiver;
  temporal: Client;
  ingest: ReturnType<typeof client>;
  /** A client acting as the analyst `id`, with the `analyst` scope (or those given). */
  as(analystId: string | null, scopes?: Scope[]): Promise<ReturnType<typeof client>>;
  status(incidentId: string): Promise<IncidentWorkflowStatus>;
  /**
   * When the workflow's first timer after the latest `signal` fires. Polls the history until
   * that timer has started, so the workflow has decided its next SLA step: no wall-clock race.
   */
  waitAfterSignal(incidentId: string, signal: string): Promise<Date>;
  /** The tasks of these incidents, in their order, once each workflow has made its first assignment (someone, or nobody free). */
  firstAssignments(incidentIds: string[]): Promise<FirstAssignment[]>;
  /** Polls the incident's task until `done` holds. */
  task(incidentId: string, done?: (t: Record<string, any>) => boolean, what?: string): Promise<Record<string, any>>;
  notifications(taskId: string): Promise<{ key: string; kind: string; recipients: string[]; sent: boolean }[]>;
  close(): Promise<void>;
}

/** A task as its first assignment left it. */
export interface FirstAssignment {
  id: string;
  incident_id: string;
  assignee_id: string | null;
  priority: string;
  /** Assignment rows so far. */
  assignments: number;
}

export interface StackOptions {
  name: string;
  sla?: (doc: Doc) => void;
  assignment?: (doc: Doc) => void;
  rules?: (doc: Doc) => void;
  containment?: (doc: Doc) => void;
  /** Config files to add or replace, by path under config/. */
  files?: Record<string, string>;
  /** false: the suite runs its own worker (e.g. as a child process). */
  worker?: boolean;
  env?: Partial<Record<keyof Env, string>>;
}

/**
 * The whole of Warden on a database of its own: the api with its outbox dispatcher, the
 * worker on a task queue of its own, a config copy, and a webhook receiver for notifications.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const database = await isolatedDatabase();
  const config = testConfigDir({
    sla: options.sla,
    assignment: options.assignment,
    rules: options.rules,
    containment: options.containment,
    files: options.files,
  });
  const webhook = new WebhookReceiver('test-webhook-secret-0123456789');
  const webhookUrl = await webhook.start();
  const env = testEnv({
    DATABASE_URL: database.url,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(options.name),
    WARDEN_CONFIG_DIR: config.dir,
    OUTBOX_DISPATCHER_ENABLED: 'true',
    OUTBOX_POLL_INTERVAL_MS: '100',
    NOTIFY_WEBHOOK_URL: webhookUrl,
    NOTIFY_WEBHOOK_SECRET: webhook.secret,
    ...options.env,
  });
  const worker = options.worker === false ? undefined : await startWorker(env);
  const api = await startApi(env);
  const db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 3)).initialize();
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection });
  const ingestKey = (await createApiKey(db, 'monitor', ['ingest'])).key;

  const stack: Stack = {
    env,
    db,
    api,
    worker,
    webhook,
    temporal,
    ingest: client(api.url, ingestKey),
    async as(analystId, scopes = ['analyst']) {
      return client(api.url, (await createApiKey(db, analystId ?? 'robot', scopes, analystId ?? undefined)).key);
    },
    status: (incidentId) => temporal.workflow.getHandle(incidentWorkflowId(incidentId)).query<IncidentWorkflowStatus>('status'),
    firstAssignments: (incidentIds) =>
      pollUntil(
        () =>
          db.query<FirstAssignment[]>(
            `SELECT t.id, t.incident_id, t.assignee_id, t.priority, (SELECT count(*)::int FROM task_assignments a WHERE a.task_id = t.id) AS assignments
               FROM tasks t JOIN unnest($1::uuid[]) WITH ORDINALITY AS i(id, n) ON i.id = t.incident_id ORDER BY i.n`,
            [incidentIds],
          ),
        (rows) => rows.length === incidentIds.length && rows.every((r) => r.assignments > 0),
        { what: `the first assignment of ${incidentIds.length} tasks`, timeoutMs: 60_000 },
      ),
    async waitAfterSignal(incidentId, signal) {
      const handle = temporal.workflow.getHandle(incidentWorkflowId(incidentId));
      return pollUntil(
        async () => {
          const events = (await handle.fetchHistory()).events ?? [];
          const from = events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).lastIndexOf(signal);
          const rest = from < 0 ? [] : events.slice(from + 1);
          const started = rest.find((e) => e.timerStartedEventAttributes);
          if (!started) return undefined;
          return new Date(tsToMs(started.eventTime) + tsToMs(started.timerStartedEventAttributes!.startToFireTimeout));
        },
        (firesAt) => firesAt !== undefined,
        { what: `the wait after the ${signal} signal of incident ${incidentId}`, timeoutMs: 30_000 },
      ) as Promise<Date>;
    },
    async task(incidentId, done = (t) => t.status !== 'new', what = 'task') {
      return pollUntil(
        async () => (await db.query(`SELECT * FROM tasks WHERE incident_id = $1`, [incidentId]))[0],
        (t) => t !== undefined && done(t),
        { what: `${what} of incident ${incidentId}`, timeoutMs: 30_000 },
      );
    },
    async notifications(taskId) {
      const rows = await db.query(
        `SELECT key, kind, recipients, sent_at FROM notifications WHERE task_id = $1 AND channel = 'webhook' ORDER BY id`,
        [taskId],
      );
      return rows.map((r: any) => ({
        key: r.key.replace(`task-${taskId}:`, ''),
        kind: r.kind,
        recipients: r.recipients,
        sent: r.sent_at !== null,
      }));
    },
    async close() {
      await api.close();
      await worker?.stop();
      await connection.close();
      await db.destroy();
      await webhook.stop();
      await database.drop();
      config.remove();
    },
  };
  return stack;
}

/** A native SecurityAlert with sensible defaults. */
export function alert(fields: Record<string, unknown>): Record<string, unknown> {
  return { source: 'test-sensor', type: 'port_scan', severity: 'medium', title: 'Test alert', ...fields };
}
