import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { INVERSE_ACTIONS } from '../../src/domain';
import { verifyWebhook } from '../../src/integrations/webhook/signature';
import type { FakeMode, LoggedRequest } from './scim-server';

export interface WebhookCall extends LoggedRequest {
  /** The signature checked out (verifyWebhook). */
  signed: boolean;
  json?: { action?: string; target?: string; incidentId?: string; idempotencyKey?: string; undo?: Record<string, unknown> };
}

export interface FakeContainmentWebhook {
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
 * again and changes nothing.
 */
export async function startContainmentWebhook(options: { secret: string; blocked?: string[] }): Promise<FakeContainmentWebhook> {
  const blocked = new Set(options.blocked ?? []);
  const requests: WebhookCall[] = [];
  const answered = new Map<string, unknown>();
  const held: ServerResponse[] = [];
  const undoActions = new Set<string>(Object.values(INVERSE_ACTIONS));
  let mode: FakeMode = 'ok';

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const call: WebhookCall = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body,
      signed: verifyWebhook(body, header('x-warden-signature') ?? '', options.secret),
    };
    requests.push(call);
    if (mode === 'hang') return void held.push(res);
    if (mode === 'down') return send(res, 503, { error: 'down' });
    if (!call.signed) return send(res, 401, { error: 'bad signature' });
    try {
      call.json = JSON.parse(body) as WebhookCall['json'];
    } catch {
      return send(res, 400, { error: 'not JSON' });
    }
    const { action, target, undo } = call.json ?? {};
    const key = header('idempotency-key');
    if (!action || typeof target !== 'string' || !key || key !== call.json?.idempotencyKey)
      return send(res, 400, { error: 'missing fields' });
    if (answered.has(key)) return send(res, 200, answered.get(key));

    let answer: unknown;
    if (action in INVERSE_ACTIONS) {
      const wasBlocked = blocked.has(target);
      blocked.add(target);
      answer = { accepted: true, action, target, undo: { wasBlocked } };
    } else if (undoActions.has(action)) {
      if (undo?.wasBlocked !== true) blocked.delete(target);
      answer = { accepted: true, action, target, left: undo?.wasBlocked === true };
    } else {
      return send(res, 422, { error: `unknown action ${action}` });
    }
    answered.set(key, answer);
    return send(res, 200, answer);
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/warden/containment`,
    blocked,
    requests,
    setMode: (m) => {
      mode = m;
    },
    close: async () => {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
