import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { advisoryLocksSql } from '../database/locks';
import type { Priority } from '../domain';
import { alertCountsSql, type AlertCounts, type AlertCountsRow } from './alert-counts';
import { correlationLock } from './engine';

/** What a task is made from. */
export interface IncidentForTask {
  id: string;
  title: string;
  priority: Priority;
  assign_role: string;
  types: string[];
  /** A storm incident gets the storm checklist. */
  storm: boolean;
  /** The database's clock as it read the incident: the task opens then. */
  now: Date;
}

/** A `batch` incident waiting for the next digest. */
export interface DigestCandidate {
  id: string;
  priority: Priority;
  assign_role: string;
  types: string[];
  alert_count: number;
}

/**
 * Changes to incidents that come from their tasks. Each runs inside the caller's
 * transaction (`m`), so the task and its incident change together.
 */
@Injectable()
export class IncidentsService {
  async forTask(m: EntityManager, incidentId: string): Promise<IncidentForTask | undefined> {
    const [row] = await m.query<IncidentForTask[]>(
      `SELECT id, title, priority, assign_role, types, storm, now() FROM incidents WHERE id = $1`,
      [incidentId],
    );
    return row;
  }

  async acknowledge(m: EntityManager, incidentId: string): Promise<void> {
    await m.query(`UPDATE incidents SET status = 'acknowledged', updated_at = now() WHERE id = $1 AND status = 'open'`, [incidentId]);
  }

  /**
   * Resolves the task's incident, or the incidents of a digest task. A resolved incident
   * takes no more alerts: the next one opens a new incident. The correlation lock, which ingest
   * shares to join the incident, keeps a concurrent ingest from joining it meanwhile.
   */
  async resolve(m: EntityManager, incidentId: string | null, digestTaskId: string): Promise<void> {
    const incidents = await m.query<{ id: string; correlation_key: string }[]>(
      `SELECT id, correlation_key FROM incidents WHERE id = $1 OR digest_task_id = $2`,
      [incidentId, digestTaskId],
    );
    if (incidents.length === 0) return;
    // Every key at once, in the global order ingest uses too: a digest of 500 incidents is one statement, not 500.
    await m.query(advisoryLocksSql(incidents.map((i) => correlationLock(i.correlation_key))));
    await m.query(
      `UPDATE incidents SET status = 'resolved', resolved_at = now(),
         correlation_closed_at = coalesce(correlation_closed_at, now()), updated_at = now()
       WHERE id = ANY($1::uuid[])`,
      [incidents.map((i) => i.id)],
    );
  }

  /**
   * The incident's alerts, firing and resolved, under its correlation lock: no alert can join it
   * until the caller's transaction ends, so a task resolved on these counts resolves what they saw.
   */
  async lockedAlertCounts(m: EntityManager, incidentId: string): Promise<AlertCounts> {
    const [incident] = await m.query<{ correlation_key: string }[]>(`SELECT correlation_key FROM incidents WHERE id = $1`, [incidentId]);
    if (!incident) return { firing: 0, resolved: 0 };
    await m.query(advisoryLocksSql([correlationLock(incident.correlation_key)]));
    const [counts] = await m.query<AlertCountsRow[]>(`SELECT ${alertCountsSql('$1::uuid')}`, [incidentId]);
    return { firing: counts.firing_alerts, resolved: counts.resolved_alerts };
  }

  async close(m: EntityManager, incidentId: string): Promise<void> {
    await m.query(`UPDATE incidents SET status = 'closed', updated_at = now() WHERE id = $1`, [incidentId]);
  }

  /** The oldest open `batch` incidents not yet in a digest. */
  async awaitingDigest(m: EntityManager, limit: number): Promise<DigestCandidate[]> {
    return m.query<DigestCandidate[]>(
      `SELECT id, priority, assign_role, types, alert_count FROM incidents
        WHERE action = 'batch' AND digest_task_id IS NULL AND status = 'open'
        ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }

  async attachToDigest(m: EntityManager, incidentIds: string[], taskId: string): Promise<void> {
    await m.query(`UPDATE incidents SET digest_task_id = $1, updated_at = now() WHERE id = ANY($2::uuid[])`, [taskId, incidentIds]);
  }
}
