import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { assignmentFileSchema } from '../assignment/assignment.schema';
import { roleReferenceProblems } from './role-references';
import { rulesFileSchema } from '../correlation/rules.schema';
import { formatTablesSchema } from '../ingest/normalizers';
import { slaFileSchema } from '../tasks/sla.schema';
import { ConfigError, ConfigProblem, formatPath, loadYamlFile } from '../common/config-files';

// A later issue gives playbooks their full schema.
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
    assignment: attempt(() => loadYamlFile(join(dir, 'assignment.yaml'), assignmentFileSchema), assignmentFileSchema.parse({})),
    sla: attempt(() => loadYamlFile(join(dir, 'sla.yaml'), slaFileSchema), slaFileSchema.parse({})),
    playbooks: {},
  };
  const playbookDir = join(dir, 'playbooks');
  const playbookFiles = existsSync(playbookDir)
    ? readdirSync(playbookDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  for (const name of playbookFiles) {
    config.playbooks[name.replace(/\.ya?ml$/, '')] = attempt(() => loadYamlFile(join(playbookDir, name), playbookFileSchema), {});
  }
  // Roles cross files; only worth checking once each file is valid on its own.
  if (problems.length === 0) {
    for (const p of roleReferenceProblems(config.assignment, config.rules, config.sla)) {
      problems.push({ file: join(dir, p.file), path: formatPath(p.path), message: p.message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
