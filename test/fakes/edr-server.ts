import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FakeMode, LoggedRequest } from './scim-server';

export interface FakeEdrServer {
  /** The API base URL (…/api). */
  url: string;
  /** Host name → isolated. */
  hosts: Map<string, boolean>;
  requests: LoggedRequest[];
  /** The host names the server was asked about, decoded from the path, in order. */
  asked: string[];
  addHost(host: string, isolated?: boolean): void;
  setMode(mode: FakeMode): void;
  close(): Promise<void>;
}

/**
 * The generic HTTP EDR of src/integrations/containment/edr.adapter.ts on loopback: bearer
 * auth; `GET /api/hosts/{host}` → `{ host, isolated }` or 404; `POST /api/hosts/{host}/isolate`
 * and `/release`, each a no-op when already in that state. The host is one path segment,
 * percent-decoded; the raw path is read as sent, so an unescaped `/` or `..` would show.
 */
export async function startEdrServer(options: { token: string; hosts?: Record<string, boolean> }): Promise<FakeEdrServer> {
  const hosts = new Map<string, boolean>(Object.entries(options.hosts ?? {}));
  const requests: LoggedRequest[] = [];
  const asked: string[] = [];
  const held: ServerResponse[] = [];
  let mode: FakeMode = 'ok';

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (mode === 'hang') return void held.push(res);
    if (mode === 'down') return send(res, 503, { error: 'down' });
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { error: 'bad token' });

    const [path] = (req.url ?? '').split('?');
    const [, api, collection, encoded, verb, ...rest] = path.split('/');
    if (api !== 'api' || collection !== 'hosts' || !encoded || rest.length > 0) return send(res, 404, { error: 'no such endpoint' });
    const host = decodeURIComponent(encoded);
    asked.push(host);
    const isolated = hosts.get(host);
    if (isolated === undefined) return send(res, 404, { error: 'no such host' });
    if (req.method === 'GET' && verb === undefined) return send(res, 200, { host, isolated });
    if (req.method !== 'POST' || (verb !== 'isolate' && verb !== 'release')) return send(res, 405, { error: 'method not allowed' });
    try {
      const parsed = JSON.parse(body) as { idempotencyKey?: unknown };
      if (typeof parsed.idempotencyKey !== 'string') throw new Error('no key');
    } catch {
      return send(res, 400, { error: 'body must be JSON with an idempotencyKey' });
    }
    hosts.set(host, verb === 'isolate');
    return send(res, 200, { host, isolated: verb === 'isolate' });
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api`,
    hosts,
    requests,
    asked,
    addHost: (host, isolated = false) => void hosts.set(host, isolated),
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
