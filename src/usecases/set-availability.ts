import { Injectable } from '@nestjs/common';
import { AnalystsService, type AnalystChange, type AnalystView } from '../assignment/analysts.service';
import { mayEditAnalyst, refuseUnless } from '../auth/access';
import { actorName, type Actor } from './actor';

/** Change an analyst's availability, out-of-office or capacity: the analyst themself, or a lead. */
@Injectable()
export class SetAvailability {
  constructor(private readonly analysts: AnalystsService) {}

  execute(command: { analystId: string; actor: Actor; change: AnalystChange }): Promise<AnalystView> {
    const { analystId, actor } = command;
    // Who may change whom depends on the key alone, not on any row: nothing to lock first.
    refuseUnless(mayEditAnalyst(actor.principal, analystId), `${actorName(actor)} may not change analyst ${analystId}`);
    return this.analysts.update(analystId, command.change, actorName(actor));
  }
}
