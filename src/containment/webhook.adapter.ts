import { CONTAINMENT_ACTIONS, isContainment, UNDO_ACTIONS } from '../domain';
import type { ContainmentAdapter, ContainmentRequest, ContainmentResult } from './adapter';
import { asObject, callBackend } from './http';
import { signWebhook } from '../common/webhook-signature';

export interface WebhookAdapterOptions {
  name: string;
  url: string;
  secret: string;
  timeoutSeconds: number;
}

/**
 * Any firewall, IdP or EDR with an API, through a small receiver of its owner's: Warden POSTs
 *
 *   { "action": "block_ip", "target": "10.0.0.5", "incidentId": "…", "idempotencyKey": "run:…:block", "undo"?: {…} }
 *
 * signed like notices (X-Warden-Signature: t=<unix>,v1=<HMAC>, see common/webhook-signature.ts) and with `Idempotency-Key`, so
 * the receiver can refuse forgeries and replays and answer a repeat without acting twice. A 2xx
 * answer may be a JSON object; its `undo` object is kept on the step and sent back with the undo
 * action, the rest is shown as the step's output. Undo actions carry the same target; an undo
 * answered 404 or 410 (nothing contained there) has nothing left to do and succeeds. An undo of
 * a step whose answer was lost (`uncertain`) comes without `undo`: the receiver saw the
 * containment's Idempotency-Key, the undo's is that key with `:undo` appended.
 */
export class WebhookAdapter implements ContainmentAdapter {
  readonly kind = 'webhook';
  readonly actions = [...CONTAINMENT_ACTIONS, ...UNDO_ACTIONS];
  readonly name: string;

  constructor(private readonly options: WebhookAdapterOptions) {
    this.name = options.name;
  }

  async perform(request: ContainmentRequest): Promise<ContainmentResult> {
    const body = JSON.stringify({
      action: request.action,
      target: request.target,
      incidentId: request.incidentId,
      idempotencyKey: request.idempotencyKey,
      ...(request.undo ? { undo: request.undo } : {}),
    });
    const undoing = !isContainment(request.action);
    if (!undoing) await request.beforeChange?.();
    const answer = await callBackend(this.name, {
      method: 'POST',
      url: this.options.url,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': request.idempotencyKey,
        'x-warden-signature': signWebhook(body, this.options.secret),
      },
      body,
      timeoutSeconds: this.options.timeoutSeconds,
      accept: undoing ? [404, 410] : undefined,
    });
    if (answer.status === 404 || answer.status === 410)
      return { output: { status: answer.status, changed: false, reason: 'nothing contained there' } };
    const object = asObject(answer.body);
    if (!object) return { output: answer.body === undefined ? { status: answer.status } : { status: answer.status, answer: answer.body } };
    const { undo, ...output } = object;
    const undoState = asObject(undo);
    return undoState ? { output, undo: undoState } : { output };
  }
}
