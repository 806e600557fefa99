import { HalfSuccess, type HalfSuccessControls } from './half-success';
import { sendJson as send, startLoopbackFake, type FakeMode, type LoggedRequest } from './loopback-fake';

/** applyThenFail, refuse and heal take Warden's action names as `only`: isolate_host, release_host. */
export interface FakeEdrServer extends HalfSuccessControls {
  /** The API base URL (…/api). */
  url: string;
  /** Host name → isolated. */
  hosts: Map<string, boolean>;
  /** Each with when it arrived (`at`, ms since the epoch). */
  requests: LoggedRequest[];
  /** The host names the server was asked about, decoded from the path, in order. */
  asked: string[];
  addHost(host: string, isolated?: boolean): void;
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

/**
 * The generic HTTP EDR of src/containment/edr.adapter.ts on loopback: bearer
 * auth; `GET /api/hosts/{host}` → `{ host, isolated }` or 404; `POST /api/hosts/{host}/isolate`
 * and `/release`, each a no-op when already in that state. The host is one path segment,
 * percent-decoded; the raw path is read as sent, so an unescaped `/` or `..` would show.
 * applyThenFail makes an isolate or release take effect but answer a failure.
 */
export async function startEdrServer(options: { token: string; hosts?: Record<string, boolean> }): Promise<FakeEdrServer> {
  const hosts = new Map<string, boolean>(Object.entries(options.hosts ?? {}));
  const asked: string[] = [];
  const faults = new HalfSuccess();

  const fake = await startLoopbackFake((req, res) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { error: 'bad token' });
    const [path] = req.url.split('?');
    const [, api, collection, encoded, verb, ...rest] = path.split('/');
    if (api !== 'api' || collection !== 'hosts' || !encoded || rest.length > 0) return send(res, 404, { error: 'no such endpoint' });
    const host = decodeURIComponent(encoded);
    asked.push(host);
    const isolated = hosts.get(host);
    if (isolated === undefined) return send(res, 404, { error: 'no such host' });
    if (req.method === 'GET' && verb === undefined) return send(res, 200, { host, isolated });
    if (req.method !== 'POST' || (verb !== 'isolate' && verb !== 'release')) return send(res, 405, { error: 'method not allowed' });
    try {
      const parsed = JSON.parse(req.body) as { idempotencyKey?: unknown };
      if (typeof parsed.idempotencyKey !== 'string') throw new Error('no key');
    } catch {
      return send(res, 400, { error: 'body must be JSON with an idempotencyKey' });
    }
    const action = `${verb}_host`;
    const refusal = faults.refusal(action);
    if (refusal !== undefined) return send(res, refusal, { error: `${verb} refused by the test` });
    hosts.set(host, verb === 'isolate');
    faults.answer(
      action,
      res,
      () => send(res, 200, { host, isolated: verb === 'isolate' }),
      (status) => send(res, status, { error: `${verb} applied, then failed by the test` }),
    );
  });
  return {
    url: `${fake.origin}/api`,
    hosts,
    requests: fake.requests,
    asked,
    addHost: (host, isolated = false) => void hosts.set(host, isolated),
    setMode: fake.setMode,
    applyThenFail: (answer, only) => faults.applyThenFail(answer, only),
    refuse: (status, only) => faults.refuse(status, only),
    heal: () => faults.heal(),
    answerHeld: () => faults.answerHeld(),
    close: fake.close,
  };
}
