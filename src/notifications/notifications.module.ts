import { Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';

/** Keyed sending; the channels (NOTIFIERS) come from IntegrationsModule. */
@Module({ providers: [NotificationsService], exports: [NotificationsService] })
export class NotificationsModule {}
