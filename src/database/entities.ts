import { AuditEvent } from '../audit/audit-event.entity';
import { Silence } from '../correlation/silence.entity';
import { Alert } from '../ingest/alert.entity';
import { ApiKey } from '../ingest/api-keys/api-key.entity';
import { Incident } from '../tasks/incident.entity';
import { OutboxMessage } from '../temporal/outbox-message.entity';

/** Every entity, for the DataSource used by the api, the worker and the migration CLI. */
export const entities = [AuditEvent, ApiKey, Alert, Incident, OutboxMessage, Silence];
