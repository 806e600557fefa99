import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { incidentWorkflowId } from '../../src/temporal/workflow-ids';
import { incidentWorkflow } from '../../src/temporal/workflows';
import { pollUntil, RunningWorker, startWorker, testEnv, uniqueTaskQueue } from '../support/harness';

describe('incident workflow on the real Temporal server and the real worker', () => {
  const env = testEnv({ TEMPORAL_TASK_QUEUE: uniqueTaskQueue('workflow') });
  let worker: RunningWorker;
  let connection: Connection;
  let client: Client;
  let db: DataSource;

  beforeAll(async () => {
    worker = await startWorker(env);
    connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    client = new Client({ connection });
    db = await new DataSource(dataSourceOptions(env.DATABASE_URL, 2)).initialize();
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await db?.destroy();
  });

  it('runs its activity, which writes the audit log in Postgres, and finishes on the resolve signal', async () => {
    const incidentId = randomUUID();
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      workflowId: incidentWorkflowId(incidentId),
      args: [{ incidentId }],
    });

    const started = await pollUntil(
      () => db.getRepository(AuditEvent).findBy({ subjectId: incidentId }),
      (rows) => rows.length === 1,
      { what: 'workflow_started audit row' },
    );
    expect(started[0]).toMatchObject({ action: 'incident.workflow_started', actor: 'workflow', subjectType: 'incident' });
    expect(await handle.query('status')).toMatchObject({ incidentId, state: 'open' });

    await handle.signal('resolve', { by: 'analyst:alice' });
    expect(await handle.result()).toMatchObject({ incidentId, state: 'resolved' });

    const rows = await db.getRepository(AuditEvent).find({ where: { subjectId: incidentId }, order: { id: 'ASC' } });
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ['incident.workflow_started', 'workflow'],
      ['incident.workflow_closed', 'analyst:alice'],
    ]);
  });
});
