import { Controller, Headers, HttpCode, Inject, Logger, Optional, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RosterIds } from '../../assignment/roster-ids';
import { ENV, type Env } from '../../common/env';
import { ProblemException } from '../../common/problem';
import { Refusal } from '../../domain';
import { INTEGRATIONS_CONFIG, type IntegrationsConfig } from '../../integrations/integrations.schema';
import { JIRA_CLIENT, type JiraClient } from '../../integrations/jira/jira.channel';
import { FOLLOWED_EVENTS, parseJiraWebhook, webhookDecision, type WebhookDecision } from '../../integrations/jira/jira-sync';
import { IntegrationLinks } from '../../integrations/links';
import { clipText } from '../../ingest/clip';
import { TasksService } from '../../tasks/tasks.service';
import { AcknowledgeTask } from '../acknowledge-task';
import type { Actor } from '../actor';
import { CommentOnTask } from '../comment-on-task';
import { principalForAnalyst } from '../principal';
import { ResolveTask } from '../resolve-task';
import { verifyJiraWebhook } from './signature';

type Answer = { status: 'applied' | 'ignored' | 'refused'; reason?: string };
type Change = Exclude<WebhookDecision, { action: 'ignore' }>;

/**
 * Jira's status changes and comments, brought back to the task. Verified by the shared secret
 * (X-Hub-Signature HMAC of the raw body, or `?secret=`; see signature.ts), so a bad proof changes
 * nothing and answers 401. Events Warden caused itself (its own Jira account, or no newer than
 * its last push to the issue) are answered and ignored, which is what stops a change bouncing
 * between the two systems.
 *
 * The shared secret proves the event is Jira's, not who may act: a change by a Jira account
 * mapped in assignment.yaml runs the use case as that analyst, under the same access rules as
 * the API. A change by an unmapped account, or one those rules refuse, changes nothing but a
 * comment on the task saying who tried what, and the refusal is audited.
 */
@Controller('v1/integrations/jira')
export class JiraWebhookController {
  private readonly logger = new Logger(JiraWebhookController.name);
  /** Warden's own Jira account, looked up once (JIRA_ACCOUNT_ID spares the call). */
  private ownAccount: Promise<string> | null = null;

  constructor(
    private readonly tasks: TasksService,
    private readonly acknowledgeTask: AcknowledgeTask,
    private readonly resolveTask: ResolveTask,
    private readonly commentOnTask: CommentOnTask,
    private readonly links: IntegrationLinks,
    private readonly roster: RosterIds,
    @Inject(INTEGRATIONS_CONFIG) private readonly config: IntegrationsConfig,
    @Inject(ENV) private readonly env: Env,
    @Optional() @Inject(JIRA_CLIENT) private readonly client: JiraClient | null,
  ) {}

  @Post('webhook')
  @HttpCode(200)
  async webhook(
    @Req() req: FastifyRequest & { rawBody?: string | Buffer },
    @Headers('x-hub-signature') signature: string | undefined,
    @Query('secret') querySecret: string | string[] | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Answer> {
    const secret = this.env.JIRA_WEBHOOK_SECRET;
    if (!secret) throw new ProblemException(404, 'The Jira integration is not configured.');
    const rawBody = req.rawBody;
    if (rawBody === undefined) {
      // The JSON body parser keeps the raw text for signatures; without it nothing can be verified.
      this.logger.error('no raw body on the request: the JSON content-type parser must keep req.rawBody');
      throw new ProblemException(401, 'The webhook could not be verified.', [{ path: 'header:x-hub-signature', message: 'unverifiable' }]);
    }
    if (!verifyJiraWebhook({ rawBody, header: signature, querySecret, secret })) {
      throw new ProblemException(401, 'The webhook is not signed with the shared secret.', [
        signature
          ? { path: 'header:x-hub-signature', message: 'does not sign the body with the shared secret' }
          : { path: 'query:secret', message: 'missing or wrong' },
      ]);
    }

    // The JSON parser has parsed it already; parse the raw text only if some other parser kept it.
    let body: unknown = req.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      try {
        body = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
      } catch {
        throw new ProblemException(400, 'The webhook body is not JSON.', [{ path: '/', message: 'malformed JSON' }]);
      }
    }
    const parsed = parseJiraWebhook(body);
    if (!parsed.event) throw new ProblemException(400, 'The webhook body is not a Jira event Warden can read.', parsed.errors);
    const event = parsed.event;
    if (!(FOLLOWED_EVENTS as readonly string[]).includes(event.type) || !event.issueKey) {
      return { status: 'ignored', reason: `event ${event.type} is not followed` };
    }

    const link = await this.links.findByExternal('jira', event.issueKey);
    if (!link) {
      void reply.status(202);
      return { status: 'ignored', reason: 'no Warden task is linked to this issue' };
    }
    const taskId = link.subjectId;
    const task = await this.tasks.get(taskId);
    const decision = webhookDecision(event, {
      wardenAccountId: await this.wardenAccountId(),
      doneStatuses: this.config.jira.doneStatuses,
      resolutions: this.config.jira.resolutions,
      defaultDisposition: this.config.jira.defaultDisposition,
      transitions: this.config.jira.transitions,
      linkedTaskStatus: task.status,
    });
    if (decision.action === 'ignore') return { status: 'ignored', reason: decision.reason };

    const accountId = decision.action === 'comment' ? decision.author : decision.accountId;
    const analyst = accountId ? this.roster.analystByJiraAccount(accountId) : null;
    const who = accountId ? `jira:${accountId}` : 'jira:unknown';
    if (!analyst) {
      await this.tasks.refused(
        taskId,
        who,
        attempted(decision),
        'the Jira account is not mapped to a Warden analyst (assignment.yaml `jira:`)',
        'jira',
      );
      return { status: 'refused', reason: 'the Jira account is not mapped to a Warden analyst' };
    }
    const actor: Actor = { principal: principalForAnalyst(analyst, 'jira'), origin: 'jira' };
    try {
      await this.apply(taskId, decision, actor);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      // Warden changed the task meanwhile (resolved from Slack, say): Jira's change has nothing left to do.
      if (err.kind === 'conflict') return { status: 'ignored', reason: 'the task changed meanwhile' };
      if (err.kind !== 'forbidden') throw err;
      await this.tasks.refused(taskId, `analyst:${analyst.id}`, attempted(decision), err.reason, 'jira');
      return { status: 'refused', reason: err.reason };
    }
    return { status: 'applied' };
  }

  private async apply(taskId: string, decision: Change, actor: Actor): Promise<void> {
    switch (decision.action) {
      case 'resolve':
        await this.resolveTask.execute({ taskId, actor, disposition: decision.disposition, resolution: decision.resolution });
        return;
      case 'comment':
        await this.commentOnTask.execute({ taskId, actor, text: decision.text });
        return;
      case 'status':
        // Both "acknowledged" and "in progress" in Jira mean someone took it: Warden records the acknowledgement.
        await this.acknowledgeTask.execute({ taskId, actor });
        return;
    }
  }

  private async wardenAccountId(): Promise<string | null> {
    if (this.env.JIRA_ACCOUNT_ID) return this.env.JIRA_ACCOUNT_ID;
    if (!this.client) return null;
    this.ownAccount ??= this.client.myself.getCurrentUser().then((u) => {
      if (!u?.accountId) throw new Error('Jira /myself named no account');
      return u.accountId;
    });
    try {
      return await this.ownAccount;
    } catch (err) {
      this.ownAccount = null; // ask again next time
      this.logger.warn(`cannot look up Warden's own Jira account: ${(err as Error).message}`);
      throw new ProblemException(503, "Jira did not say which account is Warden's own; retry later.");
    }
  }
}

/** What a change from Jira tried to do, in the words of the comment that records a refusal. */
function attempted(change: Change): string {
  switch (change.action) {
    case 'resolve':
      return `resolve the task as ${change.disposition.replace(/_/g, ' ')}`;
    case 'status':
      return 'acknowledge the task';
    case 'comment':
      return `comment "${clipText(change.text, 500)}"`;
  }
}
