import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { assignmentFileSchema } from '../assignment/assignment.schema';
import { playbookReferenceProblems, roleReferenceProblems } from './role-references';
import { stormKindWarnings } from '../correlation/rules';
import { rulesFileSchema } from '../correlation/rules.schema';
import { formatTablesSchema } from '../ingest/normalizers';
import { slaFileSchema } from '../tasks/sla.schema';
import { ConfigError, ConfigProblem, formatPath, loadYamlFile } from '../common/config-files';
import { containmentFileSchema, type ContainmentConfig } from '../containment/containment.schema';
import {
  assetsFileSchema,
  attackConfigProblems,
  attackFileSchema,
  intelFileSchema,
  loadAssets,
  loadAssetsFile,
  loadAttackTable,
  type AssetsFile,
  type AttackConfig,
  type IntelConfig,
} from '../enrichment';
import { integrationsFileSchema, type IntegrationsFile } from '../integrations/integrations.schema';
import { intakeFileSchema, type IntakeConfig } from '../intake/intake.schema';
import type { LoadedPlaybook } from '../playbooks/playbook';
import { loadPlaybookFile, playbookNameOf } from '../playbooks/playbook.schema';

export interface WardenConfig {
  rules: z.infer<typeof rulesFileSchema>;
  formats: z.infer<typeof formatTablesSchema>;
  assignment: z.infer<typeof assignmentFileSchema>;
  sla: z.infer<typeof slaFileSchema>;
  /** By name (the file name without .yaml). */
  playbooks: Record<string, LoadedPlaybook>;
  containment: ContainmentConfig;
  integrations: IntegrationsFile;
  /** Enrichment (applied by ingest): ATT&CK by alert type, threat-intel lists, assets and identities. */
  attack: AttackConfig;
  intel: IntelConfig;
  assets: AssetsFile;
  /** Message buses (NATS JetStream, Kafka) alerts are taken from besides HTTP. */
  intake: IntakeConfig;
  /** Allowed but probably not meant (a storm key without the alert type): printed at start-up and by `warden config validate`. */
  warnings: ConfigProblem[];
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
    containment: attempt(() => loadYamlFile(join(dir, 'containment.yaml'), containmentFileSchema), containmentFileSchema.parse({})),
    integrations: attempt(() => loadYamlFile(join(dir, 'integrations.yaml'), integrationsFileSchema), integrationsFileSchema.parse({})),
    attack: attempt(() => loadYamlFile(join(dir, 'attack.yaml'), attackFileSchema), attackFileSchema.parse({})),
    intel: attempt(() => loadYamlFile(join(dir, 'intel.yaml'), intelFileSchema), intelFileSchema.parse({})),
    assets: attempt(() => loadAssetsFile(dir), assetsFileSchema.parse({})),
    intake: attempt(() => loadYamlFile(join(dir, 'intake.yaml'), intakeFileSchema), intakeFileSchema.parse({})),
    playbooks: {},
    warnings: [],
  };
  const playbookDir = join(dir, 'playbooks');
  const playbookFiles = existsSync(playbookDir)
    ? readdirSync(playbookDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  const seen = new Map<string, string>();
  for (const fileName of playbookFiles) {
    const file = join(playbookDir, fileName);
    const name = playbookNameOf(fileName);
    if (seen.has(name)) {
      problems.push({ file, path: '', message: `a second file for playbook "${name}" (${seen.get(name)} is the first)` });
      continue;
    }
    seen.set(name, fileName);
    const loaded = attempt<LoadedPlaybook | null>(() => loadPlaybookFile(file), null);
    if (loaded) config.playbooks[name] = loaded;
  }
  // Roles, playbooks and adapters cross files; only worth checking once each file is valid on its own.
  if (problems.length === 0) {
    for (const p of roleReferenceProblems(config.assignment, config.rules, config.sla)) {
      problems.push({ file: join(dir, p.file), path: formatPath(p.path), message: p.message });
    }
    for (const p of playbookReferenceProblems(config)) {
      problems.push({ file: join(dir, p.file), path: formatPath(p.path), message: p.message });
    }
    attempt(() => loadAssets(dir), null); // the CSV files assets.yaml names
  }
  const attack = attackConfigProblems(config.attack, loadAttackTable());
  for (const p of attack.errors) problems.push({ file: join(dir, 'attack.yaml'), path: formatPath(p.path), message: p.message });
  if (problems.length > 0) throw new ConfigError(problems);
  config.warnings = [
    ...stormKindWarnings(config.rules).map((w) => ({ file: join(dir, 'rules.yaml'), path: formatPath(w.path), message: w.message })),
    ...attack.warnings.map((w) => ({ file: join(dir, 'attack.yaml'), path: formatPath(w.path), message: w.message })),
  ];
  return config;
}
