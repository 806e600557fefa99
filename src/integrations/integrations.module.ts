import { Global, Module } from '@nestjs/common';
import { ENV, type Env } from '../common/env';
import { LogNotifier } from '../notifications/log.notifier';
import { NOTIFIERS, Notifier } from '../notifications/notifier';
import { WebhookNotifier } from './webhook/webhook.notifier';

/**
 * The channels notifications go out on: the log always, the signed webhook when
 * configured. Notifications defines the Notifier port; this module plugs the channels in.
 */
@Global()
@Module({
  providers: [
    {
      provide: NOTIFIERS,
      inject: [ENV],
      useFactory: (env: Env): Notifier[] => {
        const notifiers: Notifier[] = [new LogNotifier()];
        if (env.NOTIFY_WEBHOOK_URL) {
          notifiers.push(
            new WebhookNotifier({
              url: env.NOTIFY_WEBHOOK_URL,
              secret: env.NOTIFY_WEBHOOK_SECRET!,
              timeoutMs: env.NOTIFY_WEBHOOK_TIMEOUT_SECONDS * 1000,
            }),
          );
        }
        return notifiers;
      },
    },
  ],
  exports: [NOTIFIERS],
})
export class IntegrationsModule {}
