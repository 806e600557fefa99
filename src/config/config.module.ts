import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { ASSIGNMENT_CONFIG } from '../assignment/assignment.schema';
import { ENV, Env } from '../common/env';
import { RULES } from '../correlation/rules.schema';
import { CONTAINMENT_CONFIG } from '../containment/containment.schema';
import { INTEGRATIONS_FILE } from '../integrations/integrations.schema';
import { PLAYBOOKS } from '../playbooks/playbook';
import { FORMAT_TABLES } from '../ingest/normalizers';
import { ENRICHMENT_CONFIG } from '../enrichment/tables';
import { SLA_CONFIG } from '../tasks/sla.schema';
import { INTAKE_CONFIG } from '../intake/intake.schema';
import { loadWardenConfig, type WardenConfig } from './warden-config';

const WARDEN_CONFIG = Symbol('WARDEN_CONFIG');

/**
 * The environment (parsed once by the entry point) and config/*.yaml, validated at
 * start-up: a bad file stops the process with the file, the path and the reason. Each
 * folder injects only its own part, by the token its schema file exports, so no folder
 * depends on this one.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: ENV, useValue: env },
        {
          provide: WARDEN_CONFIG,
          useFactory: () => {
            const config = loadWardenConfig(env.WARDEN_CONFIG_DIR);
            for (const w of config.warnings) new Logger('Config').warn(`${w.file} ${w.path}: ${w.message}`);
            return config;
          },
        },
        { provide: RULES, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.rules },
        { provide: FORMAT_TABLES, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.formats },
        { provide: ASSIGNMENT_CONFIG, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.assignment },
        { provide: SLA_CONFIG, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.sla },
        { provide: PLAYBOOKS, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.playbooks },
        { provide: CONTAINMENT_CONFIG, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.containment },
        { provide: INTEGRATIONS_FILE, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.integrations },
        { provide: INTAKE_CONFIG, inject: [WARDEN_CONFIG], useFactory: (c: WardenConfig) => c.intake },
        {
          provide: ENRICHMENT_CONFIG,
          inject: [WARDEN_CONFIG],
          useFactory: (c: WardenConfig) => ({ attack: c.attack, intel: c.intel, assets: c.assets }),
        },
      ],
      exports: [
        ENV,
        RULES,
        FORMAT_TABLES,
        ASSIGNMENT_CONFIG,
        SLA_CONFIG,
        PLAYBOOKS,
        CONTAINMENT_CONFIG,
        INTEGRATIONS_FILE,
        ENRICHMENT_CONFIG,
        INTAKE_CONFIG,
      ],
    };
  }
}
