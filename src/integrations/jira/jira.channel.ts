import type { Version3Client } from 'jira.js';
import { DeliveryError, type Notifier, type OutgoingNotification } from '../../notifications/notifier';
import type { IntegrationsConfig } from '../integrations.schema';
import { subjectIdOf, type IntegrationLinks } from '../links';
import type { IncidentSnapshot, SnapshotReader } from '../snapshot';
import { issueDescription, commentDoc, type AdfDoc } from './adf';
import {
  classifyJiraError,
  commentFor,
  commentFooter,
  createFields,
  fieldChanges,
  incidentLabel,
  isCommentFor,
  issueFields,
  readIssueState,
  readTransitions,
  sameName,
  taskLabel,
  transitionFor,
  type JiraIssueState,
} from './jira-sync';

/** Nest token of the jira.js client (built from JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN). */
export const JIRA_CLIENT = Symbol('JIRA_CLIENT');

/** The part of jira.js's Version3Client the channel and the webhook use (tests pass a stand-in). */
export interface JiraClient {
  issueSearch: Pick<Version3Client['issueSearch'], 'searchForIssuesUsingJqlEnhancedSearch'>;
  issues: Pick<Version3Client['issues'], 'createIssue' | 'editIssue' | 'getTransitions' | 'doTransition'>;
  issueComments: Pick<Version3Client['issueComments'], 'addComment' | 'getComments'>;
  myself: Pick<Version3Client['myself'], 'getCurrentUser'>;
}

export interface JiraAccounts {
  jiraAccountOf(analystId: string): string | null;
}

/** The `integration_links` channel of each comment Warden adds, keyed by its notice. */
export const JIRA_COMMENT_LINK = 'jira:comment';

/** How long before an earlier attempt a search for its comment reaches back: Warden's database clock and Jira's differ. */
const LOOK_BACK_MS = 120_000;
/** Pages of comments (newest first) a search reads at most. */
const LOOK_PAGES = 10;
const PAGE_SIZE = 100;

/** A JQL string literal. */
const jql = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * One Jira issue per task. Each notice brings the issue up to date (fields, status) and adds
 * a comment when it says something the fields do not. `send` is safe to repeat: the issue is
 * looked up by its label before it is created, edits only set what differs, and a transition
 * is taken only while the issue is not yet in the target status. Each comment is made once
 * through `links.ensure` (keyed by its notice): after an attempt whose outcome is unknown (Jira
 * added it and answered 500, or the answer was lost), the next one first looks for the comment
 * whose footer names the notice and adds it only when it is not there. The common path costs
 * no extra call.
 *
 * The channel never retries by itself: a failed call is classified (`classifyJiraError`) and
 * the delivery path retries it with backoff, honouring Retry-After.
 */
export class JiraChannel implements Notifier {
  readonly name = 'jira';

  constructor(
    private readonly client: JiraClient,
    private readonly snapshots: Pick<SnapshotReader, 'read'>,
    private readonly links: Pick<IntegrationLinks, 'ensure' | 'synced'>,
    private readonly config: IntegrationsConfig,
    private readonly accounts: JiraAccounts,
  ) {}

  async send(n: OutgoingNotification): Promise<void> {
    try {
      await this.push(n);
    } catch (err) {
      throw classifyJiraError(err);
    }
  }

  private async push(n: OutgoingNotification): Promise<void> {
    // Incident-level notices (approval.requested) go to the issue of the incident's task.
    const snapshot = await this.snapshots.read(n.taskId ? { taskId: n.taskId } : { incidentId: n.incidentId });
    const task = snapshot?.task;
    // No task yet (or a digest): there is no issue to follow.
    if (!snapshot || !task) return;

    const accountId = task.assigneeId ? this.accounts.jiraAccountOf(task.assigneeId) : null;
    const desired = issueFields(snapshot, this.config.jira, accountId);
    const made = { created: false, found: false };
    const link = await this.links.ensure('jira', task.id, async () => {
      // Look first, create second: after a lost create answer, the retry finds the issue by its label.
      const found = await this.findIssue(snapshot, task.id);
      if (found) {
        made.found = true;
        return { externalId: found.key, external: { id: found.id } };
      }
      const created = await this.client.issues.createIssue({ fields: createFields(desired, issueDescription(snapshot)) });
      made.created = true;
      return { externalId: created.key, external: { id: created.id } };
    });
    const key = link.externalId;
    if (!key) throw new DeliveryError(`no Jira issue is linked to task ${task.id}`, false);
    const issueId = typeof link.external.id === 'string' ? link.external.id : null;

    // A fresh issue already has every field; the search index may not show it yet anyway.
    const current = made.created ? null : await this.readIssue(key, issueId);
    if (!made.created && !current) throw new DeliveryError(`Jira issue ${key} is not found (deleted, or not yet searchable)`, false);

    let pushed = made.created;
    if (current) {
      const changes = fieldChanges(current, desired);
      // The alert table is rewritten when alerts arrive, and when a retry found the issue a lost create answer had made.
      if (n.kind === 'incident.alerts_added' || made.found) changes.description = issueDescription(snapshot);
      if (Object.keys(changes).length > 0) {
        await this.client.issues.editIssue({ issueIdOrKey: key, fields: changes });
        pushed = true;
      }
    }

    const target = this.config.jira.transitions[task.status];
    if (target && !sameName(target, current?.statusName)) {
      const available = readTransitions(await this.client.issues.getTransitions({ issueIdOrKey: key }));
      const id = transitionFor(task.status, this.config.jira, current?.statusName ?? null, available);
      if (id) {
        await this.client.issues.doTransition({ issueIdOrKey: key, transition: { id } });
        pushed = true;
      }
    }

    const text = commentFor(n, snapshot, link.syncedAt);
    if (text) {
      await this.links.ensure(JIRA_COMMENT_LINK, subjectIdOf(n.key), async (attempt) => {
        let id = attempt.earlierSince ? await this.findComment(key, n.key, attempt.earlierSince) : null;
        if (!id) {
          const added = await this.client.issueComments.addComment({
            issueIdOrKey: key,
            comment: toDocument(commentDoc(text, commentFooter(n.key))),
          });
          if (typeof added.id !== 'string' || added.id === '') throw new DeliveryError('jira answered addComment without an id', false);
          id = added.id;
        }
        return { externalId: id, external: { issue: key } };
      });
      pushed = true;
    }

    // What the issue last heard from Warden (the next "alerts added" comment counts from here). A push
    // that changed nothing moves nothing; echoes are told apart by identity (jira-sync.ts), not by this time.
    if (pushed) await this.links.synced('jira', task.id);
  }

  /** The issue already made for this task: labelled with the incident, and with this task (or with no task at all). */
  private async findIssue(s: IncidentSnapshot, taskId: string): Promise<{ key: string; id: string } | null> {
    const answer = await this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({
      jql: `project = ${jql(this.config.jira.project)} AND labels = ${jql(incidentLabel(s.incident.id))} ORDER BY created ASC`,
      fields: ['labels'],
      maxResults: 20,
    });
    const issues = (answer.issues ?? []).map(readIssueState).filter((i): i is JiraIssueState => i !== null);
    const mine = taskLabel(taskId);
    const pick = issues.find((i) => i.labels.includes(mine)) ?? issues.find((i) => !i.labels.some((l) => l.startsWith('warden-task-')));
    return pick ? { key: pick.key, id: pick.id ?? '' } : null;
  }

  /** The comment an earlier attempt of this notice added, newest first back to shortly before that attempt; null when none. */
  private async findComment(key: string, noticeKey: string, since: Date): Promise<string | null> {
    const cutoff = since.getTime() - LOOK_BACK_MS;
    let startAt = 0;
    for (let page = 0; page < LOOK_PAGES; page++) {
      const answer = await this.client.issueComments.getComments({
        issueIdOrKey: key,
        orderBy: '-created',
        startAt,
        maxResults: PAGE_SIZE,
      });
      const comments = answer.comments ?? [];
      const hit = comments.find((c) => isCommentFor(c.body, noticeKey));
      if (hit?.id) return hit.id;
      startAt += comments.length;
      const oldest = Date.parse(comments.at(-1)?.created ?? '');
      if (comments.length === 0 || startAt >= (answer.total ?? 0) || oldest < cutoff) return null;
    }
    return null;
  }

  /** The issue's current fields. `reconcileIssues` asks Jira for read-after-write consistency on it. */
  private async readIssue(key: string, id: string | null): Promise<JiraIssueState | null> {
    const answer = await this.client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({
      jql: `key = ${jql(key)}`,
      fields: ['summary', 'priority', 'assignee', 'labels', 'status'],
      maxResults: 1,
      ...(id && /^\d{1,15}$/.test(id) ? { reconcileIssues: [Number(id)] } : {}),
    });
    const issue = (answer.issues ?? []).map(readIssueState).find((i) => i !== null && i.key.toUpperCase() === key.toUpperCase());
    return issue ?? null;
  }
}

/** Our ADF document as jira.js types it. */
function toDocument(doc: AdfDoc): Parameters<JiraClient['issueComments']['addComment']>[0]['comment'] {
  return doc;
}
