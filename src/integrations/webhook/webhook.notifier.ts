import { type ChannelGate, gatedFetch } from '../../delivery/channel-gate';
import { classifyStatus, DeliveryError, parseRetryAfter, type Notifier, type OutgoingNotification } from '../../notifications/notifier';
import { incidentPageUrl } from '../../common/app-links';
import { signWebhook } from '../../common/webhook-signature';

export interface WebhookNotifierOptions {
  /** `webhook` (NOTIFY_WEBHOOK_URL) or `webhook:<name>` (integrations.yaml). */
  name?: string;
  url: string;
  secret: string;
  /** PUBLIC_URL: each notice links the page a person opens for it. */
  publicUrl: string;
  timeoutMs: number;
  /** The channel's calls in this process (a 429 pauses them; a delivery's lease must have room for each). */
  gate: ChannelGate;
}

/**
 * The page a person opens for a notice: its incident's in the workspace, else the one its data
 * names (a report's), else none. A receiver forwarding notices to people links this.
 */
export function noticePageUrl(publicUrl: string, n: Pick<OutgoingNotification, 'incidentId' | 'data'>): string | null {
  if (n.incidentId) return incidentPageUrl(publicUrl, n.incidentId);
  return typeof n.data.url === 'string' ? n.data.url : null;
}

/**
 * POSTs each notification as JSON, signed in `X-Warden-Signature`. `X-Warden-Delivery`
 * carries the notification key: a retry after a crash repeats it, so receivers drop repeats.
 * A refusal (4xx but 408, 425 and 429) is final; 5xx, 408, 425, 429 and network errors are
 * retried, no sooner than the receiver's Retry-After.
 */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly gate: ChannelGate;
  private readonly fetch: typeof fetch;
  /** Errors name the receiver by origin only: the path of a webhook URL is often its secret, and errors are shown on incidents. */
  private readonly origin: string;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.origin = new URL(options.url).origin;
    this.name = options.name ?? 'webhook';
    this.gate = options.gate;
    this.fetch = gatedFetch(options.gate, fetch);
  }

  async send(n: OutgoingNotification): Promise<void> {
    const body = JSON.stringify({
      key: n.key,
      kind: n.kind,
      recipients: n.recipients,
      taskId: n.taskId,
      incidentId: n.incidentId,
      title: n.title,
      text: n.text,
      url: noticePageUrl(this.options.publicUrl, n),
      data: n.data,
    });
    let res: Response;
    try {
      res = await this.fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Warden',
          'x-warden-delivery': n.key,
          'x-warden-signature': signWebhook(body, this.options.secret),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new DeliveryError(`webhook ${this.origin} unreachable: ${cause}`, false);
    }
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    const verdict = classifyStatus(res.status);
    if (verdict !== 'ok') {
      throw new DeliveryError(
        `webhook ${this.origin} answered ${res.status}`,
        verdict === 'permanent',
        parseRetryAfter(res.headers.get('retry-after')),
      );
    }
  }
}
