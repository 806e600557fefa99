import { Module } from '@nestjs/common';
import { ENV } from '../config/config.module';
import type { Env } from '../config/env';
import { WebhookNotifier } from '../integrations/webhook/webhook.notifier';
import { LogNotifier } from './log.notifier';
import { NOTIFIERS, Notifier } from './notifier';
import { NotificationsService } from './notifications.service';

@Module({
  providers: [
    {
      provide: NOTIFIERS,
      inject: [ENV],
      useFactory: (env: Env): Notifier[] => {
        const notifiers: Notifier[] = [new LogNotifier()];
        if (env.NOTIFY_WEBHOOK_URL) {
          notifiers.push(new WebhookNotifier({ url: env.NOTIFY_WEBHOOK_URL, secret: env.NOTIFY_WEBHOOK_SECRET!, timeoutMs: env.NOTIFY_WEBHOOK_TIMEOUT_SECONDS * 1000 }));
        }
        return notifiers;
      },
    },
    NotificationsService,
  ],
  exports: [NotificationsService],
})
export class NotificationsModule {}
