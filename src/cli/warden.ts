#!/usr/bin/env node
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { DataSource } from 'typeorm';
import { ConfigError } from '../common/config-files';
import { loadDotEnv, loadEnv } from '../common/env';
import { loadWardenConfig } from '../config/warden-config';
import { FIELD_LIMITS } from '../ingest/clip';
import { backtest, formatBacktest } from '../correlation/backtest';
import { loadEnrichment } from '../enrichment';
import { dataSourceOptions } from '../database/data-source-options';
import { pgPool } from '../database/pg';
import { SCOPES, Scope } from '../auth/api-key.entity';
import { grants } from '../auth/api-keys';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.service';
import { parseNdjson } from '../ingest/body-parsers';
import { formatIntake, nativeIntake, validateItems } from '../ingest/intake';
import { FormatName, FORMATS, isFormatName, normalizers } from '../ingest/normalizers';
import { NotificationsService } from '../notifications/notifications.service';
import { redriveDeadLetters } from '../outbox/outbox';
import { dryRun, formatDryRun } from '../playbooks/dry-run';
import { EvidenceVerifyUsageError, verifyEvidenceCommand } from '../playbooks/evidence-verify';
import { loadPlaybookFile } from '../playbooks/playbook.schema';
import { containmentRefusal } from '../playbooks/refusal';
import { addresses } from '../intake/intake.service';
import { intakeStatus, redriveIntake, type BusAddresses } from '../intake/operator';
import { formatKeys } from './format';
import { ApiError } from './http-client';
import { registerHttpCommands, registerPlaybookHttpCommands } from './http-commands';

loadDotEnv();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const program = new Command('warden')
  .description('Warden operator commands: API keys, configuration, rules, replays and reports')
  .addHelpText(
    'after',
    `
Commands that read config/ or the database use the environment (.env is read): WARDEN_CONFIG_DIR, DATABASE_URL.
Commands that call a running Warden (replay, investigate-ip, stats, report, playbooks redrive) take --url and --key
(default $WARDEN_URL or http://127.0.0.1:$PORT, and $WARDEN_API_KEY).
Every command that prints data takes --json. Exit status: 0 on success, 1 on any failure (the reason on stderr).

Examples:
  warden config validate
  KEY=$(warden keys create --name suricata-1 --scope ingest)
  warden keys list
  warden replay ../shared/data/suricata/wrccdc-2018.json --format suricata --rate 500
  warden investigate-ip 203.0.113.7
  warden stats --json
  warden report executive --html exec.html`,
  );
/** One line on stderr, exit status 1. */
const fail = (message: string): never => program.error(message, { exitCode: 1 });
const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

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

const config = program.command('config').description('configuration as code: validate');
config
  .command('validate')
  .description('validate config/*.yaml exactly as start-up does')
  .option('-d, --dir <dir>', 'configuration directory (default: WARDEN_CONFIG_DIR or config)')
  .option('--json', 'print { valid, rules, playbooks } as JSON')
  .addHelpText(
    'after',
    '\nA bad file exits 1, naming the file, the line, the path inside it and the reason.\n\nExamples:\n  warden config validate\n  warden config validate --dir /etc/warden --json',
  )
  .action((opts: { dir?: string; json?: boolean }) => {
    const loaded = loadConfig(opts.dir);
    const counts = { rules: loaded.rules.rules.length, playbooks: Object.keys(loaded.playbooks).length };
    if (opts.json) json({ valid: true, ...counts, warnings: loaded.warnings });
    else {
      console.log(`valid: ${counts.rules} rules, ${counts.playbooks} playbooks`);
      for (const w of loaded.warnings) console.log(`warning: ${w.file} ${w.path}: ${w.message}`);
    }
  });

const keys = program.command('keys').description('API keys: create, list, revoke');
const scope = (value: string, previous: Scope[] = []): Scope[] => {
  if (!(SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${SCOPES.join(', ')}`);
  return [...previous, value as Scope];
};
/** `--source wazuh --source a,b`: repeatable, each comma-separated. */
const source = (value: string, previous: string[] = []): string[] => {
  const names = value.split(',').map((s) => s.trim());
  const max = FIELD_LIMITS.source.max;
  if (names.some((s) => s.length === 0 || s.length > max)) throw new InvalidArgumentError(`each source must be 1 to ${max} characters`);
  return [...previous, ...names];
};
keys
  .command('create')
  .description('create an API key; it is printed once and stored only as a hash')
  .requiredOption('--name <name>', 'who or what uses the key, e.g. suricata-sensor-1')
  .requiredOption('--scope <scope>', `scope (repeatable): ${SCOPES.join(', ')}`, scope)
  .option('--analyst <id>', 'the analyst (assignment.yaml id) acting with this key: assignee=me, and the actor of ack and resolve')
  .option(
    '--source <name>',
    'an alert source this ingest key may send (repeatable or comma-separated; default: any); others are refused 403',
    source,
  )
  .option('--json', 'print { id, name, scopes, analyst, sources, key } as JSON')
  .addHelpText(
    'after',
    `
The key is printed once, on stdout; only its SHA-256 is stored.
A key bound to sources may post only alerts whose source (for /v1/alerts/{format}, the source the format
gives: suricata, wazuh, falco, alertmanager, ecs:<product>) is one of them; a request carrying any other is
refused 403 naming its /source and stores nothing. The (source, externalId) repeat key is per key either way.

Examples:
  warden keys create --name suricata-1 --scope ingest
  warden keys create --name wazuh-manager --scope ingest --source wazuh
  warden keys create --name sara --scope analyst --analyst sara.lindqvist
  warden keys create --name lead-dashboard --scope lead --json`,
  )
  .action(async (opts: { name: string; scope: Scope[]; analyst?: string; source?: string[]; json?: boolean }) => {
    const env = loadEnv();
    const scopes = [...new Set(opts.scope)];
    if (opts.source && !grants(scopes, 'ingest')) fail('--source: binds what a key may ingest; the key needs the ingest (or admin) scope');
    if (opts.analyst && !loadWardenConfig(env.WARDEN_CONFIG_DIR).assignment.analysts.some((a) => a.id === opts.analyst)) {
      program.error(`--analyst: no analyst "${opts.analyst}" in ${env.WARDEN_CONFIG_DIR}/assignment.yaml`);
    }
    const ds = await new DataSource(dataSourceOptions(env.DATABASE_URL, 1)).initialize();
    try {
      const { id, key, sources } = await createApiKey(ds, opts.name, scopes, opts.analyst, opts.source);
      const bound = sources ? ` for sources ${sources.join(', ')}` : '';
      console.error(`created key ${id} "${opts.name}" with scopes ${scopes.join(', ')}${bound}; store it now, it is not shown again:`);
      if (opts.json) json({ id, name: opts.name, scopes, analyst: opts.analyst ?? null, sources, key });
      else console.log(key);
    } finally {
      await ds.destroy();
    }
  });

keys
  .command('list')
  .description('list API keys: id, name, scopes, analyst, sources, created, revoked (never the key or its hash)')
  .option('--json', 'print the keys as JSON')
  .addHelpText('after', "\nExamples:\n  warden keys list\n  warden keys list --json | jq -r '.[] | select(.revokedAt == null) | .id'")
  .action(async (opts: { json?: boolean }) => {
    const rows = await withDatabase((ds) => listApiKeys(ds));
    if (opts.json) json(rows.map((k) => ({ ...k, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null })));
    else console.log(formatKeys(rows));
  });
keys
  .command('revoke')
  .description('revoke an API key: the api answers 401 to it (running replicas within API_KEY_CACHE_SECONDS)')
  .argument('<id>', 'the key id (warden keys list)')
  .option('--json', 'print the revoked key as JSON')
  .addHelpText(
    'after',
    '\nRevoking twice is harmless: the first time stays.\n\nExamples:\n  warden keys revoke 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
  )
  .action(async (id: string, opts: { json?: boolean }) => {
    if (!UUID.test(id)) fail(`<id>: must be a key id (a UUID), see warden keys list`);
    const result = await withDatabase((ds) => revokeApiKey(ds, id));
    if (!result) return fail(`<id>: no API key ${id}`);
    const { key, alreadyRevoked } = result;
    if (opts.json)
      json({ ...key, createdAt: key.createdAt.toISOString(), revokedAt: key.revokedAt?.toISOString() ?? null, alreadyRevoked });
    else console.log(`${alreadyRevoked ? 'already revoked' : 'revoked'} key ${key.id} "${key.name}" at ${key.revokedAt?.toISOString()}`);
  });

const rules = program.command('rules').description('AnomalyToAction rules: backtest');
rules
  .command('backtest')
  .description('replay an alert file through the current rules, dedup and correlation, with no side effects')
  .argument('<file>', 'JSON (one alert, an array, or { "alerts": [...] }) or NDJSON')
  .option('-f, --format <format>', `native or one of ${FORMATS.join(', ')}`, 'native')
  .option('-d, --dir <dir>', 'configuration directory')
  .option('--json', 'print the report as JSON')
  .option('--at-once', 'take the file as one request sent now, as the api would (default: each alert arrives at its occurredAt)')
  .addHelpText(
    'after',
    `
Examples:
  warden rules backtest ../shared/data/suricata/honeypot-2018.json --format suricata
  warden rules backtest alerts.json --dir ./config-draft --json`,
  )
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
    const env = loadEnv();
    // The api's own tables (GeoIP from GEOIP_*_DB, ATT&CK, intel lists, assets), so rules match as they would there.
    const tables = await loadEnrichment(cfg, { ...env, WARDEN_CONFIG_DIR: opts.dir ?? env.WARDEN_CONFIG_DIR }, (m) => console.error(m));
    const report = await backtest(validateItems(items), cfg.rules, {
      arrival: opts.atOnce ? 'at-once' : 'as-occurred',
      enrich: tables.enrich,
    });
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

const notices = program.command('notices').description('notices to analysts (webhook and other channels): redrive');
notices
  .command('redrive')
  .description('put failed notices back in line: the worker tries each once more, with its full maximum age, and delivers it once')
  .option('--incident <id>', "the failed notices of this incident's tasks")
  .option('--all', 'every failed notice')
  .option('--json', 'print { redriven: [notice keys] } as JSON')
  .addHelpText(
    'after',
    '\nExamples:\n  warden notices redrive --all\n  warden notices redrive --incident 3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60 --json',
  )
  .action(async (opts: { incident?: string; all?: boolean; json?: boolean }) => {
    if (!opts.incident === !opts.all) fail('give either --incident <id> or --all');
    if (opts.incident && !UUID.test(opts.incident)) {
      fail('--incident: must be an incident id (a UUID)');
    }
    const keys = await withDatabase((ds) => new NotificationsService(ds).redrive({ incidentId: opts.incident }));
    if (opts.json) json({ redriven: keys });
    else for (const key of keys) console.log(key);
    console.error(`re-driven ${keys.length} failed notice(s)`);
  });

const outbox = program.command('outbox').description('the outbox of changes for incident workflows: redrive');
outbox
  .command('redrive')
  .description('put dead-lettered outbox rows back in line: the dispatcher signals each again')
  .option('--id <id>', 'the dead-lettered row with this id')
  .option('--all', 'every dead-lettered row')
  .option('--json', 'print { redriven: [row ids] } as JSON')
  .addHelpText('after', '\nExamples:\n  warden outbox redrive --all\n  warden outbox redrive --id 1234 --json')
  .action(async (opts: { id?: string; all?: boolean; json?: boolean }) => {
    if (!opts.id === !opts.all) fail('give either --id <id> or --all');
    if (opts.id && !/^[1-9]\d{0,17}$/.test(opts.id)) fail('--id: must be an outbox row id (a positive integer)');
    const ids = await withDatabase((ds) => redriveDeadLetters(pgPool(ds), { id: opts.id }));
    if (opts.id && ids.length === 0) fail(`--id: no dead-lettered outbox row ${opts.id}`);
    if (opts.json) json({ redriven: ids.map(String) });
    else for (const id of ids) console.log(id);
    console.error(`re-driven ${ids.length} dead-lettered outbox row(s)`);
  });

/** The buses config/intake.yaml and the environment (NATS_URL, KAFKA_BROKERS) name; none named: fail, saying so. */
function busAddresses(): { config: ReturnType<typeof loadConfig>['intake']; at: BusAddresses } {
  const env = loadEnv();
  const { intake } = loadConfig(env.WARDEN_CONFIG_DIR);
  const at = { nats: addresses(env.NATS_URL, intake.nats.servers), kafka: addresses(env.KAFKA_BROKERS, intake.kafka.brokers) };
  if (at.nats.length === 0 && at.kafka.length === 0)
    fail('no bus is configured: set servers or brokers in config/intake.yaml, or NATS_URL or KAFKA_BROKERS');
  return { config: intake, at };
}

const intake = program.command('intake').description('bus intake (NATS JetStream, Kafka): status, redrive');
intake
  .command('status')
  .description("each configured bus's consumer as the bus sees it (all replicas): messages waiting, in hand, and dead letters")
  .option('--json', 'print the reports as JSON')
  .addHelpText('after', '\nExamples:\n  warden intake status\n  NATS_URL=nats://10.0.0.5:4222 warden intake status --json')
  .action(async (opts: { json?: boolean }) => {
    const { config, at } = busAddresses();
    const reports = await intakeStatus(config, at);
    if (opts.json) json(reports);
    else {
      for (const r of reports) {
        if ('error' in r) console.log(`${r.bus}  ${r.name}  unreachable: ${r.error}`);
        else if (r.bus === 'nats')
          console.log(
            `nats   ${r.name}  waiting ${r.pending}  in hand ${r.inHand}  pull requests ${r.pulling}  dead letters ${r.deadLetters}`,
          );
        else console.log(`kafka  ${r.name}  members ${r.members}  lag ${r.lag}  dead letters ${r.deadLetters}`);
      }
    }
    if (reports.some((r) => 'error' in r)) process.exitCode = 1;
  });
intake
  .command('redrive')
  .description(
    'put every waiting dead letter back on its subject or topic (after a fix): alerts it stored the first time are repeats; one that fails again is dead-lettered again',
  )
  .option('--bus <bus>', 'only this bus: nats or kafka')
  .option('--json', 'print { nats, kafka } counts as JSON')
  .addHelpText('after', '\nExamples:\n  warden intake redrive\n  warden intake redrive --bus kafka --json')
  .action(async (opts: { bus?: string; json?: boolean }) => {
    if (opts.bus !== undefined && opts.bus !== 'nats' && opts.bus !== 'kafka') fail('--bus: must be nats or kafka');
    const { config, at } = busAddresses();
    const done = await redriveIntake(config, at, opts.bus as 'nats' | 'kafka' | undefined);
    if (opts.json) json(done);
    else for (const [bus, n] of Object.entries(done)) console.log(`${bus}: redriven ${n} dead letter(s)`);
  });

const playbooks = program.command('playbooks').description('containment and evidence playbooks: dry-run, redrive');
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

const evidence = program.command('evidence').description('evidence bundles and their hash chain: verify');
evidence
  .command('verify')
  .description("recompute every hash of an incident's evidence chain (or every incident's, or an exported file) and check the links")
  .option('--incident <id>', "this incident's chain")
  .option('--all', "every incident's chain")
  .option('--file <file>', 'an export of GET /v1/incidents/{id}/evidence')
  .option('--json', 'print { ok, lines } as JSON')
  .addHelpText(
    'after',
    '\nExits 1 when a hash or link does not match.\n\nExamples:\n  warden evidence verify --all\n  warden evidence verify --file evidence.json',
  )
  .action(async (opts: { incident?: string; all?: boolean; file?: string; json?: boolean }) => {
    try {
      const result = await verifyEvidenceCommand({ incidentId: opts.incident, all: opts.all, file: opts.file }, { withDatabase });
      if (opts.json) json({ ok: result.ok, lines: result.lines });
      else for (const line of result.lines) console.log(line);
      if (!result.ok) process.exit(1);
    } catch (err) {
      if (err instanceof EvidenceVerifyUsageError) program.error(err.message);
      throw err;
    }
  });

registerHttpCommands(program, fail);
registerPlaybookHttpCommands(playbooks, fail);

// One line on stderr, never a stack: an API problem's detail, or the error's message.
program.parseAsync().catch((err) => {
  console.error(err instanceof ApiError ? err.message : err instanceof Error ? `error: ${err.message}` : String(err));
  process.exit(1);
});
