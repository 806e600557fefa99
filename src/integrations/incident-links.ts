import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { incidentPageUrl } from '../common/app-links';
import { ENV, type Env } from '../common/env';
import { notFound } from '../domain';
import { jiraIssueUrl, slackThreadUrl } from './external-urls';
import { SLACK_LINK } from './slack/slack.channel';

/** Where else an incident lives: its page in the workspace, its Slack thread and its Jira issue, once they exist. */
export interface IncidentLinksView {
  incident: string;
  slack: { channel: string; ts: string; url: string } | null;
  jira: { key: string; url: string } | null;
}

interface LinksRow {
  slack_channel: string | null;
  slack_ts: string | null;
  jira_key: string | null;
}

/** Reads an incident's links from `integration_links` (the Slack thread is the incident's, the Jira issue its task's). */
@Injectable()
export class IncidentLinksReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async read(incidentId: string): Promise<IncidentLinksView> {
    const [row] = await this.dataSource.query<LinksRow[]>(
      `SELECT s.external->>'channel' AS slack_channel, s.external_id AS slack_ts,
              (SELECT j.external_id FROM integration_links j JOIN tasks t ON t.id = j.subject_id
                WHERE j.channel = 'jira' AND t.incident_id = i.id AND t.kind = 'incident' AND j.external_id IS NOT NULL) AS jira_key
         FROM incidents i LEFT JOIN integration_links s ON s.channel = $2 AND s.subject_id = i.id AND s.external_id IS NOT NULL
        WHERE i.id = $1`,
      [incidentId, SLACK_LINK],
    );
    if (!row) throw notFound(`No incident ${incidentId}.`, 'path:id', 'no such incident');
    return {
      incident: incidentPageUrl(this.env.PUBLIC_URL, incidentId),
      slack:
        row.slack_channel && row.slack_ts
          ? {
              channel: row.slack_channel,
              ts: row.slack_ts,
              url: slackThreadUrl(row.slack_channel, row.slack_ts, this.env.SLACK_WORKSPACE_URL),
            }
          : null,
      jira: row.jira_key && this.env.JIRA_BASE_URL ? { key: row.jira_key, url: jiraIssueUrl(this.env.JIRA_BASE_URL, row.jira_key) } : null,
    };
  }
}
