/**
 * `warden evidence verify`: recomputes every hash of one incident's evidence chain, of every
 * incident's, or of an exported file. The command wiring (commander) lives in src/cli/warden.ts;
 * this is the logic, returning what to print and whether everything held.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { ChainCheck, ChainProblem, CutSummary, cutOf, StoredBundle, storedText, verifyChain } from './evidence';
import { EvidenceService, EvidenceVerdict, EXPORT_FORMAT } from './evidence.service';

export interface VerifyEvidenceOptions {
  incidentId?: string;
  all?: boolean;
  file?: string;
}

export interface VerifyEvidenceDeps {
  /** Runs work against the database and closes it (the CLI's `withDatabase`); needed for an incident or --all. */
  withDatabase?: <T>(work: (ds: DataSource) => Promise<T>) => Promise<T>;
  /** Opens the exported file; defaults to the file system. */
  openFile?: (path: string) => Readable;
}

export interface VerifyEvidenceResult {
  ok: boolean;
  lines: string[];
}

/** Bad options: the CLI prints the message as a usage error. */
export class EvidenceVerifyUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceVerifyUsageError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function verifyEvidenceCommand(opts: VerifyEvidenceOptions, deps: VerifyEvidenceDeps = {}): Promise<VerifyEvidenceResult> {
  const given = [opts.incidentId !== undefined, opts.all === true, opts.file !== undefined].filter(Boolean).length;
  if (given !== 1) throw new EvidenceVerifyUsageError('give exactly one of --incident <id>, --all or --file <file>');
  if (opts.incidentId !== undefined && !UUID.test(opts.incidentId)) {
    throw new EvidenceVerifyUsageError('--incident: must be an incident id (a UUID)');
  }

  if (opts.file !== undefined) return verifyFile(opts.file, deps.openFile ?? ((path) => createReadStream(path)));

  if (!deps.withDatabase) throw new Error('verifyEvidenceCommand: a database is needed for --incident and --all');
  const verdicts = await deps.withDatabase(async (ds) => {
    const evidence = new EvidenceService(ds, new AuditService(ds));
    if (opts.incidentId === undefined) return evidence.verifyAll();
    const one = await evidence.verify(opts.incidentId);
    return one ? [one] : null;
  });
  if (verdicts === null) return { ok: false, lines: [`incident ${opts.incidentId}: no such incident`] };

  const lines = verdicts.flatMap(verdictLines);
  const bad = verdicts.filter((v) => !v.ok).length;
  if (opts.all) lines.push(`verified ${verdicts.length} incident(s): ${verdicts.length - bad} intact, ${bad} with problems`);
  return { ok: bad === 0, lines };
}

function verdictLines(v: EvidenceVerdict): string[] {
  const head = `incident ${v.incidentId}: ${v.bundles} bundle(s), ${v.sealed} sealed in the audit log`;
  const cut = (v.cut ?? []).map((c) => cutLine(c.seq, c.cut));
  if (v.ok) return [`${head}: intact`, ...cut];
  return [`${head}: ${v.problems.length} problem(s)`, ...v.problems.map(problemLine), ...cut];
}

const problemLine = (p: ChainProblem) => `  bundle seq ${p.seq}${p.item !== undefined ? ` item ${p.item}` : ''}: ${p.message}`;

/** A verified bundle that its caps cut: intact, and still not all there was. */
const cutLine = (seq: number, { truncated, dropped }: CutSummary) =>
  `  bundle seq ${seq} is partial by its caps: ${truncated.items} item(s) cut (${truncated.bytes} bytes left out), ` +
  `${dropped.items} item(s) dropped (${dropped.bytes} bytes); its manifest names each`;

/** One NDJSON line of the export (GET /v1/incidents/{id}/evidence); unknown fields are ignored. */
const lineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('export'), format: z.string(), incidentId: z.string(), bundles: z.number().int() }),
  z.object({
    type: z.literal('bundle'),
    seq: z.number().int(),
    manifest: z.unknown(),
    manifestText: z.string().optional(),
    manifestHash: z.string(),
    previousHash: z.string().nullable(),
  }),
  z.object({
    type: z.literal('item'),
    seq: z.number().int(),
    n: z.number().int(),
    kind: z.string(),
    ref: z.string().nullable(),
    sha256: z.string(),
    content: z.unknown(),
    contentText: z.string().optional(),
  }),
  z.object({ type: z.literal('end'), bundles: z.number().int(), items: z.number().int() }),
]);

// A member missing from the file has no text; the empty text then fails its hash, naming the place.
const textOf = (value: unknown, exact?: string): string => (exact === undefined && value === undefined ? '' : storedText(value, exact));

const issuesOf = (error: z.ZodError) => error.issues.map((i) => `/${i.path.map(String).join('/')}: ${i.message}`).join('; ');

/**
 * From the file alone: item and manifest hashes, links and seq. The file carries no audit log,
 * so it cannot show that its newest bundle was dropped: the head's hash is printed to compare
 * with the one the audit log sealed (or with `warden evidence verify --incident`). An NDJSON
 * export is read a line at a time, so a file of any size verifies in bounded memory; a JSON
 * document (the export's shape before NDJSON) is read whole.
 */
async function verifyFile(path: string, openFile: (path: string) => Readable): Promise<VerifyEvidenceResult> {
  const input = openFile(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const problems: string[] = [];
  const check = new ChainCheck();
  const cut: string[] = [];
  let incidentId: string | null = null;
  let open: number | null = null;
  let newest: { seq: number; manifestHash: string } | null = null;
  const read = { bundles: 0, items: 0 };
  let end: { bundles: number; items: number } | null = null;
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      if (number === 1 && !isExportHeader(text)) {
        lines.close();
        return verifyJsonFile(path);
      }
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        problems.push(`  line ${number}: not JSON: ${(err as Error).message}`);
        continue;
      }
      const result = lineSchema.safeParse(parsed);
      if (!result.success) {
        problems.push(`  line ${number}: not an evidence export line: ${issuesOf(result.error)}`);
        continue;
      }
      const line = result.data;
      if (end) problems.push(`  line ${number}: comes after the end line`);
      switch (line.type) {
        case 'export':
          if (incidentId !== null) problems.push(`  line ${number}: a second export line`);
          else incidentId = line.incidentId;
          break;
        case 'bundle': {
          const manifest = textOf(line.manifest, line.manifestText);
          check.bundle({
            seq: line.seq,
            incidentId: incidentId ?? undefined,
            manifest,
            manifestHash: line.manifestHash,
            previousHash: line.previousHash,
          });
          const bundleCut = cutOf(manifest);
          if (bundleCut) cut.push(cutLine(line.seq, bundleCut));
          if (!newest || line.seq > newest.seq) newest = { seq: line.seq, manifestHash: line.manifestHash };
          open = line.seq;
          read.bundles++;
          break;
        }
        case 'item':
          read.items++;
          if (line.seq !== open) {
            problems.push(`  line ${number}: item ${line.n} of bundle seq ${line.seq} is not among that bundle's lines`);
            break;
          }
          check.item({ n: line.n, kind: line.kind, ref: line.ref, sha256: line.sha256, content: textOf(line.content, line.contentText) });
          break;
        case 'end':
          end = { bundles: line.bundles, items: line.items };
          break;
      }
    }
  } catch (err) {
    return { ok: false, lines: [`file ${path}: cannot be read: ${(err as Error).message}`] };
  } finally {
    input.destroy();
  }
  if (number === 0) return { ok: false, lines: [`file ${path}: empty, not an evidence export`] };
  if (!end) problems.push('  the export has no end line: it was cut short');
  else if (end.bundles !== read.bundles || end.items !== read.items) {
    problems.push(
      `  the end line counts ${end.bundles} bundle(s) and ${end.items} item(s); the file holds ${read.bundles} and ${read.items}`,
    );
  }
  const verdict = check.finish(null);
  return fileResult(path, incidentId ?? '?', read.bundles, newest, [...verdict.problems.map(problemLine), ...problems], cut);
}

function isExportHeader(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { type?: unknown; format?: unknown };
    return parsed?.type === 'export' && parsed.format === EXPORT_FORMAT;
  } catch {
    return false;
  }
}

function fileResult(
  path: string,
  incidentId: string,
  bundles: number,
  newest: { seq: number; manifestHash: string } | null,
  problems: string[],
  cut: string[],
): VerifyEvidenceResult {
  const head = `file ${path}: incident ${incidentId}, ${bundles} bundle(s)`;
  const anchor = newest
    ? `  newest bundle seq ${newest.seq}, manifest hash ${newest.manifestHash}: compare with the audit log's evidence.bundle_sealed entries`
    : '  no bundles';
  if (problems.length === 0) return { ok: true, lines: [`${head}: intact`, ...cut, anchor] };
  return { ok: false, lines: [`${head}: ${problems.length} problem(s)`, ...problems, ...cut, anchor] };
}

/** The JSON document an export was before NDJSON: `{ incidentId, bundles: [{ …, items: [...] }] }`. */
const exportSchema = z.object({
  incidentId: z.string(),
  bundles: z.array(
    z.object({
      seq: z.number().int(),
      manifest: z.unknown(),
      manifestText: z.string().optional(),
      manifestHash: z.string(),
      previousHash: z.string().nullable(),
      items: z.array(
        z.object({
          n: z.number().int(),
          kind: z.string(),
          ref: z.string().nullable(),
          sha256: z.string(),
          content: z.unknown(),
          contentText: z.string().optional(),
        }),
      ),
    }),
  ),
});

function verifyJsonFile(path: string): VerifyEvidenceResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, lines: [`file ${path}: neither an NDJSON evidence export nor JSON: ${(err as Error).message}`] };
  }
  const result = exportSchema.safeParse(parsed);
  if (!result.success) {
    return {
      ok: false,
      lines: [
        `file ${path}: not an evidence export`,
        ...result.error.issues.map((i) => `  /${i.path.map(String).join('/')}: ${i.message}`),
      ],
    };
  }
  const exported = result.data;
  const bundles: StoredBundle[] = exported.bundles.map((b) => ({
    seq: b.seq,
    incidentId: exported.incidentId,
    manifest: textOf(b.manifest, b.manifestText),
    manifestHash: b.manifestHash,
    previousHash: b.previousHash,
    items: b.items.map((i) => ({ n: i.n, kind: i.kind, ref: i.ref, sha256: i.sha256, content: textOf(i.content, i.contentText) })),
  }));
  const verdict = verifyChain(bundles, null);
  const newest = [...bundles].sort((a, b) => b.seq - a.seq)[0] ?? null;
  const cut = bundles.flatMap((b) => {
    const c = cutOf(b.manifest);
    return c ? [cutLine(b.seq, c)] : [];
  });
  return fileResult(path, exported.incidentId, bundles.length, newest, verdict.problems.map(problemLine), cut);
}
