import { Global, Logger, Module } from '@nestjs/common';
import { ASSIGNMENT_CONFIG, type AssignmentConfig } from '../assignment/assignment.schema';
import { RosterIds } from '../assignment/roster-ids';
import { ENV, type Env } from '../common/env';
import { ALERTS_ADDED_EVERY, CHANNEL_SUBSCRIPTIONS, subscriptions, type ChannelSubscription } from '../notifications/channels';
import { LogNotifier } from '../notifications/log.notifier';
import { NOTIFIERS, Notifier } from '../notifications/notifier';
import {
  INTEGRATIONS_CONFIG,
  INTEGRATIONS_FILE,
  integrationsConfig,
  type IntegrationsConfig,
  type IntegrationsFile,
} from './integrations.schema';
import { WebClient } from '@slack/web-api';
import { ChannelGate, gatedFetch } from '../delivery/channel-gate';
import { Version3Client } from 'jira.js';
import { JIRA_CLIENT, JiraChannel, type JiraClient } from './jira/jira.channel';
import { IntegrationLinks } from './links';
import { SlackChannel } from './slack/slack.channel';
import { SnapshotReader } from './snapshot';
import { WebhookNotifier } from './webhook/webhook.notifier';

/**
 * Each outside channel's calls in this process, shared by its client and its notifier: a 429 pauses
 * the channel for its Retry-After, and a delivery starts a call only while its lease has room for it.
 * Slack's calls go one at a time (Slack allows about one message a second per channel anyway), so
 * a rate limit is known before the next call leaves.
 */
export class ChannelGates {
  readonly slack: ChannelGate;
  readonly jira: ChannelGate;
  private readonly webhooks = new Map<string, ChannelGate>();

  constructor(private readonly env: Env) {
    this.slack = new ChannelGate('slack', env.SLACK_TIMEOUT_SECONDS * 1000, true);
    this.jira = new ChannelGate('jira', env.JIRA_TIMEOUT_SECONDS * 1000);
  }

  webhook(name: string): ChannelGate {
    if (!this.webhooks.has(name)) this.webhooks.set(name, new ChannelGate(name, this.env.NOTIFY_WEBHOOK_TIMEOUT_SECONDS * 1000));
    return this.webhooks.get(name)!;
  }
}

/** Slack's client, retrying nothing itself: the delivery path retries, no sooner than Retry-After. */
const slackClient = (env: Env, gate: ChannelGate) =>
  new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: env.SLACK_TIMEOUT_SECONDS * 1000,
    fetch: gatedFetch(gate, fetch),
  });

/** Jira Cloud's REST v3 client as Warden's own account (basic auth with an API token), on fetch through its gate. */
const jiraClient = (env: Env, gate: ChannelGate) =>
  new Version3Client({
    host: env.JIRA_BASE_URL!,
    authentication: { basic: { email: env.JIRA_EMAIL!, apiToken: env.JIRA_API_TOKEN! } },
    baseRequestConfig: { timeout: env.JIRA_TIMEOUT_SECONDS * 1000, adapter: 'fetch', env: { fetch: gatedFetch(gate, fetch) } },
  });

/** A channel with the gate its client calls through, for the dispatcher to read. */
const gated = (notifier: Notifier, gate: ChannelGate): Notifier => ({ name: notifier.name, gate, send: (n) => notifier.send(n) });

/** Whether each channel is configured; the one place that decides it, for both processes. */
export const channelsEnabled = (env: Env, config: IntegrationsConfig) => ({
  webhook: Boolean(env.NOTIFY_WEBHOOK_URL),
  slack: Boolean(env.SLACK_BOT_TOKEN),
  jira: Boolean(env.JIRA_BASE_URL),
  webhooks: config.webhooks,
});

/**
 * The channels notifications go out on: the log always; the signed webhook, Slack, Jira and
 * the per-event webhooks when configured, each announced once in the log, on or off.
 * Notifications defines the Notifier port and the subscriptions; this module plugs the channels in.
 */
@Global()
@Module({
  providers: [
    {
      provide: INTEGRATIONS_CONFIG,
      inject: [INTEGRATIONS_FILE, ENV],
      useFactory: (file: IntegrationsFile, env: Env) => integrationsConfig(file, env.PUBLIC_URL, process.env),
    },
    {
      provide: ALERTS_ADDED_EVERY,
      inject: [INTEGRATIONS_CONFIG],
      useFactory: (config: IntegrationsConfig) => config.alertsAddedEverySeconds,
    },
    {
      provide: CHANNEL_SUBSCRIPTIONS,
      inject: [ENV, INTEGRATIONS_CONFIG],
      useFactory: (env: Env, config: IntegrationsConfig): ChannelSubscription[] => subscriptions(channelsEnabled(env, config)),
    },
    { provide: RosterIds, inject: [ASSIGNMENT_CONFIG], useFactory: (c: AssignmentConfig) => new RosterIds(c) },
    IntegrationLinks,
    SnapshotReader,
    { provide: ChannelGates, inject: [ENV], useFactory: (env: Env) => new ChannelGates(env) },
    /** null when Jira is off. */
    {
      provide: JIRA_CLIENT,
      inject: [ENV, ChannelGates],
      useFactory: (env: Env, gates: ChannelGates): JiraClient | null => (env.JIRA_BASE_URL ? jiraClient(env, gates.jira) : null),
    },
    {
      provide: NOTIFIERS,
      inject: [ENV, INTEGRATIONS_CONFIG, SnapshotReader, IntegrationLinks, RosterIds, JIRA_CLIENT, ChannelGates],
      useFactory: (
        env: Env,
        config: IntegrationsConfig,
        snapshots: SnapshotReader,
        links: IntegrationLinks,
        roster: RosterIds,
        jira: JiraClient | null,
        gates: ChannelGates,
      ): Notifier[] => {
        const logger = new Logger('channels');
        const notifiers: Notifier[] = [new LogNotifier()];
        if (env.NOTIFY_WEBHOOK_URL) {
          notifiers.push(
            new WebhookNotifier({
              url: env.NOTIFY_WEBHOOK_URL,
              secret: env.NOTIFY_WEBHOOK_SECRET!,
              publicUrl: env.PUBLIC_URL,
              timeoutMs: env.NOTIFY_WEBHOOK_TIMEOUT_SECONDS * 1000,
              gate: gates.webhook('webhook'),
            }),
          );
        }
        if (env.SLACK_BOT_TOKEN) {
          notifiers.push(gated(new SlackChannel(slackClient(env, gates.slack), snapshots, links, config, roster), gates.slack));
          logger.log(`Slack: on (${env.SLACK_API_URL}, default channel ${config.slack.channel})`);
        } else logger.log('Slack: off (SLACK_BOT_TOKEN is not set)');
        if (jira) {
          notifiers.push(gated(new JiraChannel(jira, snapshots, links, config, roster), gates.jira));
          logger.log(`Jira: on (${env.JIRA_BASE_URL}, project ${config.jira.project})`);
        } else logger.log('Jira: off (JIRA_BASE_URL is not set)');
        for (const w of config.webhooks) {
          notifiers.push(
            new WebhookNotifier({
              name: `webhook:${w.name}`,
              url: w.url,
              secret: w.secret,
              publicUrl: env.PUBLIC_URL,
              timeoutMs: env.NOTIFY_WEBHOOK_TIMEOUT_SECONDS * 1000,
              gate: gates.webhook(`webhook:${w.name}`),
            }),
          );
        }
        return notifiers;
      },
    },
  ],
  exports: [
    NOTIFIERS,
    CHANNEL_SUBSCRIPTIONS,
    ALERTS_ADDED_EVERY,
    INTEGRATIONS_CONFIG,
    RosterIds,
    IntegrationLinks,
    SnapshotReader,
    JIRA_CLIENT,
  ],
})
export class IntegrationsModule {}
