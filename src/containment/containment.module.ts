import { Module } from '@nestjs/common';
import { CONTAINMENT_CONFIG, type ContainmentConfig } from './containment.schema';
import { Containment } from './containment.service';

/**
 * Provides `Containment` from config/containment.yaml (CONTAINMENT_CONFIG, provided by the
 * global ConfigModule). Adapter secrets are read from the process environment by the names the
 * file gives (`secret_env`, `token_env`, `url_env`), which the parsed Env does not list.
 */
@Module({
  providers: [
    { provide: Containment, inject: [CONTAINMENT_CONFIG], useFactory: (config: ContainmentConfig) => new Containment(config, process.env) },
  ],
  exports: [Containment],
})
export class ContainmentModule {}
