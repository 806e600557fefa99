import { startJiraFake, type FakeJira, type JiraFakeOptions } from '../fakes/jira-server';
import { startSlackFake, type FakeSlack } from '../fakes/slack-server';
import { pollUntil } from './harness';

/** Warden's Slack bot token and Jira credentials in the suites: the fakes take these and refuse anything else. */
export const CHAT_CREDENTIALS = { slackToken: 'xoxb-test-token', jiraEmail: 'warden@example.com', jiraApiToken: 'jira-api-token' };

/** The test workspace's channels: those config/integrations.yaml routes to (slack.channel and by_severity). */
export const SLACK_CHANNELS: Record<string, string> = { 'soc-alerts': 'C0SOCALERTS1', 'soc-critical': 'C0SOCCRIT01' };

/** The Jira site's projects: the one config/integrations.yaml files issues in. */
export const JIRA_PROJECTS = ['SOC'];

/** The Slack and Jira fakes as the suites' Warden is configured to meet them. */
export async function startChatFakes(jira: Partial<JiraFakeOptions> = {}): Promise<{ slack: FakeSlack; jira: FakeJira }> {
  return {
    slack: await startSlackFake({ token: CHAT_CREDENTIALS.slackToken, channels: SLACK_CHANNELS }),
    jira: await startJiraFake({
      email: CHAT_CREDENTIALS.jiraEmail,
      apiToken: CHAT_CREDENTIALS.jiraApiToken,
      projects: JIRA_PROJECTS,
      ...jira,
    }),
  };
}

/** The secrets inbound Slack requests and Jira webhooks are signed with in the suites. */
export const CHAT_SECRETS = { slackSigning: 'slack-signing-secret-for-tests', jiraWebhook: 'jira-webhook-secret-for-tests-0123' };

/** What points Warden's real Slack and Jira clients at the fakes, with notices retried within a second. */
export const chatEnv = (slack: FakeSlack, jira: FakeJira, secrets = CHAT_SECRETS) => ({
  SLACK_BOT_TOKEN: CHAT_CREDENTIALS.slackToken,
  SLACK_SIGNING_SECRET: secrets.slackSigning,
  SLACK_API_URL: slack.url,
  SLACK_RESPONSE_URL_PREFIX: slack.responseUrlPrefix,
  JIRA_BASE_URL: jira.url,
  JIRA_EMAIL: CHAT_CREDENTIALS.jiraEmail,
  JIRA_API_TOKEN: CHAT_CREDENTIALS.jiraApiToken,
  JIRA_WEBHOOK_SECRET: secrets.jiraWebhook,
  NOTIFY_POLL_INTERVAL_MS: '100',
  NOTIFY_MAX_BACKOFF_SECONDS: '1',
});

/** Polls until every delivery of the task (to one channel, or to all) is sent. */
export const untilDelivered = (
  db: { query(sql: string, params?: unknown[]): Promise<{ n: number }[]> },
  taskId: string,
  channel?: string,
  timeoutMs = 30_000,
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
    { what: `every ${channel ?? ''} delivery of task ${taskId}`, timeoutMs },
  );
