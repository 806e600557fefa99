import { Module } from '@nestjs/common';
import { IntakeModule } from '../intake/intake.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({ imports: [IntakeModule], controllers: [HealthController], providers: [HealthService] })
export class HealthModule {}
