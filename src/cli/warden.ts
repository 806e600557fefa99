#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { DataSource } from 'typeorm';
import { ConfigError } from '../common/config-files';
import { loadDotEnv, loadEnv } from '../common/env';
import { loadWardenConfig } from '../config/warden-config';
import { backtest, formatBacktest } from '../correlation/backtest';
import { dataSourceOptions } from '../database/data-source-options';
import { pgPool } from '../database/pg';
import { SCOPES, Scope } from '../auth/api-key.entity';
import { createApiKey } from '../auth/api-keys.service';
import { parseNdjson } from '../ingest/body-parsers';
import { formatIntake, nativeIntake, validateItems } from '../ingest/intake';
import { FormatName, FORMATS, isFormatName, normalizers } from '../ingest/normalizers';
import { NotificationsService } from '../notifications/notifications.service';
import { redriveDeadLetters } from '../outbox/outbox';
import { dryRun, formatDryRun } from '../playbooks/dry-run';
import { EvidenceVerifyUsageError, verifyEvidenceCommand } from '../playbooks/evidence-verify';
import { loadPlaybookFile } from '../playbooks/playbook.schema';
import { containmentRefusal } from '../playbooks/refusal';

loadDotEnv();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const program = new Command('warden').description('Warden operator commands');

function loadConfig(dir?: string) {
  try {
    return loadWardenConfig(dir ?? loadEnv().WARDEN_CONFIG_DIR);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const config = program.command('config').description('configuration as code');
config
  .command('validate')
  .description('validate config/*.yaml exactly as start-up does')
  .option('-d, --dir <dir>', 'configuration directory (default: WARDEN_CONFIG_DIR or config)')
  .action((opts: { dir?: string }) => {
    const loaded = loadConfig(opts.dir);
    console.log(`valid: ${loaded.rules.rules.length} rules, ${Object.keys(loaded.playbooks).length} playbooks`);
  });

const keys = program.command('keys').description('API keys');
const scope = (value: string, previous: Scope[] = []): Scope[] => {
  if (!(SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${SCOPES.join(', ')}`);
  return [...previous, value as Scope];
};
keys
  .command('create')
  .description('create an API key; it is printed once and stored only as a hash')
  .requiredOption('--name <name>', 'who or what uses the key, e.g. suricata-sensor-1')
  .requiredOption('--scope <scope>', `scope (repeatable): ${SCOPES.join(', ')}`, scope)
  .option('--analyst <id>', 'the analyst (assignment.yaml id) acting with this key: assignee=me, and the actor of ack and resolve')
  .action(async (opts: { name: string; scope: Scope[]; analyst?: string }) => {
    const env = loadEnv();
    if (opts.analyst && !loadWardenConfig(env.WARDEN_CONFIG_DIR).assignment.analysts.some((a) => a.id === opts.analyst)) {
      program.error(`--analyst: no analyst "${opts.analyst}" in ${env.WARDEN_CONFIG_DIR}/assignment.yaml`);
    }
    const ds = await new DataSource(dataSourceOptions(env.DATABASE_URL, 1)).initialize();
    try {
      const { id, key } = await createApiKey(ds, opts.name, [...new Set(opts.scope)], opts.analyst);
      console.error(`created key ${id} "${opts.name}" with scopes ${opts.scope.join(', ')}; store it now, it is not shown again:`);
      console.log(key);
    } finally {
      await ds.destroy();
    }
  });

const rules = program.command('rules').description('AnomalyToAction rules');
rules
  .command('backtest')
  .description('replay an alert file through the current rules, dedup and correlation, with no side effects')
  .argument('<file>', 'JSON (one alert, an array, or { "alerts": [...] }) or NDJSON')
  .option('-f, --format <format>', `native or one of ${FORMATS.join(', ')}`, 'native')
  .option('-d, --dir <dir>', 'configuration directory')
  .option('--json', 'print the report as JSON')
  .option('--at-once', 'take the file as one request sent now, as the api would (default: each alert arrives at its occurredAt)')
  .action(async (file: string, opts: { format: string; dir?: string; json?: boolean; atOnce?: boolean }) => {
    if (opts.format !== 'native' && !isFormatName(opts.format)) throw new InvalidArgumentError(`unknown format ${opts.format}`);
    const cfg = loadConfig(opts.dir);
    const text = readFileSync(file, 'utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = parseNdjson(text);
    }
    const { items } =
      opts.format === 'native' ? nativeIntake(body) : formatIntake(body, normalizers[opts.format as FormatName], cfg.formats);
    const report = await backtest(validateItems(items), cfg.rules, { arrival: opts.atOnce ? 'at-once' : 'as-occurred' });
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatBacktest(report));
  });

/** Runs `work` on a database connection of its own, closed after. */
async function withDatabase<T>(work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await new DataSource(dataSourceOptions(loadEnv().DATABASE_URL, 1)).initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

const notices = program.command('notices').description('notices to analysts (webhook and other channels)');
notices
  .command('redrive')
  .description('put failed notices back in line: the worker tries each once more, with its full maximum age, and delivers it once')
  .option('--incident <id>', "the failed notices of this incident's tasks")
  .option('--all', 'every failed notice')
  .action(async (opts: { incident?: string; all?: boolean }) => {
    if (!opts.incident === !opts.all) program.error('give either --incident <id> or --all');
    if (opts.incident && !UUID.test(opts.incident)) {
      program.error('--incident: must be an incident id (a UUID)');
    }
    const keys = await withDatabase((ds) => new NotificationsService(ds).redrive({ incidentId: opts.incident }));
    for (const key of keys) console.log(key);
    console.error(`re-driven ${keys.length} failed notice(s)`);
  });

const outbox = program.command('outbox').description('the outbox of changes for incident workflows');
outbox
  .command('redrive')
  .description('put dead-lettered outbox rows back in line: the dispatcher signals each again')
  .option('--id <id>', 'the dead-lettered row with this id')
  .option('--all', 'every dead-lettered row')
  .action(async (opts: { id?: string; all?: boolean }) => {
    if (!opts.id === !opts.all) program.error('give either --id <id> or --all');
    if (opts.id && !/^[1-9]\d{0,17}$/.test(opts.id)) program.error('--id: must be an outbox row id (a positive integer)');
    const ids = await withDatabase((ds) => redriveDeadLetters(pgPool(ds), { id: opts.id }));
    if (opts.id && ids.length === 0) program.error(`--id: no dead-lettered outbox row ${opts.id}`);
    for (const id of ids) console.log(id);
    console.error(`re-driven ${ids.length} dead-lettered outbox row(s)`);
  });

const playbooks = program.command('playbooks').description('containment and evidence playbooks');
playbooks
  .command('dry-run')
  .description('show which steps of a playbook file would run for an incident, with their rendered inputs; touches nothing')
  .argument('<file>', 'a playbook file (config/playbooks/NAME.yaml or any other)')
  .requiredOption('--incident <id>', 'the incident to render it against')
  .option('--json', 'print the report as JSON')
  .action(async (file: string, opts: { incident: string; json?: boolean }) => {
    if (!UUID.test(opts.incident)) program.error('--incident: must be an incident id (a UUID)');
    let loaded;
    try {
      loaded = loadPlaybookFile(file);
    } catch (err) {
      if (err instanceof ConfigError) program.error(err.message);
      throw err;
    }
    const allow = loadConfig().containment.allow_list;
    const report = await withDatabase((ds) =>
      dryRun({ loaded, incidentId: opts.incident, db: ds, refuse: (action, input) => containmentRefusal(allow, action, input) }),
    );
    if (!report) return program.error(`--incident: no incident ${opts.incident}`);
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatDryRun(report));
  });

const evidence = program.command('evidence').description('evidence bundles and their hash chain');
evidence
  .command('verify')
  .description("recompute every hash of an incident's evidence chain (or every incident's, or an exported file) and check the links")
  .option('--incident <id>', "this incident's chain")
  .option('--all', "every incident's chain")
  .option('--file <file>', 'an export of GET /v1/incidents/{id}/evidence')
  .action(async (opts: { incident?: string; all?: boolean; file?: string }) => {
    try {
      const result = await verifyEvidenceCommand({ incidentId: opts.incident, all: opts.all, file: opts.file }, { withDatabase });
      for (const line of result.lines) console.log(line);
      if (!result.ok) process.exit(1);
    } catch (err) {
      if (err instanceof EvidenceVerifyUsageError) program.error(err.message);
      throw err;
    }
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
