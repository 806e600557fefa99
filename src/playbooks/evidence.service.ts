import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, readTimeline } from '../audit/audit.service';
import { storedAlertColumns, toStoredAlertView, type StoredAlertRow } from '../correlation/alert-view';
import { advisoryLocksSql } from '../database/locks';
import {
  buildManifest,
  canonicalJson,
  ChainProblem,
  EvidenceKind,
  exportedText,
  ManifestItem,
  RELATED_BY,
  RelatedBy,
  SealedBundle,
  sha256Hex,
  StoredBundle,
  verifyChain,
} from './evidence';
import type { Columns } from '../database/rows';

/** The audit action that seals a bundle; verification reads these back. */
export const EVIDENCE_SEALED_ACTION = 'evidence.bundle_sealed';

/** Most items of one kind a bundle holds; the manifest records how many more there were. */
export const EVIDENCE_CAP = 5_000;

/** The widest related-alert window a step may ask for: 30 days. */
const MAX_WINDOW_SECONDS = 30 * 24 * 3600;

export interface CollectEvidence {
  incidentId: string;
  runId: string;
  stepId: string;
  windowSeconds: number;
  relatedBy: RelatedBy[];
}

/** What a `collect_evidence` step outputs. */
export interface CollectedEvidence {
  bundleId: string;
  seq: number;
  manifestHash: string;
  items: number;
}

export interface ExportedItem {
  n: number;
  kind: string;
  ref: string | null;
  sha256: string;
  content: unknown;
  /** The stored text, only when `content` re-encoded would not give it back (it was edited, or is not JSON). */
  contentText?: string;
}

export interface ExportedBundle {
  seq: number;
  bundleId: string;
  runId: string | null;
  stepId: string | null;
  createdAt: string;
  manifest: unknown;
  /** The stored manifest text, only when `manifest` re-encoded would not give it back. */
  manifestText?: string;
  manifestHash: string;
  previousHash: string | null;
  items: ExportedItem[];
}

export interface EvidenceExport {
  incidentId: string;
  bundles: ExportedBundle[];
}

export interface EvidenceVerdict {
  incidentId: string;
  bundles: number;
  /** How many bundles the audit log recorded as sealed. */
  sealed: number;
  ok: boolean;
  problems: ChainProblem[];
}

/** The incident asked for does not exist: a permanent failure, retrying cannot help. */
export class UnknownIncidentError extends Error {
  constructor(readonly incidentId: string) {
    super(`No incident ${incidentId}.`);
    this.name = 'UnknownIncidentError';
  }
}

type IncidentRow = Columns<'incidents', 'id' | 'source_ip' | 'user' | 'host' | 'first_seen_at' | 'last_seen_at' | 'digest_task_id'> & {
  now: Date;
};

type BundleSummaryRow = Columns<'evidence_bundles', 'id' | 'incident_id' | 'seq' | 'manifest_hash'> & { items: number };

type HeadRow = Columns<'evidence_bundles', 'seq' | 'manifest_hash'>;

interface CountRow {
  n: number;
}

type BundleRow = Columns<
  'evidence_bundles',
  'id' | 'seq' | 'run_id' | 'step_id' | 'manifest' | 'manifest_hash' | 'previous_hash' | 'created_at'
>;

type ItemRow = Columns<'evidence_items', 'bundle_id' | 'n' | 'kind' | 'ref' | 'content' | 'sha256'>;

interface SealedRow {
  seq: number | null;
  manifest_hash: string | null;
}

/** `RETURNING id` of evidence_bundles, `SELECT id` of incidents. */
type IdRow = Columns<'evidence_bundles', 'id'> & Columns<'incidents', 'id'>;

const ALERT_COLUMNS = storedAlertColumns('alerts');

/** An alert as evidence: every stored field (StoredAlertView), the raw payload as the monitor sent it. */
const alertContent = (a: StoredAlertRow) => canonicalJson(toStoredAlertView(a));

interface PendingItem {
  kind: EvidenceKind;
  ref: string | null;
  content: string;
}

/**
 * Evidence bundles: collected under the incident's evidence lock, sealed by an audit entry in
 * the same transaction, exported for analysts and verified against the append-only audit log.
 */
@Injectable()
export class EvidenceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Seals the next bundle of the incident; a retry of the same run and step returns the bundle it sealed. */
  async collect(input: CollectEvidence): Promise<CollectedEvidence> {
    const windowSeconds = checkedWindow(input.windowSeconds);
    const relatedBy = [...new Set(input.relatedBy)].filter((r): r is RelatedBy => (RELATED_BY as readonly string[]).includes(r));
    const already = await this.sealedFor(this.dataSource.manager, input);
    if (already) return already;

    return this.dataSource.transaction(async (m) => {
      await m.query(advisoryLocksSql([`evidence:${input.incidentId}`]));
      // Under the lock: a concurrent retry may have sealed it while this one waited.
      const sealed = await this.sealedFor(m, input);
      if (sealed) return sealed;

      const [incident] = await m.query<IncidentRow[]>(
        `SELECT id, source_ip, "user", host, first_seen_at, last_seen_at, digest_task_id, now() AS now FROM incidents WHERE id = $1`,
        [input.incidentId],
      );
      if (!incident) throw new UnknownIncidentError(input.incidentId);
      const head = await this.head(m, input.incidentId);

      const { items, omitted } = await this.gather(m, incident, windowSeconds, relatedBy);
      const manifestItems: ManifestItem[] = items.map((item, i) => ({
        n: i + 1,
        kind: item.kind,
        ref: item.ref,
        sha256: sha256Hex(item.content),
        bytes: Buffer.byteLength(item.content, 'utf8'),
      }));
      const seq = (head?.seq ?? 0) + 1;
      const previousHash = head?.manifest_hash ?? null;
      const createdAt = new Date(incident.now).toISOString();
      const { manifest, manifestHash } = buildManifest({
        incidentId: input.incidentId,
        seq,
        runId: input.runId,
        stepId: input.stepId,
        createdAt,
        previousHash,
        items: manifestItems,
        criteria: { windowSeconds, relatedBy },
        omitted,
      });

      const [bundle] = await m.query<IdRow[]>(
        `INSERT INTO evidence_bundles (incident_id, seq, run_id, step_id, manifest, manifest_hash, previous_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [input.incidentId, seq, input.runId, input.stepId, manifest, manifestHash, previousHash, createdAt],
      );
      await m.query(
        `INSERT INTO evidence_items (bundle_id, n, kind, ref, content, sha256)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [
          bundle.id,
          manifestItems.map((i) => i.n),
          manifestItems.map((i) => i.kind),
          manifestItems.map((i) => i.ref),
          items.map((i) => i.content),
          manifestItems.map((i) => i.sha256),
        ],
      );
      // The append-only audit log keeps every sealed hash: what lets verify notice a bundle removed later.
      await this.audit.record(
        {
          actor: 'workflow',
          action: EVIDENCE_SEALED_ACTION,
          subjectType: 'incident',
          subjectId: input.incidentId,
          after: { seq, manifestHash, bundleId: bundle.id, runId: input.runId, stepId: input.stepId, items: items.length },
          idempotencyKey: `evidence:${input.incidentId}:${seq}`,
        },
        m,
      );
      return { bundleId: bundle.id, seq, manifestHash, items: items.length };
    });
  }

  /** Every bundle of the incident with its items, or null when there is no such incident. */
  async export(incidentId: string): Promise<EvidenceExport | null> {
    const [incident] = await this.dataSource.query<IdRow[]>(`SELECT id FROM incidents WHERE id = $1`, [incidentId]);
    if (!incident) return null;
    const bundles = await this.bundles(incidentId);
    return {
      incidentId,
      bundles: bundles.map(({ row, items }) => {
        const manifest = exportedText(row.manifest);
        return {
          seq: row.seq,
          bundleId: row.id,
          runId: row.run_id,
          stepId: row.step_id,
          createdAt: new Date(row.created_at).toISOString(),
          manifest: manifest.value,
          ...(manifest.exact !== undefined ? { manifestText: manifest.exact } : {}),
          manifestHash: row.manifest_hash,
          previousHash: row.previous_hash,
          items: items.map((i) => {
            const content = exportedText(i.content);
            return {
              n: i.n,
              kind: i.kind,
              ref: i.ref,
              sha256: i.sha256,
              content: content.value,
              ...(content.exact !== undefined ? { contentText: content.exact } : {}),
            };
          }),
        };
      }),
    };
  }

  /** Recomputes the incident's chain against the audit log; null when there is no such incident. */
  async verify(incidentId: string): Promise<EvidenceVerdict | null> {
    const [incident] = await this.dataSource.query<IdRow[]>(`SELECT id FROM incidents WHERE id = $1`, [incidentId]);
    if (!incident) return null;
    const bundles = await this.bundles(incidentId);
    const sealed = await this.sealedList(incidentId);
    const stored: StoredBundle[] = bundles.map(({ row, items }) => ({
      seq: row.seq,
      incidentId,
      manifest: row.manifest,
      manifestHash: row.manifest_hash,
      previousHash: row.previous_hash,
      items: items.map((i) => ({ n: i.n, kind: i.kind, ref: i.ref, content: i.content, sha256: i.sha256 })),
    }));
    const verdict = verifyChain(stored, sealed);
    return { incidentId, bundles: stored.length, sealed: sealed.length, ...verdict };
  }

  /**
   * Every incident that has bundles or ever sealed one (so an incident whose bundles were all
   * deleted is still checked), one at a time to bound memory.
   */
  async verifyAll(): Promise<EvidenceVerdict[]> {
    const incidents = await this.dataSource.query<IdRow[]>(
      `SELECT DISTINCT incident_id::text AS id FROM evidence_bundles
       UNION
       SELECT DISTINCT subject_id AS id FROM audit_log WHERE action = $1 AND subject_type = 'incident'
       ORDER BY id`,
      [EVIDENCE_SEALED_ACTION],
    );
    const verdicts: EvidenceVerdict[] = [];
    for (const { id } of incidents) {
      const verdict = await this.verify(id);
      verdicts.push(
        verdict ?? { incidentId: id, bundles: 0, sealed: 0, ok: false, problems: [{ seq: 0, message: `incident ${id} no longer exists` }] },
      );
    }
    return verdicts;
  }

  private async sealedFor(m: EntityManager, input: CollectEvidence): Promise<CollectedEvidence | null> {
    const [row] = await m.query<BundleSummaryRow[]>(
      `SELECT b.id, b.incident_id, b.seq, b.manifest_hash, (SELECT count(*)::int FROM evidence_items i WHERE i.bundle_id = b.id) AS items
         FROM evidence_bundles b WHERE b.run_id = $1 AND b.step_id = $2`,
      [input.runId, input.stepId],
    );
    if (!row) return null;
    if (row.incident_id !== input.incidentId) {
      throw new Error(`Run ${input.runId} step ${input.stepId} sealed evidence for incident ${row.incident_id}, not ${input.incidentId}.`);
    }
    return { bundleId: row.id, seq: row.seq, manifestHash: row.manifest_hash, items: row.items };
  }

  /**
   * The bundle the next one chains to: the newest stored, or the newest the audit log sealed when
   * that one is newer (it was removed), so the gap stays visible instead of being papered over.
   */
  private async head(m: EntityManager, incidentId: string): Promise<HeadRow | undefined> {
    const [stored] = await m.query<HeadRow[]>(
      `SELECT seq, manifest_hash FROM evidence_bundles WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1`,
      [incidentId],
    );
    const [sealed] = await m.query<SealedRow[]>(
      `SELECT (after->>'seq')::int AS seq, after->>'manifestHash' AS manifest_hash FROM audit_log
        WHERE subject_id = $1 AND action = $2 AND subject_type = 'incident'
        ORDER BY (after->>'seq')::int DESC NULLS LAST LIMIT 1`,
      [incidentId, EVIDENCE_SEALED_ACTION],
    );
    if (sealed?.seq != null && sealed.manifest_hash && (!stored || sealed.seq > stored.seq)) {
      return { seq: sealed.seq, manifest_hash: sealed.manifest_hash };
    }
    return stored;
  }

  private async gather(m: EntityManager, incident: IncidentRow, windowSeconds: number, relatedBy: RelatedBy[]) {
    const items: PendingItem[] = [];
    const omitted: Record<EvidenceKind, number> = { alert: 0, related_alert: 0, timeline: 0 };

    // (a) The incident's own alerts, oldest first: how it began matters most.
    // Queries run one after another: they share the transaction's one connection.
    const alerts = await m.query<StoredAlertRow[]>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE incident_id = $1 ORDER BY received_at, id LIMIT $2`,
      [incident.id, EVIDENCE_CAP],
    );
    const [alertCount] = await m.query<CountRow[]>(`SELECT count(*)::int AS n FROM alerts WHERE incident_id = $1`, [incident.id]);
    for (const a of alerts) items.push({ kind: 'alert', ref: a.id, content: alertContent(a) });
    omitted.alert = Math.max(0, alertCount.n - alerts.length);

    // (b) Alerts of other incidents (or none) sharing the incident's IP, user or host around its lifetime.
    const ip = relatedBy.includes('ip') ? incident.source_ip : null;
    const user = relatedBy.includes('user') ? incident.user : null;
    const host = relatedBy.includes('host') ? incident.host : null;
    if (ip !== null || user !== null || host !== null) {
      // One indexed branch per field ((source_ip|user|host, received_at)); OR across them would scan.
      const related = `SELECT id FROM alerts WHERE source_ip = $2::inet AND received_at BETWEEN $5 AND $6
        UNION SELECT id FROM alerts WHERE "user" = $3 AND received_at BETWEEN $5 AND $6
        UNION SELECT id FROM alerts WHERE host = $4 AND received_at BETWEEN $5 AND $6`;
      const from = new Date(new Date(incident.first_seen_at).getTime() - windowSeconds * 1000);
      const to = new Date(new Date(incident.last_seen_at).getTime() + windowSeconds * 1000);
      const params = [incident.id, ip, user, host, from, to];
      const rows = await m.query<StoredAlertRow[]>(
        `SELECT ${ALERT_COLUMNS} FROM alerts WHERE id IN (${related}) AND incident_id IS DISTINCT FROM $1
          ORDER BY received_at, id LIMIT $7`,
        [...params, EVIDENCE_CAP],
      );
      const [count] = await m.query<CountRow[]>(
        `SELECT count(*)::int AS n FROM alerts WHERE id IN (${related}) AND incident_id IS DISTINCT FROM $1`,
        params,
      );
      for (const a of rows) items.push({ kind: 'related_alert', ref: a.id, content: alertContent(a) });
      omitted.related_alert = Math.max(0, count.n - rows.length);
    }

    // (c) The timeline: what the audit log holds for the incident and its tasks, in order (as the incident detail shows it).
    const subjects = [incident.id, ...(await this.taskIds(m, incident))];
    const timeline = await readTimeline(m, subjects, EVIDENCE_CAP);
    const [timelineCount] = await m.query<CountRow[]>(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = ANY($1::text[])`, [
      subjects,
    ]);
    items.push({ kind: 'timeline', ref: incident.id, content: canonicalJson(timeline) });
    omitted.timeline = Math.max(0, timelineCount.n - timeline.length);
    return { items, omitted };
  }

  private async taskIds(m: EntityManager, incident: IncidentRow): Promise<string[]> {
    const rows = await m.query<IdRow[]>(`SELECT id FROM tasks WHERE incident_id = $1 OR id = $2 ORDER BY created_at, id`, [
      incident.id,
      incident.digest_task_id,
    ]);
    return rows.map((r) => r.id);
  }

  private async bundles(incidentId: string): Promise<{ row: BundleRow; items: ItemRow[] }[]> {
    const rows = await this.dataSource.query<BundleRow[]>(
      `SELECT id, seq, run_id, step_id, manifest, manifest_hash, previous_hash, created_at FROM evidence_bundles
        WHERE incident_id = $1 ORDER BY seq`,
      [incidentId],
    );
    if (rows.length === 0) return [];
    const items = await this.dataSource.query<ItemRow[]>(
      `SELECT bundle_id, n, kind, ref, content, sha256 FROM evidence_items WHERE bundle_id = ANY($1::uuid[]) ORDER BY n`,
      [rows.map((r) => r.id)],
    );
    const byBundle = new Map<string, ItemRow[]>(rows.map((r) => [r.id, []]));
    for (const item of items) byBundle.get(item.bundle_id)?.push(item);
    return rows.map((row) => ({ row, items: byBundle.get(row.id) ?? [] }));
  }

  private async sealedList(incidentId: string): Promise<SealedBundle[]> {
    const rows = await this.dataSource.query<SealedRow[]>(
      `SELECT (after->>'seq')::int AS seq, after->>'manifestHash' AS manifest_hash FROM audit_log
        WHERE subject_id = $1 AND action = $2 AND subject_type = 'incident' ORDER BY id`,
      [incidentId, EVIDENCE_SEALED_ACTION],
    );
    const sealed: SealedBundle[] = [];
    for (const r of rows) if (r.seq !== null && r.manifest_hash !== null) sealed.push({ seq: r.seq, manifestHash: r.manifest_hash });
    return sealed;
  }
}

function checkedWindow(windowSeconds: number): number {
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > MAX_WINDOW_SECONDS) {
    throw new RangeError(`windowSeconds must be a whole number of seconds from 0 to ${MAX_WINDOW_SECONDS}; got ${windowSeconds}`);
  }
  return windowSeconds;
}
