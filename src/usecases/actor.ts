import { actorOf, type Principal } from '../auth/principal';
import type { ChangeOrigin } from '../notifications/channels';

/**
 * Who acts, however they came in: an API key (REST, the CLI), or a Slack user or Jira account
 * mapped to a roster analyst (principal.ts). `origin` is the channel the action came from,
 * which is not told about it again.
 */
export interface Actor {
  principal: Principal;
  origin?: ChangeOrigin;
}

/** The name the audit log and the task's history give the actor. */
export const actorName = (actor: Actor): string => actorOf(actor.principal);
