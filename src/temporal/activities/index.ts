import type { AuditRecord, AuditService } from '../../audit/audit.service';

export interface ActivityDeps {
  audit: AuditService;
}

/** Activities are thin adapters over Nest services, each idempotent by its key. */
export function createActivities(deps: ActivityDeps) {
  return {
    async recordAudit(event: AuditRecord): Promise<void> {
      await deps.audit.record(event);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
