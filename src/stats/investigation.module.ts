import { Module } from '@nestjs/common';
import { InvestigationController } from './investigation.controller';
import { InvestigationService } from './investigation.service';

/** The IP investigation REST for analysts (api only). */
@Module({ controllers: [InvestigationController], providers: [InvestigationService], exports: [InvestigationService] })
export class InvestigationsModule {}
