import { Logger } from '@nestjs/common';
import type { Notifier, OutgoingNotification } from './notifier';

/** Always on: every notification is in the worker's log, whatever else is configured. */
export class LogNotifier implements Notifier {
  readonly name = 'log';
  private readonly logger = new Logger('notify');

  async send(n: OutgoingNotification): Promise<void> {
    this.logger.log(`[${n.kind}] to ${n.recipients.join(', ') || 'nobody'}: ${n.title} (${n.key})`);
  }
}
