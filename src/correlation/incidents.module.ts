import { Module } from '@nestjs/common';
import { IncidentsService } from './incidents.service';

/** Incident state that tasks change (acknowledge, resolve, close, digest); the api and the worker both load it. */
@Module({ providers: [IncidentsService], exports: [IncidentsService] })
export class IncidentsModule {}
