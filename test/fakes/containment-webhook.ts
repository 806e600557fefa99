import type { ServerResponse } from 'node:http';
import { INVERSE_ACTIONS } from '../../src/domain';
import { verifyWebhook } from '../../src/common/webhook-signature';
import { HalfSuccess, type HalfSuccessControls } from './half-success';
import { sendJson as send, startLoopbackFake, type FakeMode, type LoggedRequest } from './loopback-fake';

export interface WebhookCall extends LoggedRequest {
  /** When it arrived, ms since the epoch. */
  at: number;
  /** The signature checked out (verifyWebhook). */
  signed: boolean;
  json?: { action?: string; target?: string; incidentId?: string; idempotencyKey?: string; undo?: Record<string, unknown> };
}

/** applyThenFail, refuse and heal take Warden's action names as `only` (block_ip, unblock_ip, …). */
export interface FakeContainmentWebhook extends HalfSuccessControls {
  url: string;
  /** Targets currently contained (any kind), as the receiver's backend would hold them. */
  blocked: Set<string>;
  requests: WebhookCall[];
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

/**
 * A receiver for the signed containment webhook, as a firewall owner would run one: it checks
 * X-Warden-Signature (401 when wrong), keeps the contained targets, and
 * answers a containment with `{ accepted, undo: { wasBlocked } }`, so the undo it is later sent
 * leaves a target that was contained before. A repeated Idempotency-Key gets the first answer
 * again and changes nothing. An undo of a target that is not contained answers 200 too (an undo
 * without its undo state, after a lost answer, releases the target). applyThenFail makes a
 * change take effect (and its key be remembered) but answer a failure, on every request while set.
 */
export async function startContainmentWebhook(options: { secret: string; blocked?: string[] }): Promise<FakeContainmentWebhook> {
  const blocked = new Set(options.blocked ?? []);
  const faults = new HalfSuccess();
  const answered = new Map<string, unknown>();
  const undoActions = new Set<string>(Object.values(INVERSE_ACTIONS));
  const header = (call: LoggedRequest, name: string) =>
    typeof call.headers[name] === 'string' ? (call.headers[name] as string) : undefined;

  const handle = (call: WebhookCall, res: ServerResponse) => {
    if (!call.signed) return send(res, 401, { error: 'bad signature' });
    try {
      call.json = JSON.parse(call.body) as WebhookCall['json'];
    } catch {
      return send(res, 400, { error: 'not JSON' });
    }
    const { action, target, undo } = call.json ?? {};
    const key = header(call, 'idempotency-key');
    if (!action || typeof target !== 'string' || !key || key !== call.json?.idempotencyKey)
      return send(res, 400, { error: 'missing fields' });
    if (!(action in INVERSE_ACTIONS) && !undoActions.has(action)) return send(res, 422, { error: `unknown action ${action}` });
    const refusal = faults.refusal(action);
    if (refusal !== undefined) return send(res, refusal, { error: `${action} refused by the test` });
    const reply = (answer: unknown) =>
      faults.answer(
        action,
        res,
        () => send(res, 200, answer),
        (status) => send(res, status, { error: `${action} applied, then failed by the test` }),
      );
    if (answered.has(key)) return reply(answered.get(key));

    let answer: unknown;
    if (action in INVERSE_ACTIONS) {
      const wasBlocked = blocked.has(target);
      blocked.add(target);
      answer = { accepted: true, action, target, undo: { wasBlocked } };
    } else {
      if (undo?.wasBlocked !== true) blocked.delete(target);
      answer = { accepted: true, action, target, left: undo?.wasBlocked === true };
    }
    answered.set(key, answer);
    return reply(answer);
  };

  const fake = await startLoopbackFake<WebhookCall>(handle, {
    describe: (request) => ({
      ...request,
      signed: verifyWebhook(request.body, header(request, 'x-warden-signature') ?? '', options.secret),
    }),
  });
  return {
    url: `${fake.origin}/warden/containment`,
    blocked,
    requests: fake.requests,
    setMode: fake.setMode,
    applyThenFail: (answer, only) => faults.applyThenFail(answer, only),
    refuse: (status, only) => faults.refuse(status, only),
    heal: () => faults.heal(),
    answerHeld: () => faults.answerHeld(),
    close: fake.close,
  };
}
