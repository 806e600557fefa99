/** What a notifier delivers: one per workflow step, `key` unique across all of them. */
export interface OutgoingNotification {
  key: string;
  kind: string;
  /** Analyst ids. */
  recipients: string[];
  taskId: string | null;
  incidentId: string | null;
  title: string;
  text: string;
  data: Record<string, unknown>;
}

/**
 * A channel for notifications. `send` may be called again for the same key after a
 * crash, so a channel that can deduplicate (a delivery id, a stored message id) should.
 */
export interface Notifier {
  readonly name: string;
  send(notification: OutgoingNotification): Promise<void>;
}

export const NOTIFIERS = Symbol('NOTIFIERS');
