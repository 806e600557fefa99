import { Body, Controller, Headers, HttpCode, HttpException, Inject, Logger, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RosterIds } from '../../assignment/roster-ids';
import { ENV, type Env } from '../../common/env';
import { ProblemException, type Problem } from '../../common/problem';
import { OPEN_TASK_STATUSES, Refusal } from '../../domain';
import { clip, safe, slackDate } from '../../integrations/slack/blocks';
import { TaskQueriesService } from '../../tasks/task-queries.service';
import { AcknowledgeTask } from '../acknowledge-task';
import type { Actor } from '../actor';
import { DecideApproval } from '../decide-approval';
import { principalForAnalyst } from '../principal';
import { ResolveTask } from '../resolve-task';
import { SetAvailability } from '../set-availability';
import { TakeTask } from '../take-task';
import { HELP_TEXT, isCommandError, parseInteraction, parseSlashCommand, type SlackCommand, type SlackCommandResult } from './interactions';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackSignature } from './signature';

/** The form parser keeps the body exactly as it came: the signature covers those bytes, not the parsed form. */
export type SlackRequest = FastifyRequest & { rawBody?: string };

/** Slack's answer to a slash command, and what a response_url takes. */
export interface EphemeralAnswer {
  response_type: 'ephemeral';
  text: string;
  replace_original?: false;
}

export const NOT_MAPPED =
  'Your Slack user is not mapped to a Warden analyst. Ask a lead to add `slack: <your user id>` to assignment.yaml.';
const FAILED = 'Warden could not do that just now; it has been logged. Try again in a moment.';
/** How many tasks `/warden mine` lists. */
const MINE_LIMIT = 15;
/** A response_url post is best effort: Slack keeps the URL for 30 minutes and five uses. */
const RESPONSE_URL_TIMEOUT_MS = 5000;

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Slack's buttons, menus and `/warden`. Every request is checked against the signing secret
 * (v0, five-minute window) before anything else; then the Slack user is mapped to a roster
 * analyst, who acts with exactly their API rights through the same use cases the API calls.
 *
 * Slack wants an answer within 3 seconds. The action itself (database work) runs before the
 * answer; for buttons the outcome is told afterwards through the response_url, fire and forget.
 * The thread itself learns the change through the normal notification delivery.
 */
@Controller('v1/integrations/slack')
export class SlackInteractionsController {
  private readonly logger = new Logger('SlackInteractions');

  constructor(
    @Inject(ENV) private readonly env: Env,
    private readonly roster: RosterIds,
    private readonly queries: TaskQueriesService,
    private readonly acknowledgeTask: AcknowledgeTask,
    private readonly takeTask: TakeTask,
    private readonly resolveTask: ResolveTask,
    private readonly decideApproval: DecideApproval,
    private readonly setAvailability: SetAvailability,
  ) {}

  @Post('interactions')
  @HttpCode(200)
  async interactions(
    @Req() req: SlackRequest,
    @Body() body: unknown,
    @Headers(SLACK_SIGNATURE_HEADER) signature?: string | string[],
    @Headers(SLACK_TIMESTAMP_HEADER) timestamp?: string | string[],
  ): Promise<void> {
    this.verify(req, signature, timestamp);
    const parsed = parseInteraction(body);
    const text = await this.run(parsed);
    // Answer now; the outcome goes to the response_url after the reply.
    const responseUrl = parsed.responseUrl;
    if (responseUrl) setImmediate(() => void this.respond(responseUrl, text));
  }

  @Post('commands')
  @HttpCode(200)
  async commands(
    @Req() req: SlackRequest,
    @Body() body: unknown,
    @Headers(SLACK_SIGNATURE_HEADER) signature?: string | string[],
    @Headers(SLACK_TIMESTAMP_HEADER) timestamp?: string | string[],
  ): Promise<EphemeralAnswer> {
    this.verify(req, signature, timestamp);
    return { response_type: 'ephemeral', text: await this.run(parseSlashCommand(body)) };
  }

  /** 401 unless Slack signed these very bytes within the last five minutes; nothing has happened yet. */
  private verify(req: SlackRequest, signature?: string | string[], timestamp?: string | string[]): void {
    const secret = this.env.SLACK_SIGNING_SECRET;
    if (!secret) throw new ProblemException(404, 'The Slack integration is not enabled (SLACK_SIGNING_SECRET is not set).');
    if (typeof req.rawBody !== 'string') {
      this.logger.error('no raw body on a Slack request: the form content-type parser must keep it (req.rawBody)');
      throw new ProblemException(401, 'The Slack signature could not be verified.', [
        { path: 'header:x-slack-signature', message: 'no raw body' },
      ]);
    }
    const check = verifySlackSignature({ rawBody: req.rawBody, timestamp: header(timestamp), signature: header(signature), secret });
    if (!check.ok) {
      const path = /timestamp/.test(check.reason) ? `header:${SLACK_TIMESTAMP_HEADER}` : `header:${SLACK_SIGNATURE_HEADER}`;
      throw new ProblemException(401, `The Slack request is not authentic: ${check.reason}.`, [{ path, message: check.reason }]);
    }
  }

  /** Maps the user, acts, and says what happened, in Slack mrkdwn. A refusal (403, 404, 409, 422) is said too. */
  private async run(parsed: SlackCommandResult): Promise<string> {
    if (isCommandError(parsed)) return `Warden did not understand that: ${safe(parsed.error, 300)}.`;
    if (parsed.kind === 'help') return parsed.text ? `${safe(parsed.text, 100)}\n${HELP_TEXT}` : HELP_TEXT;
    const analyst = this.roster.analystBySlackUser(parsed.slackUserId);
    if (!analyst) return NOT_MAPPED;
    const actor: Actor = { principal: principalForAnalyst(analyst, 'slack'), origin: 'slack' };
    try {
      return await this.act(parsed, actor, analyst.name);
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal) return `:no_entry: ${safe(refusal, 1000)}`;
      this.logger.error(`slack ${parsed.kind} by ${analyst.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return FAILED;
    }
  }

  private async act(cmd: SlackCommand, actor: Actor, name: string): Promise<string> {
    const me = actor.principal.analystId!;
    switch (cmd.kind) {
      case 'ack': {
        const task = await this.acknowledgeTask.execute({ taskId: cmd.taskId!, actor });
        return `:eyes: Acknowledged *${safe(task.title, 300)}*.`;
      }
      case 'take': {
        const task = await this.takeTask.execute({ taskId: cmd.taskId!, actor, reason: 'taken in Slack' });
        return `:raised_hand: You took *${safe(task.title, 300)}*.`;
      }
      case 'resolve': {
        const task = await this.resolveTask.execute({ taskId: cmd.taskId!, actor, disposition: cmd.disposition!, resolution: cmd.text });
        return `:white_check_mark: Resolved *${safe(task.title, 300)}* as ${cmd.disposition!.replace(/_/g, ' ')}.`;
      }
      case 'approve':
      case 'deny': {
        const approval = await this.decideApproval.execute({
          approvalId: cmd.approvalId!,
          actor,
          decision: cmd.kind,
          reason: `from Slack by ${name}`,
        });
        const what = `${safe(approval.action, 100)} (step ${safe(approval.stepId, 100)})`;
        return cmd.kind === 'approve' ? `:unlock: Approved ${what}.` : `:no_entry: Denied ${what}.`;
      }
      case 'mine': {
        const { items } = await this.queries.listTasks({ assignee: me, statuses: OPEN_TASK_STATUSES, limit: MINE_LIMIT });
        if (!items.length) return 'You have no open tasks.';
        const lines = items.map(
          (t) => `• *${t.priority}* ${safe(t.title, 200)} (${t.status.replace(/_/g, ' ')}, due ${slackDate(t.dueAt)}) \`${t.id}\``,
        );
        return clip(`Your open tasks${items.length === MINE_LIMIT ? ` (the first ${MINE_LIMIT})` : ''}:\n${lines.join('\n')}`, 3000);
      }
      case 'away': {
        if (cmd.off) {
          // Both run-time settings cleared: assignment.yaml's availability holds again.
          await this.setAvailability.execute({ analystId: me, actor, change: { available: null, outOfOfficeUntil: null } });
          return ':wave: Welcome back: you get new work again.';
        }
        if (cmd.until) {
          await this.setAvailability.execute({ analystId: me, actor, change: { outOfOfficeUntil: cmd.until } });
          return `:palm_tree: Away until ${slackDate(cmd.until)}: no new work until then.`;
        }
        await this.setAvailability.execute({ analystId: me, actor, change: { available: false } });
        return ':palm_tree: Away: no new work until you say `/warden away off`.';
      }
      default:
        return HELP_TEXT;
    }
  }

  /** An ephemeral answer to the clicking user, only to Slack's own response URLs; failures are logged and dropped. */
  private async respond(url: string, text: string): Promise<void> {
    const prefix = this.env.SLACK_RESPONSE_URL_PREFIX;
    if (!prefix || !url.startsWith(prefix)) {
      this.logger.warn(`response_url outside ${prefix} ignored`);
      return;
    }
    const answer: EphemeralAnswer = { response_type: 'ephemeral', replace_original: false, text };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(answer),
        redirect: 'error',
        signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.logger.warn(`response_url answered ${res.status}`);
    } catch (err) {
      this.logger.warn(`response_url unreachable: ${(err as Error).message}`);
    }
  }
}

/** The detail of a refusal (a domain Refusal, or a 4xx the request itself earned), for the user to read; null for anything else. */
export function refusalOf(err: unknown): string | null {
  if (err instanceof Refusal) return err.detail;
  if (!(err instanceof HttpException)) return null;
  const status = err.getStatus();
  if (status < 400 || status >= 500) return null;
  const body = err.getResponse();
  if (typeof body === 'object' && body !== null && typeof (body as Problem).detail === 'string') return (body as Problem).detail;
  return typeof body === 'string' ? body : err.message;
}
