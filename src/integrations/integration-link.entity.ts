import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** The external object Warden keeps for an incident or task in a channel: a Slack message, a Jira issue. */
@Entity({ name: 'integration_links' })
// Jira's webhook finds the task by its issue key; a Slack ts is unique only within its conversation, so no uniqueness here.
@Index('IDX_integration_links_external', ['channel', 'externalId'], { where: 'external_id IS NOT NULL' })
export class IntegrationLink {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_integration_links' })
  channel: string;

  /** The incident (Slack thread) or task (Jira issue). */
  @PrimaryColumn({ name: 'subject_id', type: 'uuid', primaryKeyConstraintName: 'PK_integration_links' })
  subjectId: string;

  /** The Slack message ts or the Jira issue key; null while the first delivery is creating it. */
  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;

  /** What else addresses it: the Slack channel id, the Jira issue id. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  external: Record<string, unknown>;

  /** A delivery is creating the external object until then; others wait (and retry) rather than create a second. */
  @Column({ name: 'creating_until', type: 'timestamptz', nullable: true })
  creatingUntil: Date | null;

  /** When Warden last pushed to it; a Jira event no newer than this is Warden's own echo. */
  @Column({ name: 'synced_at', type: 'timestamptz', nullable: true })
  syncedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
