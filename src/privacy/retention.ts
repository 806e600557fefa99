/**
 * What delivery leaves behind, and how long it is kept: delivered rows serve only to trace what
 * was told (and to answer a redelivery as a repeat), so each is deleted once older than its
 * retention. Rows still pending or failed are never pruned: an operator re-drives those.
 * Sessions that no longer sign anyone in (signed out, idle or past their maximum age) go too:
 * the audit log keeps their sign-in and sign-out.
 */
export interface Pruning {
  /** The label it is counted under in /metrics (`warden_pruned_rows_total{kind}`). */
  kind: 'notifications' | 'outbox' | 'integration_links' | 'sessions';
  /** Deletes at most $1 rows older than its retention ($2, $3: hours); its row count is what it pruned. */
  sql: string;
  /** The retentions it applies, in hours, as $2, $3. */
  hours: (r: RetentionHours) => number[];
}

export interface RetentionHours {
  notices: number;
  outbox: number;
  links: number;
  /** A session's idle limit (SESSION_IDLE_SECONDS, in hours) and its maximum age (SESSION_MAX_HOURS). */
  sessionIdle: number;
  sessionMax: number;
}

export const PRUNINGS: readonly Pruning[] = [
  {
    kind: 'notifications',
    hours: (r) => [r.notices],
    sql: `DELETE FROM notifications WHERE id IN (
            SELECT id FROM notifications WHERE sent_at < now() - make_interval(hours => $2) LIMIT $1)`,
  },
  {
    kind: 'outbox',
    hours: (r) => [r.outbox],
    sql: `DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox WHERE delivered_at < now() - make_interval(hours => $2) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)`,
  },
  {
    // The Slack thread of an incident and the Jira issue of a task, once resolved that long ago (a later
    // change would start a new thread or issue); a reply's or direct message's link, which only makes
    // its notice's redelivery a repeat, as long as the notices.
    kind: 'integration_links',
    hours: (r) => [r.links, r.notices],
    sql: `DELETE FROM integration_links WHERE (channel, subject_id) IN (
            SELECT l.channel, l.subject_id FROM integration_links l
              LEFT JOIN incidents i ON i.id = l.subject_id
              LEFT JOIN tasks t ON t.id = l.subject_id
             WHERE CASE WHEN i.id IS NOT NULL THEN i.resolved_at < now() - make_interval(hours => $2)
                        WHEN t.id IS NOT NULL THEN t.resolved_at < now() - make_interval(hours => $2)
                        ELSE l.created_at < now() - make_interval(hours => $3) END
             LIMIT $1)`,
  },
  {
    // A live session is never pruned: it has not ended, was used within the idle limit, and is younger than the maximum age.
    kind: 'sessions',
    hours: (r) => [r.sessionIdle, r.sessionMax],
    sql: `DELETE FROM sessions WHERE id IN (
            SELECT id FROM sessions
             WHERE ended_at IS NOT NULL
                OR last_seen_at <= now() - make_interval(secs => $2::float8 * 3600)
                OR created_at <= now() - make_interval(secs => $3::float8 * 3600)
             LIMIT $1)`,
  },
];
