import { AuditEvent } from '../audit/audit-event.entity';

/** Every entity, for the DataSource used by the api, the worker and the migration CLI. */
export const entities = [AuditEvent];
