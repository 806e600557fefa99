/**
 * Alert-to-assignment benchmark: real api and worker processes, real PostgreSQL and a
 * Temporal dev server, loopback HTTP.
 *   make bench   (or: npm run build && node -r ts-node/register bench/assign-latency.ts)
 * Offers 10 alerts/s that each open a new incident, plus 500 alerts/s of correlated noise
 * (batches of 50 every 100 ms, on 20 source IPs), and prints p50/p99 from an alert being
 * accepted (its row's received_at) to its incident's task being assigned (the assignment
 * row's assigned_at), both by the database's clock.
 * Environment: BENCH_SECONDS (default 20), BENCH_DATABASE_URL, TEMPORAL_ADDRESS (default:
 * an ephemeral dev server from scripts/ensure-temporal.sh).
 */
import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase } from '../src/database/database';
import { testConfigDir } from '../test/support/isolated';
import { startTemporal, stopProcess } from '../test/support/temporal-server';
import { poster, scratchDatabase, root, startNode, summarize, waitFor } from './support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const NEW_PER_SECOND = 10;
/** Noise arrives in batches of 50 (as sensors send them); BENCH_NOISE_PER_SECOND 0 turns it off. */
const NOISE_BATCH = 50;
const NOISE_EVERY_MS = (NOISE_BATCH * 1000) / Number(process.env.BENCH_NOISE_PER_SECOND ?? 500);
const NOISE_IPS = Array.from({ length: 20 }, (_, i) => `172.16.${i}.${randomInt(1, 255)}`);

async function main(): Promise<void> {
  const { url: databaseUrl, key } = await scratchDatabase();

  // Capacity high enough that no task waits for a free analyst: this measures the pipeline.
  // Ordinary traffic: 10 new incidents/s of one rule would fold into a storm (bench/storm.ts
  // measures storms), and playbooks (their adapters unset here) are not on the way to assignment.
  const config = testConfigDir({
    rules: (doc) => {
      doc.defaults.storm = false;
      for (const rule of doc.rules) delete rule.playbooks;
    },
    assignment: (doc) => doc.analysts.forEach((a: { capacity: number }) => (a.capacity = a.capacity === 0 ? 0 : 100_000)),
  });
  const temporal = process.env.TEMPORAL_ADDRESS ? undefined : await startTemporal();
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? temporal!.address;
  const taskQueue = `bench-${Date.now()}`;
  const port = 3900 + randomInt(0, 90);
  const common = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WARDEN_CONFIG_DIR: config.dir,
    LOG_LEVEL: 'warn',
  };
  const api = startNode('dist/src/main.js', { ...common, PORT: String(port), HOST: '127.0.0.1' });
  const worker = startNode('dist/src/worker.js', { ...common, WORKFLOW_BUNDLE_PATH: `${root}/dist/workflow-bundle.js` });
  const pg = new Client({ connectionString: databaseUrl });
  try {
    await waitFor(`http://127.0.0.1:${port}/health`);
    await pg.connect();
    const post = poster(`http://127.0.0.1:${port}`, key, 32);
    console.log(
      `warden assignment bench: ${SECONDS}s, ${NEW_PER_SECOND} new incidents/s + ${Number.isFinite(NOISE_EVERY_MS) ? (NOISE_BATCH * 1000) / NOISE_EVERY_MS : 0} correlated alerts/s`,
    );

    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const inflight: Promise<void>[] = [];
    const started = performance.now();
    const end = started + SECONDS * 1000;
    let newSent = 0;
    const newAck: number[] = [];
    let noiseSent = 0;
    // One timeline for both streams: each send at its due time, whatever the answers do.
    const due: { at: number; send: () => Promise<void> }[] = [];
    for (let i = 0; i < SECONDS * NEW_PER_SECOND; i++) {
      due.push({
        at: started + (i * 1000) / NEW_PER_SECOND,
        send: async () => {
          const ip = `10.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
          const r = await post(
            '/v1/alerts',
            JSON.stringify({ source: 'bench-new', type: 'sql_injection', severity: 'high', title: 'SQL injection attempt', sourceIp: ip }),
          );
          count(r.status);
          newAck.push(r.ms);
          newSent++;
        },
      });
    }
    for (let t = started; Number.isFinite(NOISE_EVERY_MS) && t < end; t += NOISE_EVERY_MS) {
      due.push({
        at: t,
        send: async () => {
          const alerts = Array.from({ length: NOISE_BATCH }, (_, j) => ({
            source: 'bench-noise',
            type: 'failed_login',
            severity: 'medium',
            title: 'SSH login failed',
            sourceIp: NOISE_IPS[j % NOISE_IPS.length],
            user: `u${randomInt(0, 100_000)}`,
          }));
          count((await post('/v1/alerts', JSON.stringify({ alerts }))).status);
          noiseSent += NOISE_BATCH;
        },
      });
    }
    due.sort((a, b) => a.at - b.at);
    for (const d of due) {
      const wait = d.at - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(d.send());
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - started) / 1000;
    const ack = summarize(newAck);
    console.log(`new-incident alerts answered 202 in p50 ${ack.p50.toFixed(0)} ms  p99 ${ack.p99.toFixed(0)} ms`);
    console.log(
      `sent ${newSent} new-incident alerts and ${noiseSent} noise alerts in ${elapsed.toFixed(1)} s; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    // Wait (bounded) for every new incident's task to be assigned, then read both times from Postgres.
    const query = `SELECT extract(epoch FROM (ta.assigned_at - a.received_at)) * 1000 AS ms
                     FROM alerts a JOIN tasks t ON t.incident_id = a.incident_id
                     JOIN LATERAL (SELECT assigned_at FROM task_assignments WHERE task_id = t.id ORDER BY id LIMIT 1) ta ON true
                    WHERE a.source = 'bench-new'`;
    const deadline = Date.now() + 60_000;
    let rows: { ms: number }[] = [];
    while (Date.now() < deadline) {
      rows = (await pg.query(query)).rows;
      if (rows.length >= newSent) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const s = summarize(rows.map((r) => Number(r.ms)));
    console.log(
      `alert accepted -> task assigned: ${rows.length}/${newSent} assigned  p50 ${s.p50.toFixed(0)} ms  p99 ${s.p99.toFixed(0)} ms  max ${s.max.toFixed(0)} ms`,
    );
    // Where the time goes: accepted -> outbox delivered (signalWithStart) -> task opened -> assigned.
    const stages = (
      await pg.query(`SELECT extract(epoch FROM (o.delivered_at - a.received_at)) * 1000 AS delivered,
                             extract(epoch FROM (t.opened_at - o.delivered_at)) * 1000 AS opened,
                             extract(epoch FROM (ta.assigned_at - t.opened_at)) * 1000 AS assigned
                        FROM alerts a JOIN outbox o ON o.incident_id = a.incident_id AND o.kind = 'incident_opened'
                        JOIN tasks t ON t.incident_id = a.incident_id
                        JOIN LATERAL (SELECT assigned_at FROM task_assignments WHERE task_id = t.id ORDER BY id LIMIT 1) ta ON true
                       WHERE a.source = 'bench-new'`)
    ).rows;
    for (const stage of ['delivered', 'opened', 'assigned'] as const) {
      const st = summarize(stages.map((r) => Number(r[stage])));
      console.log(`  stage ${stage.padEnd(9)} p50 ${st.p50.toFixed(0)} ms  p99 ${st.p99.toFixed(0)} ms`);
    }
    const [{ n }] = (await pg.query(`SELECT count(*)::int AS n FROM tasks`)).rows;
    console.log(`tasks: ${n} (new incidents plus the ${NOISE_IPS.length} noise incidents)`);
  } finally {
    await pg.end().catch(() => undefined);
    for (const p of [api, worker]) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    if (temporal) await stopProcess(temporal.process);
    await dropDatabase(databaseUrl);
    config.remove();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
