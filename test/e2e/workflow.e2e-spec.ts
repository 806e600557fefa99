import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { incidentWorkflowId } from '../../src/domain';
import { incidentWorkflow } from '../../src/temporal/workflows';
import { RunningWorker, startWorker, testEnv, uniqueTaskQueue } from '../support/harness';

describe('incident workflow on the real Temporal server and the real worker', () => {
  const env = testEnv({ TEMPORAL_TASK_QUEUE: uniqueTaskQueue('workflow') });
  let worker: RunningWorker;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    worker = await startWorker(env);
    connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
  });

  it('fails at once, without retrying, for an incident that is not in the database', async () => {
    const incidentId = randomUUID();
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      workflowId: incidentWorkflowId(incidentId),
      args: [{ incidentId }],
    });
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const messages: string[] = [];
    for (let e: any = failure; e; e = e.cause) messages.push(String(e.message));
    expect(messages.join(' | ')).toContain(`No incident ${incidentId}`);
  });
});
