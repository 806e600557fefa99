import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, readTimeline } from '../audit/audit.service';
import { alertViewColumns, toStoredAlertView, type StoredAlertRow } from '../correlation/alert-view';
import { advisoryLocksSql } from '../database/locks';
import {
  buildManifest,
  ChainCheck,
  cutOf,
  ChainProblem,
  CutSummary,
  EvidenceCaps,
  EvidenceKind,
  exportedMembers,
  ManifestItem,
  RELATED_BY,
  RelatedBy,
  SealedBundle,
  sha256Hex,
} from './evidence';
import { BundleFill, evidenceCaps, FittedItem, fitAlert, fitTimeline, RawPayload } from './evidence-caps';
import type { Columns } from '../database/rows';

/** The audit action that seals a bundle; verification reads these back. */
export const EVIDENCE_SEALED_ACTION = 'evidence.bundle_sealed';

/** The widest related-alert window a step may ask for: 30 days. */
const MAX_WINDOW_SECONDS = 30 * 24 * 3600;

/**
 * How much is read at once, so memory stays bounded whatever an incident holds: alerts are
 * fetched from a cursor this many rows at a time (each row's payload is at most maxItemBytes,
 * larger ones are not read), items are written this many at a time, and stored items are read
 * back in pages of up to this many rows and about this many bytes.
 */
const ALERT_PAGE_ROWS = 200;
const ITEM_PAGE_ROWS = 500;
const ITEM_PAGE_BYTES = 4 * 1024 * 1024;

export interface CollectEvidence {
  incidentId: string;
  runId: string;
  stepId: string;
  windowSeconds: number;
  relatedBy: RelatedBy[];
  /** What is not given takes DEFAULT_EVIDENCE_CAPS. */
  caps?: Partial<EvidenceCaps>;
}

/** What a `collect_evidence` step outputs. */
export interface CollectedEvidence {
  bundleId: string;
  seq: number;
  manifestHash: string;
  items: number;
}

/**
 * The export (`GET /v1/incidents/{id}/evidence`) is NDJSON, one of these per line: `export`
 * first, then each bundle's line followed by its items' lines, then `end`. A file without its
 * `end` line was cut short.
 */
export const EXPORT_FORMAT = 'warden-evidence-ndjson/1';

export interface ExportHeaderLine {
  type: 'export';
  format: typeof EXPORT_FORMAT;
  incidentId: string;
  bundles: number;
}

export interface ExportBundleLine {
  type: 'bundle';
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
}

export interface ExportItemLine {
  type: 'item';
  /** The bundle it belongs to: the one whose line came last. */
  seq: number;
  n: number;
  kind: string;
  ref: string | null;
  sha256: string;
  content: unknown;
  /** The stored text, only when `content` re-encoded would not give it back (it was edited, or is not JSON). */
  contentText?: string;
}

export interface ExportEndLine {
  type: 'end';
  bundles: number;
  items: number;
}

export type ExportLine = ExportHeaderLine | ExportBundleLine | ExportItemLine | ExportEndLine;

export interface EvidenceVerdict {
  incidentId: string;
  bundles: number;
  /** How many bundles the audit log recorded as sealed. */
  sealed: number;
  ok: boolean;
  problems: ChainProblem[];
  /** Bundles the caps cut, by seq (what their manifests say), for the reader to know the evidence is partial. */
  cut?: { seq: number; cut: CutSummary }[];
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

/** A bundle without its manifest (read one at a time, when its turn comes). */
type BundleRow = Columns<'evidence_bundles', 'id' | 'seq' | 'run_id' | 'step_id' | 'manifest_hash' | 'previous_hash' | 'created_at'>;

type ManifestRow = Columns<'evidence_bundles', 'manifest'>;

type ItemRow = Columns<'evidence_items', 'n' | 'kind' | 'ref' | 'content' | 'sha256'>;

interface SealedRow {
  seq: number | null;
  manifest_hash: string | null;
}

/** `RETURNING id` of evidence_bundles, `SELECT id` of incidents. */
type IdRow = Columns<'evidence_bundles', 'id'> & Columns<'incidents', 'id'>;

/** An alert as the evidence cursor reads it: every stored field but the payload, which comes as text only when it is small enough. */
type EvidenceAlertRow = Omit<StoredAlertRow, 'raw'> & { raw_text: string | null; raw_bytes: number; raw_sha256: string | null };

/**
 * Every stored field of alias `a`, and its payload (`raw::text` as the database renders it, from
 * the lateral `r`) only when at most the parameter `maxItemBytes` names: a larger one is cut
 * anyway, so only its length and hash are read.
 */
const evidenceAlertColumns = (maxItemBytes: string) =>
  `${alertViewColumns('a')}, a.external_id, a.tags, a.fingerprint, a.duplicate_of, a.action,
   CASE WHEN octet_length(r.text) <= ${maxItemBytes} THEN r.text END AS raw_text,
   octet_length(r.text) AS raw_bytes,
   CASE WHEN octet_length(r.text) > ${maxItemBytes} THEN encode(sha256(convert_to(r.text, 'UTF8')), 'hex') END AS raw_sha256`;

/** The payload's text for evidenceAlertColumns; a missing payload is JSON null, as the alert view shows it. */
const RAW_TEXT = `CROSS JOIN LATERAL (SELECT coalesce(a.raw, 'null'::jsonb)::text AS text) r`;

/** An alert as evidence: every stored field (StoredAlertView), the raw payload as the monitor sent it, cut to maxItemBytes. */
function alertItem(row: EvidenceAlertRow, maxItemBytes: number): FittedItem {
  const { raw_text, raw_bytes, raw_sha256, ...stored } = row;
  const { raw: _raw, ...view } = toStoredAlertView({ ...stored, raw: null });
  const raw: RawPayload = raw_text !== null ? { text: raw_text } : { unread: { bytes: raw_bytes, sha256: raw_sha256 ?? '' } };
  return fitAlert(view, raw, maxItemBytes);
}

/**
 * Writes a bundle's kept items a page at a time and keeps only their manifest entries, so
 * sealing a bundle of any size holds one page of contents in memory.
 */
class ItemWriter {
  readonly entries: ManifestItem[] = [];
  private page: { entry: ManifestItem; content: string }[] = [];

  constructor(
    private readonly m: EntityManager,
    private readonly bundleId: string,
  ) {}

  async add(kind: EvidenceKind, ref: string | null, item: FittedItem): Promise<void> {
    const entry: ManifestItem = {
      n: this.entries.length + 1,
      kind,
      ref,
      sha256: sha256Hex(item.content),
      bytes: item.bytes,
      cut: item.cut,
    };
    this.entries.push(entry);
    this.page.push({ entry, content: item.content });
    if (this.page.length >= ITEM_PAGE_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.page.length === 0) return;
    const page = this.page;
    this.page = [];
    await this.m.query(
      `INSERT INTO evidence_items (bundle_id, n, kind, ref, content, sha256)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        this.bundleId,
        page.map((p) => p.entry.n),
        page.map((p) => p.entry.kind),
        page.map((p) => p.entry.ref),
        page.map((p) => p.content),
        page.map((p) => p.entry.sha256),
      ],
    );
  }
}

/**
 * Evidence bundles: collected under the incident's evidence lock, sealed by an audit entry in
 * the same transaction, exported for analysts and verified against the append-only audit log.
 * Every path reads and writes in bounded pages, so neither the worker sealing a storm's bundle
 * nor the api exporting it holds more than a page at a time.
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
    const caps = evidenceCaps(input.caps);
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
      const seq = (head?.seq ?? 0) + 1;
      const previousHash = head?.manifest_hash ?? null;
      const createdAt = new Date(incident.now).toISOString();

      // The row first, so items can be written page by page; its manifest once every item's hash is known (same transaction).
      const [bundle] = await m.query<IdRow[]>(
        `INSERT INTO evidence_bundles (incident_id, seq, run_id, step_id, manifest, manifest_hash, previous_hash, created_at)
         VALUES ($1, $2, $3, $4, '', '', $5, $6) RETURNING id`,
        [input.incidentId, seq, input.runId, input.stepId, previousHash, createdAt],
      );
      const items = new ItemWriter(m, bundle.id);
      const { omitted, cut } = await this.gather(m, incident, windowSeconds, relatedBy, caps, items);
      const { manifest, manifestHash } = buildManifest({
        incidentId: input.incidentId,
        seq,
        runId: input.runId,
        stepId: input.stepId,
        createdAt,
        previousHash,
        items: items.entries,
        criteria: { windowSeconds, relatedBy },
        omitted,
        caps,
        cut,
      });
      await m.query(`UPDATE evidence_bundles SET manifest = $2, manifest_hash = $3 WHERE id = $1`, [bundle.id, manifest, manifestHash]);

      const count = items.entries.length;
      // The append-only audit log keeps every sealed hash: what lets verify notice a bundle removed later.
      await this.audit.record(
        {
          actor: 'workflow',
          action: EVIDENCE_SEALED_ACTION,
          subjectType: 'incident',
          subjectId: input.incidentId,
          after: { seq, manifestHash, bundleId: bundle.id, runId: input.runId, stepId: input.stepId, items: count },
          idempotencyKey: `evidence:${input.incidentId}:${seq}`,
        },
        m,
      );
      return { bundleId: bundle.id, seq, manifestHash, items: count };
    });
  }

  /**
   * The incident's export as NDJSON text, or null when there is no such incident. It is produced
   * as the reader takes it (one bundle's manifest and one page of items at a time, each page its
   * own query), so a slow client holds no database connection between pages.
   */
  async export(incidentId: string): Promise<AsyncIterable<string> | null> {
    const [incident] = await this.dataSource.query<IdRow[]>(`SELECT id FROM incidents WHERE id = $1`, [incidentId]);
    if (!incident) return null;
    const bundles = await this.bundleRows(incidentId);
    return this.exportLines(incidentId, bundles);
  }

  private async *exportLines(incidentId: string, bundles: BundleRow[]): AsyncGenerator<string> {
    const line = (l: ExportLine) => `${JSON.stringify(l)}\n`;
    /** A line whose last members (the manifest, an item's content) are JSON text already. */
    const lineWith = (l: Partial<ExportLine>, members: string) => `${JSON.stringify(l).slice(0, -1)},${members}}\n`;
    yield line({ type: 'export', format: EXPORT_FORMAT, incidentId, bundles: bundles.length });
    let items = 0;
    for (const row of bundles) {
      const head: Omit<ExportBundleLine, 'manifest' | 'manifestText'> = {
        type: 'bundle',
        seq: row.seq,
        bundleId: row.id,
        runId: row.run_id,
        stepId: row.step_id,
        createdAt: new Date(row.created_at).toISOString(),
        manifestHash: row.manifest_hash,
        previousHash: row.previous_hash,
      };
      yield lineWith(head, exportedMembers('manifest', 'manifestText', await this.manifestOf(row.id), row.manifest_hash));
      for await (const page of this.itemPages(row.id)) {
        // One chunk per page: fewer, larger writes; the stream still waits for the client between pages.
        yield page
          .map((i) =>
            lineWith(
              { type: 'item', seq: row.seq, n: i.n, kind: i.kind, ref: i.ref, sha256: i.sha256 },
              exportedMembers('content', 'contentText', i.content, i.sha256),
            ),
          )
          .join('');
        items += page.length;
      }
    }
    yield line({ type: 'end', bundles: bundles.length, items });
  }

  /** Recomputes the incident's chain against the audit log, a page at a time; null when there is no such incident. */
  async verify(incidentId: string): Promise<EvidenceVerdict | null> {
    const [incident] = await this.dataSource.query<IdRow[]>(`SELECT id FROM incidents WHERE id = $1`, [incidentId]);
    if (!incident) return null;
    const bundles = await this.bundleRows(incidentId);
    const sealed = await this.sealedList(incidentId);
    const check = new ChainCheck();
    const cut: { seq: number; cut: CutSummary }[] = [];
    for (const row of bundles) {
      const manifest = await this.manifestOf(row.id);
      check.bundle({ seq: row.seq, incidentId, manifest, manifestHash: row.manifest_hash, previousHash: row.previous_hash });
      const bundleCut = cutOf(manifest);
      if (bundleCut) cut.push({ seq: row.seq, cut: bundleCut });
      for await (const page of this.itemPages(row.id)) for (const i of page) check.item(i);
    }
    const verdict = check.finish(sealed);
    return { incidentId, bundles: bundles.length, sealed: sealed.length, ...verdict, ...(cut.length ? { cut } : {}) };
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

  /**
   * Reads what the bundle keeps and writes it through `items`, in item order: the incident's
   * alerts, the related alerts, the timeline. The timeline is read first and its room set aside,
   * so however many alerts a storm brings, the bundle still holds the incident's history.
   */
  private async gather(
    m: EntityManager,
    incident: IncidentRow,
    windowSeconds: number,
    relatedBy: RelatedBy[],
    caps: EvidenceCaps,
    items: ItemWriter,
  ): Promise<{ omitted: Record<EvidenceKind, number>; cut: CutSummary }> {
    const omitted: Record<EvidenceKind, number> = { alert: 0, related_alert: 0, timeline: 0 };
    // Queries run one after another: they share the transaction's one connection.

    // (c) The timeline: what the audit log holds for the incident and its tasks, in order (as the incident detail shows it).
    const subjects = [incident.id, ...(await this.taskIds(m, incident))];
    const timeline = await readTimeline(m, subjects, caps.maxItems);
    const [timelineCount] = await m.query<CountRow[]>(`SELECT count(*)::int AS n FROM audit_log WHERE subject_id = ANY($1::text[])`, [
      subjects,
    ]);
    omitted.timeline = Math.max(0, timelineCount.n - timeline.length);
    const timelineItem = fitTimeline(timeline, caps.maxItemBytes);
    const fill = new BundleFill(caps, timelineItem.bytes);
    const offer = async (kind: EvidenceKind, ref: string | null, item: FittedItem, fromReserve = false) => {
      if (fill.offer(kind, ref, item, fromReserve)) await items.add(kind, ref, item);
    };

    // (a) The incident's own alerts, oldest first: how it began matters most.
    const alerts = await this.eachAlert(
      m,
      `SELECT id, received_at FROM alerts WHERE incident_id = $1 ORDER BY received_at, id LIMIT $2`,
      [incident.id, caps.maxItems],
      caps.maxItemBytes,
      (a) => offer('alert', a.id, alertItem(a, caps.maxItemBytes)),
    );
    const [alertCount] = await m.query<CountRow[]>(`SELECT count(*)::int AS n FROM alerts WHERE incident_id = $1`, [incident.id]);
    omitted.alert = Math.max(0, alertCount.n - alerts);

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
      const read = await this.eachAlert(
        m,
        `SELECT id, received_at FROM alerts WHERE id IN (${related}) AND incident_id IS DISTINCT FROM $1 ORDER BY received_at, id LIMIT $7`,
        [...params, caps.maxItems],
        caps.maxItemBytes,
        (a) => offer('related_alert', a.id, alertItem(a, caps.maxItemBytes)),
      );
      const [count] = await m.query<CountRow[]>(
        `SELECT count(*)::int AS n FROM alerts WHERE id IN (${related}) AND incident_id IS DISTINCT FROM $1`,
        params,
      );
      omitted.related_alert = Math.max(0, count.n - read);
    }

    await offer('timeline', incident.id, timelineItem, true);
    await items.flush();
    return { omitted, cut: fill.summary() };
  }

  /**
   * Visits, in order, the alerts `keys` selects (id and received_at, ordered and limited),
   * fetched from a cursor ALERT_PAGE_ROWS at a time: the sort runs once, over the narrow keys,
   * and no page holds a payload over maxItemBytes. Returns how many were visited.
   */
  private async eachAlert(
    m: EntityManager,
    keys: string,
    params: unknown[],
    maxItemBytes: number,
    visit: (row: EvidenceAlertRow) => Promise<void>,
  ): Promise<number> {
    await m.query(
      `DECLARE evidence_alerts NO SCROLL CURSOR FOR
       SELECT ${evidenceAlertColumns(`$${params.length + 1}`)} FROM (${keys}) k JOIN alerts a ON a.id = k.id ${RAW_TEXT} ORDER BY k.received_at, k.id`,
      [...params, maxItemBytes],
    );
    let visited = 0;
    for (;;) {
      const rows = await m.query<EvidenceAlertRow[]>(`FETCH ${ALERT_PAGE_ROWS} FROM evidence_alerts`);
      for (const row of rows) await visit(row);
      visited += rows.length;
      if (rows.length < ALERT_PAGE_ROWS) break;
    }
    await m.query(`CLOSE evidence_alerts`);
    return visited;
  }

  private async taskIds(m: EntityManager, incident: IncidentRow): Promise<string[]> {
    const rows = await m.query<IdRow[]>(`SELECT id FROM tasks WHERE incident_id = $1 OR id = $2 ORDER BY created_at, id`, [
      incident.id,
      incident.digest_task_id,
    ]);
    return rows.map((r) => r.id);
  }

  /** The incident's bundles in seq order, without their manifests. */
  private bundleRows(incidentId: string): Promise<BundleRow[]> {
    return this.dataSource.query<BundleRow[]>(
      `SELECT id, seq, run_id, step_id, manifest_hash, previous_hash, created_at FROM evidence_bundles WHERE incident_id = $1 ORDER BY seq`,
      [incidentId],
    );
  }

  private async manifestOf(bundleId: string): Promise<string> {
    const [row] = await this.dataSource.query<ManifestRow[]>(`SELECT manifest FROM evidence_bundles WHERE id = $1`, [bundleId]);
    return row?.manifest ?? '';
  }

  /**
   * A bundle's items in n order, a page per query (keyset on the primary key): up to
   * ITEM_PAGE_ROWS rows, and no further row once ITEM_PAGE_BYTES of content came before it, so
   * a page stays small even with items stored before caps existed.
   */
  private async *itemPages(bundleId: string): AsyncGenerator<ItemRow[]> {
    let after = 0;
    for (;;) {
      const page = await this.dataSource.query<ItemRow[]>(
        `SELECT n, kind, ref, content, sha256 FROM (
           SELECT n, kind, ref, content, sha256, sum(octet_length(content)) OVER (ORDER BY n) - octet_length(content) AS before
             FROM evidence_items WHERE bundle_id = $1 AND n > $2 ORDER BY n LIMIT $3) p
          WHERE before < $4 ORDER BY n`,
        [bundleId, after, ITEM_PAGE_ROWS, ITEM_PAGE_BYTES],
      );
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1].n;
    }
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
