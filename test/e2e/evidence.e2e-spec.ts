import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { Env, logLevels } from '../../src/common/env';
import { ProblemFilter } from '../../src/common/problem';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { MAX_BODY_BYTES, registerBodyParsers } from '../../src/ingest/body-parsers';
import { canonicalJson, sha256Hex } from '../../src/playbooks/evidence';
import { EvidenceApiModule } from '../../src/playbooks/evidence.controller';
import { CollectedEvidence, EvidenceService } from '../../src/playbooks/evidence.service';
import { verifyEvidenceCommand } from '../../src/playbooks/evidence-verify';
import { client, createKey, RunningApi, testEnv } from '../support/harness';
import { uniqueIp } from '../support/ips';

/**
 * The real api (AppModule) with the evidence routes imported beside it: Nest registers a module
 * once, so this is the same application whether or not AppModule already imports them.
 */
async function startApiWithEvidence(env: Env): Promise<RunningApi> {
  const adapter = new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, forceCloseConnections: 'idle' });
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: class EvidenceE2eModule {}, imports: [AppModule.forRoot(env), EvidenceApiModule] },
    adapter,
    { logger: logLevels(env.LOG_LEVEL), abortOnError: false, bodyParser: false },
  );
  registerBodyParsers(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemFilter());
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

describe('evidence: collection with a chain of custody', () => {
  let env: Env;
  let api: RunningApi;
  let db: DataSource;
  let evidence: EvidenceService;
  let ingest: ReturnType<typeof client>;
  let analyst: ReturnType<typeof client>;
  let dir: string;
  const withDatabase = async <T>(work: (ds: DataSource) => Promise<T>): Promise<T> => work(db);

  beforeAll(async () => {
    env = testEnv();
    api = await startApiWithEvidence(env);
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
    evidence = api.app.get(EvidenceService);
    ingest = client(api.url, await createKey(env, ['ingest'], 'evidence-ingest'));
    analyst = client(api.url, await createKey(env, ['analyst'], 'evidence-analyst'));
    dir = mkdtempSync(join(tmpdir(), 'warden-evidence-'));
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: Record<string, unknown>) => {
    const res = await ingest('POST', '/v1/alerts', { source: 'ids-1', type: 'port_scan', severity: 'medium', title: 'Port scan', ...body });
    expect(res.status).toBe(202);
    return res.body as { alertId: string; incidentId: string };
  };

  /**
   * An incident of three port scans from one IP (correlated by source IP), and one alert of
   * another incident (a privilege escalation, correlated by host) from the same IP: related.
   */
  const seed = async () => {
    const sourceIp = uniqueIp();
    const alerts = [];
    for (let i = 0; i < 3; i++) {
      alerts.push(
        await post({ sourceIp, title: `Port scan ${i}`, raw: { eve: { src_ip: sourceIp, dest_port: 22 + i, note: 'naïve ✓' } } }),
      );
    }
    const related = await post({
      sourceIp,
      type: 'privilege_escalation',
      severity: 'high',
      title: 'sudo to root',
      host: `host-${randomUUID().slice(0, 8)}`,
      raw: { auditd: { exe: '/usr/bin/sudo' } },
    });
    const incidentId = alerts[0].incidentId;
    expect(new Set(alerts.map((a) => a.incidentId))).toEqual(new Set([incidentId]));
    expect(related.incidentId).not.toBe(incidentId);
    return { incidentId, sourceIp, alertIds: alerts.map((a) => a.alertId), relatedId: related.alertId };
  };

  const collect = (incidentId: string, stepId: string, runId = randomUUID()) =>
    evidence.collect({ incidentId, runId, stepId, windowSeconds: 3600, relatedBy: ['ip', 'user', 'host'] });

  /** A seeded incident with `count` bundles. */
  const sealedIncident = async (count: number) => {
    const seeded = await seed();
    const bundles: CollectedEvidence[] = [];
    for (let i = 1; i <= count; i++) bundles.push(await collect(seeded.incidentId, `evidence-${i}`));
    return { ...seeded, bundles };
  };

  const stored = async (incidentId: string) =>
    (await db.query(`SELECT id, seq, manifest_hash, previous_hash FROM evidence_bundles WHERE incident_id = $1 ORDER BY seq`, [
      incidentId,
    ])) as { id: string; seq: number; manifest_hash: string; previous_hash: string | null }[];

  /** The export's NDJSON lines, parsed. */
  const exportLines = async (incidentId: string) => {
    const res = await analyst('GET', `/v1/incidents/${incidentId}/evidence`);
    expect(res.status).toBe(200);
    return {
      res,
      lines: res.text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)) as any[],
    };
  };

  /** The export as one document: each bundle line with its item lines under `items`. */
  const exported = async (incidentId: string) => {
    const { lines } = await exportLines(incidentId);
    const bundles = lines
      .filter((l) => l.type === 'bundle')
      .map((b) => ({ ...b, items: lines.filter((l) => l.type === 'item' && l.seq === b.seq) }));
    return { incidentId: lines[0].incidentId, bundles };
  };

  const writeLines = (file: string, lines: unknown[]) => writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));

  describe('collect', () => {
    it('seals two bundles that chain: seq 1 and 2, the second linking to the first manifest hash', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      expect(await stored(incidentId)).toEqual([
        { id: bundles[0].bundleId, seq: 1, manifest_hash: bundles[0].manifestHash, previous_hash: null },
        { id: bundles[1].bundleId, seq: 2, manifest_hash: bundles[1].manifestHash, previous_hash: bundles[0].manifestHash },
      ]);
    });

    it("gathers the incident's alerts, the related alert and the timeline, one item each", async () => {
      const { incidentId, alertIds, relatedId } = await seed();
      await collect(incidentId, 'evidence-1');
      const second = await collect(incidentId, 'evidence-2');
      const items = (await db.query(`SELECT n, kind, ref FROM evidence_items WHERE bundle_id = $1 ORDER BY n`, [second.bundleId])) as {
        n: number;
        kind: string;
        ref: string;
      }[];
      expect({ count: second.items, items }).toEqual({
        count: 5,
        items: [
          ...alertIds.map((id, i) => ({ n: i + 1, kind: 'alert', ref: id })),
          { n: 4, kind: 'related_alert', ref: relatedId },
          { n: 5, kind: 'timeline', ref: incidentId },
        ],
      });
    });

    it('cuts a payload over max_item_bytes, drops what does not fit, names both in the manifest, and the chain still verifies', async () => {
      const sourceIp = uniqueIp();
      const bigRaw = { payload: 'x'.repeat(6000) };
      const a1 = await post({ sourceIp, title: 'big payload', raw: bigRaw });
      const a2 = await post({ sourceIp, title: 'no room left', description: 'd'.repeat(3000) });
      const a3 = await post({ sourceIp, title: 'small' });
      const a4 = await post({ sourceIp, title: 'over the item cap', description: 'e'.repeat(5000) });
      const incidentId = a1.incidentId;
      const bundle = await evidence.collect({
        incidentId,
        runId: randomUUID(),
        stepId: 'capped',
        windowSeconds: 3600,
        relatedBy: ['ip'],
        caps: { maxItemBytes: 4096, maxBundleBytes: 4096 },
      });
      const [{ manifest }] = (await db.query(`SELECT manifest FROM evidence_bundles WHERE id = $1`, [bundle.bundleId])) as {
        manifest: string;
      }[];
      const parsed = JSON.parse(manifest);
      // The payload's text as PostgreSQL renders jsonb: {"payload": "xxx…"}, 13 + 6,000 + 2 bytes.
      const rawText = `{"payload": "${'x'.repeat(6000)}"}`;
      const rawCut = { path: '/raw', bytes: 6015, sha256: createHash('sha256').update(rawText).digest('hex') };
      expect({
        version: parsed.version,
        caps: parsed.caps,
        items: parsed.items.map((i: any) => [i.kind, i.ref, i.cut ?? null]),
        truncated: parsed.cut.truncated,
        dropped: parsed.cut.dropped.list.map((d: any) => [d.ref, d.reason]),
      }).toEqual({
        version: 2,
        caps: { maxItems: 5000, maxItemBytes: 4096, maxBundleBytes: 4096 },
        items: [
          ['alert', a1.alertId, rawCut],
          ['alert', a3.alertId, null],
          ['timeline', incidentId, null],
        ],
        truncated: { items: 1, bytes: 6015 },
        dropped: [
          [a2.alertId, 'bundle'],
          [a4.alertId, 'item'],
        ],
      });
      const exportedRaw = (await exported(incidentId)).bundles[0].items[0].content.raw;
      const verdict = await verifyEvidenceCommand({ incidentId }, { withDatabase });
      expect({ exportedRaw, verdict }).toEqual({
        exportedRaw: { cut: { bytes: 6015, sha256: rawCut.sha256 } },
        verdict: {
          ok: true,
          lines: [
            `incident ${incidentId}: 1 bundle(s), 1 sealed in the audit log: intact`,
            expect.stringMatching(
              /^ {2}bundle seq 1 is partial by its caps: 1 item\(s\) cut \(6015 bytes left out\), 2 item\(s\) dropped \(\d+ bytes\); its manifest names each$/,
            ),
          ],
        },
      });
    });

    it('returns the bundle already sealed when the same run and step retries', async () => {
      const { incidentId } = await seed();
      const runId = randomUUID();
      const first = await collect(incidentId, 'evidence', runId);
      const retries = await Promise.all([collect(incidentId, 'evidence', runId), collect(incidentId, 'evidence', runId)]);
      expect({ retries, stored: (await stored(incidentId)).length }).toEqual({ retries: [first, first], stored: 1 });
    });

    it('seals concurrent collections of one incident in one unbroken chain', async () => {
      const { incidentId } = await seed();
      await Promise.all([1, 2, 3, 4].map((i) => collect(incidentId, `parallel-${i}`)));
      expect(await evidence.verify(incidentId)).toMatchObject({ bundles: 4, sealed: 4, ok: true });
    });
  });

  describe('GET /v1/incidents/:id/evidence', () => {
    it('exports every bundle over HTTP to an analyst, each item and manifest hash recomputing from the export', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      const body = await exported(incidentId);
      const recomputed = body.bundles.map((b: any) => ({
        seq: b.seq,
        bundleId: b.bundleId,
        manifestHash: sha256Hex(canonicalJson(b.manifest)),
        previousHash: b.previousHash,
        items: b.items.map((i: any) => sha256Hex(canonicalJson(i.content)) === i.sha256 && b.manifest.items[i.n - 1].sha256 === i.sha256),
      }));
      expect(recomputed).toEqual([
        { seq: 1, bundleId: bundles[0].bundleId, manifestHash: bundles[0].manifestHash, previousHash: null, items: Array(5).fill(true) },
        {
          seq: 2,
          bundleId: bundles[1].bundleId,
          manifestHash: bundles[1].manifestHash,
          previousHash: bundles[0].manifestHash,
          items: Array(5).fill(true),
        },
      ]);
    });

    it('answers NDJSON: an export line, each bundle followed by its items, then an end line with the counts', async () => {
      const { incidentId } = await sealedIncident(2);
      const { res, lines } = await exportLines(incidentId);
      expect({
        type: res.headers.get('content-type'),
        lines: lines.map((l) => (l.type === 'item' ? `item ${l.seq}.${l.n}` : l.type === 'bundle' ? `bundle ${l.seq}` : l.type)),
        first: lines[0],
        last: lines[lines.length - 1],
      }).toEqual({
        type: 'application/x-ndjson; charset=utf-8',
        lines: [
          'export',
          'bundle 1',
          'item 1.1',
          'item 1.2',
          'item 1.3',
          'item 1.4',
          'item 1.5',
          'bundle 2',
          'item 2.1',
          'item 2.2',
          'item 2.3',
          'item 2.4',
          'item 2.5',
          'end',
        ],
        first: { type: 'export', format: 'warden-evidence-ndjson/1', incidentId, bundles: 2 },
        last: { type: 'end', bundles: 2, items: 10 },
      });
    });

    it("exports each alert's raw payload and the timeline, which shows the first bundle sealed", async () => {
      const { incidentId, sourceIp } = await sealedIncident(2);
      const [alert, , , , timeline] = (await exported(incidentId)).bundles[1].items;
      expect({ raw: alert.content.raw, timeline: timeline.content.map((e: any) => [e.action, e.after?.seq]) }).toEqual({
        raw: { eve: { src_ip: sourceIp, dest_port: 22, note: 'naïve ✓' } },
        timeline: [['evidence.bundle_sealed', 1]],
      });
    });

    it('answers 404 problem+json naming the id for an unknown incident', async () => {
      const res = await analyst('GET', `/v1/incidents/${randomUUID()}/evidence`);
      expect({ status: res.status, type: res.headers.get('content-type'), errors: res.body.errors }).toEqual({
        status: 404,
        type: 'application/problem+json; charset=utf-8',
        errors: [{ path: 'path:id', message: 'no such incident' }],
      });
    });

    it('answers 400 problem+json naming the id when it is not a UUID', async () => {
      const res = await analyst('GET', `/v1/incidents/not-a-uuid/evidence`);
      expect({ status: res.status, errors: res.body.errors }).toEqual({
        status: 400,
        errors: [{ path: 'path:id', message: 'must be a UUID' }],
      });
    });

    it('answers 403 to a key without the analyst scope', async () => {
      const { incidentId } = await seed();
      expect((await ingest('GET', `/v1/incidents/${incidentId}/evidence`)).status).toBe(403);
    });
  });

  describe('verify', () => {
    it('finds an untouched chain intact, against the database', async () => {
      const { incidentId } = await sealedIncident(2);
      expect(await verifyEvidenceCommand({ incidentId }, { withDatabase })).toEqual({
        ok: true,
        lines: [`incident ${incidentId}: 2 bundle(s), 2 sealed in the audit log: intact`],
      });
    });

    it('reports a stored item with one changed byte, naming its bundle seq and item n', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      await db.query(
        `UPDATE evidence_items SET content = overlay(content PLACING (CASE WHEN substr(content, 20, 1) = 'x' THEN 'y' ELSE 'x' END) FROM 20 FOR 1)
          WHERE bundle_id = $1 AND n = 2`,
        [bundles[0].bundleId],
      );
      const result = await verifyEvidenceCommand({ incidentId }, { withDatabase });
      expect(result).toEqual({
        ok: false,
        lines: [
          `incident ${incidentId}: 2 bundle(s), 2 sealed in the audit log: 1 problem(s)`,
          expect.stringMatching(/^ {2}bundle seq 1 item 2: item 2 \(alert [0-9a-f-]+\): content hashes to .* \(the content was changed\)$/),
        ],
      });
    });

    it('reports a deleted middle bundle as a gap in the chain', async () => {
      const { incidentId, bundles } = await sealedIncident(3);
      await db.query(`DELETE FROM evidence_bundles WHERE id = $1`, [bundles[1].bundleId]);
      expect((await evidence.verify(incidentId))?.problems).toEqual([{ seq: 2, message: 'bundle seq 2 is missing from the chain' }]);
    });

    it('reports a deleted newest bundle through the audit log', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      await db.query(`DELETE FROM evidence_bundles WHERE id = $1`, [bundles[1].bundleId]);
      expect((await evidence.verify(incidentId))?.problems).toEqual([
        { seq: 2, message: 'bundle seq 2 was sealed (audit log) but is missing' },
      ]);
    });

    it('chains the next bundle past a deleted newest one, so the gap stays visible', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      await db.query(`DELETE FROM evidence_bundles WHERE id = $1`, [bundles[1].bundleId]);
      const next = await collect(incidentId, 'evidence-after-delete');
      expect({ seq: next.seq, problems: (await evidence.verify(incidentId))?.problems }).toEqual({
        seq: 3,
        problems: [{ seq: 2, message: 'bundle seq 2 is missing from the chain' }],
      });
    });

    it('lists a tampered incident as failing under --all', async () => {
      const { incidentId, bundles } = await sealedIncident(1);
      await db.query(`DELETE FROM evidence_bundles WHERE id = $1`, [bundles[0].bundleId]);
      const result = await verifyEvidenceCommand({ all: true }, { withDatabase });
      expect(result.lines).toContain(`incident ${incidentId}: 0 bundle(s), 1 sealed in the audit log: 1 problem(s)`);
    });

    it('finds an exported file intact from the file alone', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      const file = join(dir, `${incidentId}.ndjson`);
      writeFileSync(file, (await exportLines(incidentId)).res.text);
      expect(await verifyEvidenceCommand({ file })).toEqual({
        ok: true,
        lines: [
          `file ${file}: incident ${incidentId}, 2 bundle(s): intact`,
          `  newest bundle seq 2, manifest hash ${bundles[1].manifestHash}: compare with the audit log's evidence.bundle_sealed entries`,
        ],
      });
    });

    it('reports an exported file that was cut short, though every bundle in it verifies', async () => {
      const { incidentId } = await sealedIncident(1);
      const { lines } = await exportLines(incidentId);
      const file = join(dir, `${incidentId}-short.ndjson`);
      writeLines(file, lines.slice(0, -1));
      expect((await verifyEvidenceCommand({ file })).lines.slice(0, 2)).toEqual([
        `file ${file}: incident ${incidentId}, 1 bundle(s): 1 problem(s)`,
        '  the export has no end line: it was cut short',
      ]);
    });

    it('still reads an export saved as one JSON document, the shape before NDJSON', async () => {
      const { incidentId, bundles } = await sealedIncident(2);
      const document = await exported(incidentId);
      const file = join(dir, `${incidentId}-document.json`);
      writeFileSync(file, JSON.stringify(document, null, 2));
      expect(await verifyEvidenceCommand({ file })).toEqual({
        ok: true,
        lines: [
          `file ${file}: incident ${incidentId}, 2 bundle(s): intact`,
          `  newest bundle seq 2, manifest hash ${bundles[1].manifestHash}: compare with the audit log's evidence.bundle_sealed entries`,
        ],
      });
    });

    it('reports one changed character in an exported file, naming the bundle seq and item n', async () => {
      const { incidentId } = await sealedIncident(2);
      const { lines } = await exportLines(incidentId);
      lines.find((l) => l.type === 'item' && l.seq === 2 && l.n === 4).content.title = 'sudo to rooT';
      const file = join(dir, `${incidentId}-tampered.ndjson`);
      writeLines(file, lines);
      const result = await verifyEvidenceCommand({ file });
      expect({ ok: result.ok, problem: result.lines[1] }).toEqual({
        ok: false,
        problem: expect.stringMatching(/^ {2}bundle seq 2 item 4: item 4 \(related_alert .*\(the content was changed\)$/),
      });
    });

    it('reports a bundle dropped from the middle of an exported file', async () => {
      const { incidentId } = await sealedIncident(3);
      const { lines } = await exportLines(incidentId);
      const file = join(dir, `${incidentId}-gap.ndjson`);
      writeLines(
        file,
        lines.filter((l) => l.seq !== 2),
      );
      expect((await verifyEvidenceCommand({ file })).lines[1]).toBe('  bundle seq 2: bundle seq 2 is missing from the chain');
    });

    it('exports a tampered item with its exact stored text, so the file verifies what the database holds', async () => {
      const { incidentId, bundles } = await sealedIncident(1);
      // Same JSON value, other bytes: reordered keys and a space.
      const [{ content }] = (await db.query(`SELECT content FROM evidence_items WHERE bundle_id = $1 AND n = 1`, [
        bundles[0].bundleId,
      ])) as {
        content: string;
      }[];
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(content)).reverse()), null, 1);
      await db.query(`UPDATE evidence_items SET content = $2 WHERE bundle_id = $1 AND n = 1`, [bundles[0].bundleId, reordered]);
      const file = join(dir, `${incidentId}-reordered.ndjson`);
      writeFileSync(file, (await exportLines(incidentId)).res.text);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(JSON.parse(lines[2])).toMatchObject({ type: 'item', seq: 1, n: 1, contentText: reordered });
      expect((await verifyEvidenceCommand({ file })).lines[1]).toMatch(/^ {2}bundle seq 1 item 1: .*\(the content was changed\)$/);
    });

    it('refuses a malformed incident id as a usage error', async () => {
      await expect(verifyEvidenceCommand({ incidentId: 'nope' }, { withDatabase })).rejects.toThrow('--incident: must be an incident id');
    });
  });
});
