import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { verifyWebhook } from '../../src/common/webhook-signature';
import type { OutgoingNotification } from '../../src/notifications/notifier';

export interface Delivery {
  id: string;
  signed: boolean;
  /** What the receiver answered; undefined while held (or dropped unanswered). */
  status?: number;
  /** The notice as the webhook notifier posts it. */
  body: OutgoingNotification;
}

/**
 * A webhook receiver as a user would run one: it checks the signature and keeps every
 * delivery, repeats included. `holdNext` keeps the next request waiting, to crash the
 * sender in the middle of it; `failWith` answers every request with an error, as a
 * receiver that is down.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private server?: Server;
  private hold?: { match: (d: Delivery) => boolean; arrived: (d: Delivery) => void };
  private held: { res: ServerResponse; delivery: Delivery }[] = [];
  private failing: number | null = null;
  private failingHeaders: Record<string, string> = {};

  constructor(readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/warden`;
  }

  /** Resolves with the first matching delivery, which gets no answer until `release()`. */
  holdNext(match: (d: Delivery) => boolean): Promise<Delivery> {
    return new Promise((arrived) => (this.hold = { match, arrived }));
  }

  release(): void {
    for (const { res, delivery } of this.held.splice(0)) {
      if (res.destroyed) continue;
      delivery.status = res.statusCode;
      res.end();
    }
  }

  /** Answers every delivery with `status` (kept, as tried), and `headers` (e.g. Retry-After), until called with null. */
  failWith(status: number | null, headers: Record<string, string> = {}): void {
    this.failing = status;
    this.failingHeaders = status === null ? {} : headers;
  }

  keys(): string[] {
    return this.deliveries.map((d) => d.id);
  }

  /** The answers given for one delivery key, in order, e.g. [503, 503, 204]. */
  answers(key: string): (number | undefined)[] {
    return this.deliveries.filter((d) => d.id === key).map((d) => d.status);
  }

  /** Keys answered 2xx, once per answer: a key twice here was delivered twice. */
  accepted(): string[] {
    return this.deliveries.filter((d) => d.status !== undefined && d.status < 300).map((d) => d.id);
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const delivery: Delivery = {
      id: String(req.headers['x-warden-delivery']),
      signed: verifyWebhook(raw, String(req.headers['x-warden-signature'] ?? ''), this.secret),
      body: JSON.parse(raw),
    };
    this.deliveries.push(delivery);
    if (this.hold?.match(delivery)) {
      const { arrived } = this.hold;
      this.hold = undefined;
      this.held.push({ res, delivery });
      arrived(delivery);
      return;
    }
    res.statusCode = delivery.status = this.failing ?? (delivery.signed ? 204 : 401);
    for (const [name, value] of Object.entries(this.failingHeaders)) res.setHeader(name, value);
    res.end();
  }
}
