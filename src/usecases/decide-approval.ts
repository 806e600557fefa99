import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.service';
import { ApprovalsService, type ApprovalView } from '../playbooks/approvals.service';
import type { Actor } from './actor';

/**
 * Approve or deny a gated playbook step. Decided on the approval's locked row: of two approvers
 * at once (Slack and the API, say) one decision is recorded and the other gets 409.
 */
@Injectable()
export class DecideApproval {
  constructor(
    private readonly approvals: ApprovalsService,
    private readonly outbox: OutboxDispatcher,
  ) {}

  async execute(command: { approvalId: string; actor: Actor; decision: 'approve' | 'deny'; reason: string }): Promise<ApprovalView> {
    const { approvalId, actor } = command;
    const approval = await this.approvals.decide(approvalId, actor.principal, command.decision, command.reason, { origin: actor.origin });
    this.outbox.nudge();
    return approval;
  }
}
