import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RosterIds } from '../assignment/roster-ids';
import { incidentPageUrl } from '../common/app-links';
import { ENV, type Env } from '../common/env';
import { pickFields } from '../common/pick';
import { alertViewColumns, toAlertView, type AlertView, type AlertViewRow } from '../correlation/alert-view';
import {
  incidentSummaryColumns,
  stormSourcesSql,
  toIncidentSummaryView,
  toStormSourcesView,
  type IncidentSummaryRow,
  type IncidentSummaryView,
  type StormSourceRow,
  type StormSourcesView,
} from '../correlation/incident-view';
import type { TaskStatus } from '../domain';
import { rollUpEnrichment, type Enrichment, type EnrichmentRollup } from '../enrichment';
import { jiraIssueUrl } from './external-urls';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from './integrations.schema';

/** What Slack and Jira show of each alert: a Pick of the AlertView, one line or table row each. */
export const SNAPSHOT_ALERT_FIELDS = [
  'id',
  'type',
  'severity',
  'title',
  'sourceIp',
  'destinationIp',
  'user',
  'host',
  'receivedAt',
] as const satisfies readonly (keyof AlertView)[];

export type SnapshotAlert = Pick<AlertView, (typeof SNAPSHOT_ALERT_FIELDS)[number]>;

/** An incident as Slack and Jira show it, read afresh at each delivery so a retry shows the latest state. */
export interface IncidentSnapshot {
  /** The incident in brief (the whole IncidentSummaryView), a storm's sources, and the assignee's team. */
  incident: IncidentSummaryView & {
    /** On a storm only: how many distinct sources it counted, and the busiest five. */
    stormSources?: StormSourcesView;
    /** The assignee's team. */
    team: string | null;
  };
  task: {
    id: string;
    status: TaskStatus;
    assigneeId: string | null;
    assigneeName: string | null;
    ackDeadline: string | null;
    resolveDeadline: string | null;
    disposition: string | null;
    checklist: string[];
  } | null;
  /** The newest 20. */
  alerts: SnapshotAlert[];
  /** What enrichment found, rolled up over the newest 100 alerts (as the incident detail does). */
  enrichment: EnrichmentRollup;
  pendingApprovals: { id: string; stepId: string; action: string; role: string }[];
  /** `incident`: its page in the workspace (PUBLIC_URL/app#incident/<id>). */
  links: { incident: string; jira: { key: string; url: string } | null };
}

/** The incident's summary columns, and the rest as json (times as text). */
interface SnapshotRow extends IncidentSummaryRow {
  task: (Omit<NonNullable<IncidentSnapshot['task']>, 'assigneeName' | 'checklist'> & { checklist: { text: string }[] }) | null;
  alerts: AlertViewRow[];
  /** The stored enrichment of the newest SNAPSHOT_ENRICHMENT_ALERTS alerts (null: stored without). */
  enrichments: (Enrichment | null)[];
  approvals: IncidentSnapshot['pendingApprovals'];
  storm_sources: StormSourceRow[];
  jira_key: string | null;
}

/** The storm sources Slack and Jira name. */
const TOP_STORM_SOURCES = 5;
/** The alerts shown, and the alerts whose enrichment is rolled up (the incident detail's default too). */
const SNAPSHOT_ALERTS = 20;
const SNAPSHOT_ENRICHMENT_ALERTS = 100;

/** One read of everything a channel renders: the incident, its task, newest alerts, storm sources, approvals, links. */
@Injectable()
export class SnapshotReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(INTEGRATIONS_CONFIG) private readonly config: IntegrationsConfig,
    private readonly analysts: RosterIds,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async read(ref: { incidentId?: string | null; taskId?: string | null }): Promise<IncidentSnapshot | null> {
    const [row] = await this.dataSource.query<SnapshotRow[]>(
      `WITH i AS (SELECT * FROM incidents WHERE id = coalesce($1::uuid, (SELECT incident_id FROM tasks WHERE id = $2::uuid))),
       -- One bounded pass over the incident's alerts, newest first: the enrichment of the first 100, the first 20 shown.
       newest AS MATERIALIZED (SELECT a.id, a.received_at, a.enrichment FROM alerts a WHERE a.incident_id = (SELECT id FROM i)
                                ORDER BY a.received_at DESC, a.id DESC LIMIT $4)
       SELECT ${incidentSummaryColumns('i')},
              (SELECT json_build_object('id', t.id, 'status', t.status, 'assigneeId', t.assignee_id, 'ackDeadline', t.ack_deadline,
                        'resolveDeadline', t.resolve_deadline, 'disposition', t.disposition, 'checklist', t.checklist)
                 FROM tasks t WHERE t.incident_id = i.id AND t.kind = 'incident') AS task,
              (SELECT coalesce(json_agg(a), '[]') FROM (
                 SELECT ${alertViewColumns('alerts')} FROM (SELECT id FROM newest ORDER BY received_at DESC, id DESC LIMIT $3) n
                   JOIN alerts ON alerts.id = n.id
                  ORDER BY alerts.received_at DESC, alerts.id DESC) a) AS alerts,
              (SELECT coalesce(json_agg(n.enrichment ORDER BY n.received_at DESC, n.id DESC), '[]') FROM newest n) AS enrichments,
              (SELECT coalesce(json_agg(p ORDER BY p.id), '[]') FROM (
                 SELECT a.id, a.step_id AS "stepId", s.action, a.role FROM approvals a
                   JOIN playbook_steps s ON s.run_id = a.run_id AND s.step_id = a.step_id
                  WHERE a.incident_id = i.id AND a.status = 'pending') p) AS approvals,
              (SELECT coalesce(json_agg(s), '[]') FROM (${stormSourcesSql('i.id', String(TOP_STORM_SOURCES))}) s) AS storm_sources,
              (SELECT l.external_id FROM integration_links l JOIN tasks t ON t.id = l.subject_id
                WHERE l.channel = 'jira' AND t.incident_id = i.id AND t.kind = 'incident') AS jira_key
         FROM i`,
      [ref.incidentId ?? null, ref.taskId ?? null, SNAPSHOT_ALERTS, SNAPSHOT_ENRICHMENT_ALERTS],
    );
    if (!row) return null;
    const incident = toIncidentSummaryView(row);
    const assignee = row.task?.assigneeId ?? null;
    return {
      incident: {
        ...incident,
        ...(incident.storm ? { stormSources: toStormSourcesView(row.storm_sources) } : {}),
        team: assignee ? this.analysts.teamOf(assignee) : null,
      },
      task: row.task
        ? {
            ...row.task,
            assigneeName: assignee ? (this.analysts.nameOf(assignee) ?? assignee) : null,
            checklist: row.task.checklist.map((c) => c.text),
          }
        : null,
      alerts: row.alerts.map((a) => pickFields(toAlertView(a), SNAPSHOT_ALERT_FIELDS)),
      enrichment: rollUpEnrichment(row.enrichments),
      pendingApprovals: row.approvals,
      links: {
        // The incident's page in the workspace: a person clicking it has a browser, not an API key.
        incident: incidentPageUrl(this.config.publicUrl, incident.id),
        jira: row.jira_key ? { key: row.jira_key, url: jiraIssueUrl(this.env.JIRA_BASE_URL ?? '', row.jira_key) } : null,
      },
    };
  }
}
