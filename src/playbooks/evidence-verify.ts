/**
 * `warden evidence verify`: recomputes every hash of one incident's evidence chain, of every
 * incident's, or of an exported file. The command wiring (commander) lives in src/cli/warden.ts;
 * this is the logic, returning what to print and whether everything held.
 */
import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { AuditService } from '../audit/audit.service';
import { ChainProblem, StoredBundle, storedText, verifyChain } from './evidence';
import { EvidenceService, EvidenceVerdict } from './evidence.service';

export interface VerifyEvidenceOptions {
  incidentId?: string;
  all?: boolean;
  file?: string;
}

export interface VerifyEvidenceDeps {
  /** Runs work against the database and closes it (the CLI's `withDatabase`); needed for an incident or --all. */
  withDatabase?: <T>(work: (ds: DataSource) => Promise<T>) => Promise<T>;
  /** Reads the exported file as UTF-8; defaults to the file system. */
  readFile?: (path: string) => string;
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

  if (opts.file !== undefined) return verifyFile(opts.file, deps.readFile ?? ((path) => readFileSync(path, 'utf8')));

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
  if (v.ok) return [`${head}: intact`];
  return [`${head}: ${v.problems.length} problem(s)`, ...v.problems.map(problemLine)];
}

const problemLine = (p: ChainProblem) => `  bundle seq ${p.seq}${p.item !== undefined ? ` item ${p.item}` : ''}: ${p.message}`;

/** The export's shape (GET /v1/incidents/{id}/evidence); unknown fields are ignored. */
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

/**
 * From the file alone: item and manifest hashes, links and seq. The file carries no audit log,
 * so it cannot show that its newest bundle was dropped: the head's hash is printed to compare
 * with the one the audit log sealed (or with `warden evidence verify --incident`).
 */
// A member missing from the file has no text; the empty text then fails its hash, naming the place.
const textOf = (value: unknown, exact?: string): string => (exact === undefined && value === undefined ? '' : storedText(value, exact));

function verifyFile(path: string, readFile: (path: string) => string): VerifyEvidenceResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(path));
  } catch (err) {
    return { ok: false, lines: [`file ${path}: cannot be read as JSON: ${(err as Error).message}`] };
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
  const newest = [...bundles].sort((a, b) => b.seq - a.seq)[0];
  const head = `file ${path}: incident ${exported.incidentId}, ${bundles.length} bundle(s)`;
  const anchor = newest
    ? `  newest bundle seq ${newest.seq}, manifest hash ${newest.manifestHash}: compare with the audit log's evidence.bundle_sealed entries`
    : '  no bundles';
  if (verdict.ok) return { ok: true, lines: [`${head}: intact`, anchor] };
  return { ok: false, lines: [`${head}: ${verdict.problems.length} problem(s)`, ...verdict.problems.map(problemLine), anchor] };
}
