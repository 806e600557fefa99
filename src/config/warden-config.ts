import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { rulesFileSchema } from '../correlation/rules.schema';
import { formatTablesSchema } from '../ingest/normalizers';
import { ConfigError, ConfigProblem, loadYamlFile } from './config-files';

// Later issues give these files their full schemas.
export const assignmentFileSchema = z.object({}).catchall(z.unknown());
export const slaFileSchema = z.object({}).catchall(z.unknown());
export const playbookFileSchema = z.object({}).catchall(z.unknown());

export interface WardenConfig {
  rules: z.infer<typeof rulesFileSchema>;
  formats: z.infer<typeof formatTablesSchema>;
  assignment: z.infer<typeof assignmentFileSchema>;
  sla: z.infer<typeof slaFileSchema>;
  playbooks: Record<string, z.infer<typeof playbookFileSchema>>;
}

/** Loads and validates every file under the config directory, reporting all problems together. */
export function loadWardenConfig(dir: string): WardenConfig {
  const problems: ConfigProblem[] = [];
  const attempt = <T>(load: () => T, fallback: T): T => {
    try {
      return load();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
      return fallback;
    }
  };
  if (!existsSync(dir)) throw new ConfigError([{ file: dir, path: '', message: 'configuration directory does not exist' }]);

  const config: WardenConfig = {
    rules: attempt(() => loadYamlFile(join(dir, 'rules.yaml'), rulesFileSchema), rulesFileSchema.parse({})),
    formats: attempt(() => loadYamlFile(join(dir, 'formats.yaml'), formatTablesSchema), formatTablesSchema.parse({})),
    assignment: attempt(() => loadYamlFile(join(dir, 'assignment.yaml'), assignmentFileSchema), {}),
    sla: attempt(() => loadYamlFile(join(dir, 'sla.yaml'), slaFileSchema), {}),
    playbooks: {},
  };
  const playbookDir = join(dir, 'playbooks');
  const playbookFiles = existsSync(playbookDir) ? readdirSync(playbookDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const name of playbookFiles) {
    config.playbooks[name.replace(/\.ya?ml$/, '')] = attempt(() => loadYamlFile(join(playbookDir, name), playbookFileSchema), {});
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
