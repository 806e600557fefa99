import { Module } from '@nestjs/common';
import { SilencesController } from './silences.controller';
import { SilencesService } from './silences.service';

@Module({ controllers: [SilencesController], providers: [SilencesService], exports: [SilencesService] })
export class CorrelationModule {}
