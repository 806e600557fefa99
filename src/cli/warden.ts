#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError } from '../config/config-files';
import { loadEnv } from '../config/env';
import { loadWardenConfig } from '../config/warden-config';

const program = new Command('warden').description('Warden operator commands');

const config = program.command('config').description('configuration as code');
config
  .command('validate')
  .description('validate config/*.yaml exactly as start-up does')
  .option('-d, --dir <dir>', 'configuration directory (default: WARDEN_CONFIG_DIR or config)')
  .action((opts: { dir?: string }) => {
    const dir = opts.dir ?? loadEnv().WARDEN_CONFIG_DIR;
    try {
      const loaded = loadWardenConfig(dir);
      console.log(
        `${dir}: valid (${loaded.rules.rules.length} rules, ${Object.keys(loaded.playbooks).length} playbooks)`,
      );
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(err.message);
      process.exitCode = 1;
    }
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
