import type { Notifier, OutgoingNotification } from '../../notifications/notifier';
import { signWebhook } from './signature';

export interface WebhookNotifierOptions {
  url: string;
  secret: string;
  timeoutMs: number;
}

/**
 * POSTs each notification as JSON, signed in `X-Warden-Signature`. `X-Warden-Delivery`
 * carries the notification key: a retry after a crash repeats it, so receivers drop repeats.
 */
export class WebhookNotifier implements Notifier {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookNotifierOptions) {}

  async send(n: OutgoingNotification): Promise<void> {
    const body = JSON.stringify({
      key: n.key,
      kind: n.kind,
      recipients: n.recipients,
      taskId: n.taskId,
      incidentId: n.incidentId,
      title: n.title,
      text: n.text,
      data: n.data,
    });
    const res = await fetch(this.options.url, {
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
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`webhook ${this.options.url} answered ${res.status}`);
  }
}
