import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/** 'down' answers 503 to everything; 'hang' never answers (until close). */
export type FakeMode = 'ok' | 'down' | 'hang';

export interface LoggedRequest {
  method: string;
  /** As sent (path and query, still encoded). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request arrived (ms since the epoch), before its body was read: spacing between calls is measurable. */
  at: number;
}

export interface LoopbackFake<T extends LoggedRequest> {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: T[];
  setMode(mode: FakeMode): void;
  /** Never answers this request (until close): the client sees a timeout, whatever the handler did. */
  hold(res: ServerResponse): void;
  close(): Promise<void>;
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body?: unknown, contentType = 'application/json'): void {
  res.statusCode = status;
  if (body !== undefined) res.setHeader('content-type', contentType);
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/**
 * The plumbing the backend fakes share: a server on 127.0.0.1 (a free port) that reads each
 * body and logs the request (as `describe` sees it, with its arrival time), answers `down` while
 * 'down' and nothing while 'hang', and otherwise lets `handle` answer.
 */
export async function startLoopbackFake<T extends LoggedRequest = LoggedRequest>(
  handle: (call: T, res: ServerResponse) => void,
  options: { describe?: (request: LoggedRequest) => T; down?: (res: ServerResponse) => void } = {},
): Promise<LoopbackFake<T>> {
  const requests: T[] = [];
  const held: ServerResponse[] = [];
  let mode: FakeMode = 'ok';
  const server = createServer(async (req, res) => {
    const at = Date.now();
    let body = '';
    for await (const chunk of req) body += chunk;
    const logged: LoggedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at };
    const call = options.describe ? options.describe(logged) : (logged as T);
    requests.push(call);
    if (mode === 'hang') return void held.push(res);
    if (mode === 'down') return options.down ? options.down(res) : sendJson(res, 503, { error: 'down' });
    handle(call, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    setMode: (m) => {
      mode = m;
    },
    hold: (res) => void held.push(res),
    close: async () => {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
