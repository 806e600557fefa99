import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { RedriveService, type RedriveView } from '../playbooks/redrive.service';
import type { Actor } from './actor';

/** Undo again what a playbook run failed to undo (a lead's or admin's action: the route takes the lead scope). */
@Injectable()
export class RedriveCompensations {
  constructor(
    private readonly redrive: RedriveService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { runId: string; actor: Actor }): Promise<RedriveView> {
    const view = await this.redrive.request(command.runId, command.actor.principal);
    this.outbox.nudge();
    return view;
  }
}
