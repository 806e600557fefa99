import type { FakeJira } from '../fakes/jira-server';
import type { FakeSlack } from '../fakes/slack-server';
import { pollUntil } from './harness';

/** What points Warden's real Slack and Jira clients at the fakes, with notices retried within a second. */
export const chatEnv = (slack: FakeSlack, jira: FakeJira, secrets: { slackSigning: string; jiraWebhook: string }) => ({
  SLACK_BOT_TOKEN: 'xoxb-test-token',
  SLACK_SIGNING_SECRET: secrets.slackSigning,
  SLACK_API_URL: slack.url,
  SLACK_RESPONSE_URL_PREFIX: slack.responseUrlPrefix,
  JIRA_BASE_URL: jira.url,
  JIRA_EMAIL: 'warden@example.com',
  JIRA_API_TOKEN: 'jira-api-token',
  JIRA_WEBHOOK_SECRET: secrets.jiraWebhook,
  NOTIFY_POLL_INTERVAL_MS: '100',
  NOTIFY_MAX_BACKOFF_SECONDS: '1',
});

/** Polls until every delivery of the task (to one channel, or to all) is sent. */
export const untilDelivered = (
  db: { query(sql: string, params?: unknown[]): Promise<{ n: number }[]> },
  taskId: string,
  channel?: string,
) =>
  pollUntil(
    async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM notifications WHERE task_id = $1 AND ($2::text IS NULL OR channel = $2) AND sent_at IS NULL`,
          [taskId, channel ?? null],
        )
      )[0].n,
    (n) => n === 0,
    { what: `every ${channel ?? ''} delivery of task ${taskId}`, timeoutMs: 30_000 },
  );
