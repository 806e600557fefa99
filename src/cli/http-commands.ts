// The commands that talk to a running Warden over its REST API (replay, investigate-ip, stats,
// report, playbooks redrive), as opposed to the ones that open the database or read config/ directly.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { FORMATS, isFormatName } from '../ingest/normalizers';
import type { RedriveView } from '../playbooks/redrive.service';
import type { InvestigationView } from '../stats/investigation';
import type { StatsView } from '../stats/stats-view';
import { formatInvestigation, formatReport, formatStats, type ReportRecord } from './format';
import { ipPageUrl, reportPageUrl } from '../common/app-links';
import { publicUrlOf, resolveConnection, WardenClient } from './http-client';
import { formatReplaySummary, MAX_BATCH, readRecords } from './replay';
import { barProgress, lineProgress, runReplay } from './replay-run';

interface HttpOpts {
  url?: string;
  key?: string;
}

const CONNECTION_HELP = `
Connection:
  --url defaults to $WARDEN_URL, else http://127.0.0.1:$PORT (3000 when PORT is unset).
  --key defaults to $WARDEN_API_KEY. Create one with: warden keys create --name <name> --scope <scope>`;

/** `--url` and `--key` on a command that calls the API. */
function withConnection(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'Warden base URL (default: $WARDEN_URL or http://127.0.0.1:$PORT)')
    .option('--key <key>', 'API key (default: $WARDEN_API_KEY)');
}

const client = (opts: HttpOpts) => new WardenClient(resolveConnection(opts, process.env));

const positive = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
  return n;
};
const batchSize = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_BATCH}`);
  return n;
};
const instant = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('must be an ISO 8601 timestamp with an offset, e.g. 2026-11-24T00:00:00Z');
  }
  return value;
};
const range = (opts: { from?: string; to?: string }) => {
  const q = new URLSearchParams();
  if (opts.from) q.set('from', opts.from);
  if (opts.to) q.set('to', opts.to);
  const s = q.toString();
  return s ? `?${s}` : '';
};

export function registerHttpCommands(program: Command, fail: (message: string) => never): void {
  withConnection(
    program
      .command('replay')
      .description('post an alert file to a running Warden in paced batches, with progress, and print what it counted')
      .argument('<file>', 'a JSON array, { "alerts": [...] }, one JSON value, or NDJSON')
      .option('-f, --format <format>', `native (POST /v1/alerts) or one of ${FORMATS.join(', ')} (POST /v1/alerts/{format})`, 'native')
      .option('-r, --rate <n>', 'events per second', positive('--rate'), 200)
      .option('-b, --batch <n>', `events per request (at most ${MAX_BATCH})`, batchSize, 100)
      .option('--json', 'print the summary as JSON on stdout'),
  )
    .addHelpText(
      'after',
      `
Progress goes to stderr: a bar on a terminal, a line every second (and at each tenth) otherwise.
The summary counts what Warden answered: accepted (stored as new), duplicates, suppressed,
rejected (with the first reasons), repeats (already stored earlier), and incidents touched.
Each batch carries its own Idempotency-Key, so a batch retried after an outage is not stored twice.
Exits 1 when Warden cannot be reached, the key is refused, or a batch failed as a whole.
${CONNECTION_HELP}

Examples:
  warden replay ../shared/data/suricata/wrccdc-2018.json --format suricata --rate 500
  warden replay alerts.ndjson --rate 50 --batch 25 --json > summary.json`,
    )
    .action(async (file: string, opts: HttpOpts & { format: string; rate: number; batch: number; json?: boolean }) => {
      if (opts.format !== 'native' && !isFormatName(opts.format)) {
        fail(`--format: must be native or one of ${FORMATS.join(', ')}`);
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        return fail(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const input = readRecords(text);
      const api = client(opts);
      const stderr = process.stderr;
      const progress = stderr.isTTY ? barProgress(stderr) : lineProgress((line) => stderr.write(`${line}\n`));
      const { summary, fatal } = await runReplay(
        input,
        { format: opts.format, rate: opts.rate, batch: opts.batch, runId: `replay-${randomUUID()}` },
        { client: api, progress },
      );
      console.log(
        opts.json ? JSON.stringify({ ...summary, ...(fatal ? { error: fatal.message } : {}) }, null, 2) : formatReplaySummary(summary),
      );
      if (fatal) fail(fatal.message);
      if (summary.failedBatches > 0) fail(`${summary.failedBatches} of ${summary.batches} batches failed: ${summary.failures[0]}`);
    });

  withConnection(
    program
      .command('investigate-ip')
      .alias('investigate')
      .description(
        'everything Warden knows about an IP: where it is, intel lists and assets it is on, alerts, incidents, tasks, playbook actions, evidence, first and last seen',
      )
      .argument('<ip>', 'an IPv4 or IPv6 address')
      .option('-l, --limit <n>', 'alerts to show, newest first (at most 1000)', batchSize, 20)
      .option('--cursor <cursor>', 'the next page of alerts (nextCursor of the previous answer)')
      .option('--json', 'print the answer of GET /v1/investigations/ip/{ip} as it is'),
  )
    .addHelpText(
      'after',
      `
Needs a key with the analyst scope (or lead, admin).
${CONNECTION_HELP}

Examples:
  warden investigate-ip 203.0.113.7
  warden investigate 203.0.113.7            (the same command)
  warden investigate-ip 2001:db8::7 --limit 100 --json | jq '.incidents.items[].id'`,
    )
    .action(async (ip: string, opts: HttpOpts & { limit: number; cursor?: string; json?: boolean }) => {
      if (isIP(ip) === 0) fail(`${ip}: not an IPv4 or IPv6 address`);
      const q = new URLSearchParams({ limit: String(opts.limit) });
      if (opts.cursor) q.set('cursor', opts.cursor);
      const view = await client(opts).json<InvestigationView>('GET', `/v1/investigations/ip/${encodeURIComponent(ip)}?${q}`);
      console.log(opts.json ? JSON.stringify(view, null, 2) : formatInvestigation(view, ipPageUrl(publicUrlOf(opts, process.env), ip)));
    });

  withConnection(
    program
      .command('stats')
      .description('the team-lead figures of GET /v1/stats: alerts, incidents, MTTA/MTTR, SLA breaches, load, playbooks, delivery')
      .option('--from <time>', 'start of the range (ISO 8601; default: a day before --to)', instant)
      .option('--to <time>', 'end of the range (ISO 8601; default: now)', instant)
      .option('--json', 'print the answer as it is'),
  )
    .addHelpText(
      'after',
      `
Needs a key with the lead scope (or admin).
${CONNECTION_HELP}

Examples:
  warden stats
  warden stats --from 2026-11-17T00:00:00Z --to 2026-11-24T00:00:00Z --json`,
    )
    .action(async (opts: HttpOpts & { from?: string; to?: string; json?: boolean }) => {
      const stats = await client(opts).json<StatsView>('GET', `/v1/stats${range(opts)}`);
      console.log(opts.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
    });

  withConnection(
    program
      .command('report')
      .description('make a daily audit or executive report now, print its figures, and optionally save its HTML')
      .argument('<kind>', 'daily or executive')
      .option('--from <time>', 'start of the range (ISO 8601; default: the kind’s own period)', instant)
      .option('--to <time>', 'end of the range (ISO 8601; default: now)', instant)
      .option('--html <file>', 'also save the report as HTML (GET /v1/reports/{id}/html) to this file')
      .option('--json', 'print the stored report record as JSON'),
  )
    .addHelpText(
      'after',
      `
Reports are kept: GET /v1/reports lists them. Scheduled ones are made by Temporal Schedules.
${CONNECTION_HELP}

Examples:
  warden report daily
  warden report executive --from 2026-11-17T00:00:00Z --to 2026-11-24T00:00:00Z --html exec.html`,
    )
    .action(async (kind: string, opts: HttpOpts & { from?: string; to?: string; html?: string; json?: boolean }) => {
      if (kind !== 'daily' && kind !== 'executive') fail(`<kind>: must be daily or executive, not "${kind}"`);
      const api = client(opts);
      const record = await api.json<ReportRecord>('POST', '/v1/reports', {
        kind,
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.to ? { to: opts.to } : {}),
      });
      if (opts.html) {
        const html = await api.text(`/v1/reports/${encodeURIComponent(record.id)}/html`);
        try {
          writeFileSync(opts.html, html);
        } catch (err) {
          fail(`--html ${opts.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      console.log(
        opts.json ? JSON.stringify(record, null, 2) : formatReport(record, reportPageUrl(publicUrlOf(opts, process.env), record.id)),
      );
      if (opts.html) console.error(`saved ${opts.html}`);
    });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `warden playbooks redrive`: under the `playbooks` command, beside `dry-run`. */
export function registerPlaybookHttpCommands(playbooks: Command, fail: (message: string) => never): void {
  withConnection(
    playbooks
      .command('redrive')
      .description("undo again a run's containment whose undo failed for good (compensation failed): the worker retries each, newest first")
      .requiredOption('--run <id>', 'the playbook run (runId on the incident, or in the compensation-failed notice)')
      .option('--json', 'print { runId, incidentId, playbook, redriven: [step ids] } as JSON'),
  )
    .addHelpText(
      'after',
      `
Needs a key with the lead scope (or admin). The steps stay failed, and counted in GET /health
(details.compensations), until their undo succeeds; run it again if the cause is not fixed yet.
Exits 1 when the run does not exist or has no failed compensation.
${CONNECTION_HELP}

Examples:
  warden playbooks redrive --run 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60
  warden playbooks redrive --run 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60 --json`,
    )
    .action(async (opts: HttpOpts & { run: string; json?: boolean }) => {
      if (!UUID.test(opts.run)) fail('--run: must be a playbook run id (a UUID)');
      const view = await client(opts).json<RedriveView>('POST', `/v1/playbooks/runs/${encodeURIComponent(opts.run)}/redrive`);
      if (opts.json) console.log(JSON.stringify(view, null, 2));
      else for (const step of view.redriven) console.log(step);
      console.error(`re-driven ${view.redriven.length} failed compensation(s) of run ${view.runId} (${view.playbook})`);
    });
}
