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
import { SCOPES, Scope } from '../auth/api-key.entity';
import { createApiKey } from '../auth/api-keys.service';
import { parseNdjson } from '../ingest/body-parsers';
import { formatIntake, nativeIntake, validateItems } from '../ingest/intake';
import { FormatName, FORMATS, isFormatName, normalizers } from '../ingest/normalizers';

loadDotEnv();
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
  .action(async (file: string, opts: { format: string; dir?: string; json?: boolean }) => {
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
    const report = await backtest(validateItems(items), cfg.rules);
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatBacktest(report));
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
