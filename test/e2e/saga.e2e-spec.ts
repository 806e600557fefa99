import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiKey } from '../../src/auth/api-keys.service';
import { playbookRedriveWorkflowId, playbookRunWorkflowId } from '../../src/domain';
import { startContainmentWebhook, type FakeContainmentWebhook, type WebhookCall } from '../fakes/containment-webhook';
import { startEdrServer, type FakeEdrServer } from '../fakes/edr-server';
import { pollUntil } from '../support/harness';
import { recordHistory } from '../support/histories';
import { uniqueIp } from '../support/ips';
import { alert, startStack, type Stack } from '../support/stack';

// A saga without leftovers: containment that a backend applied while answering 500 (or never
// answering) is `uncertain` and undone with the rest; a failed undo shows in /health until
// `warden playbooks redrive` (the real CLI) undoes it. Real api, worker, Temporal and Postgres;
// the firewall and the EDR are loopback fakes that can apply a change and then fail.
// Durations are seconds: steps retry twice, one second apart.

const root = join(__dirname, '..', '..');
const run = promisify(execFile);
const warden = (...args: string[]) =>
  run(process.execPath, ['-r', 'ts-node/register', join(root, 'src', 'cli', 'warden.ts'), ...args], {
    cwd: root,
    env: { ...process.env, WARDEN_URL: '', WARDEN_API_KEY: '' },
  }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

const RETRY = 'retry: { attempts: 2, backoff: 1s }';
const FILES = {
  'playbooks/saga-block.yaml': `steps:
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}' }
    timeout: 10s
    ${RETRY}
    compensate: { ${RETRY} }
`,
  // The host is isolated first, then the block is refused: the run stops and undoes the isolation only.
  'playbooks/saga-pair.yaml': `steps:
  - id: isolate
    action: isolate_host
    with: { host: '{{ incident.host }}' }
    ${RETRY}
  - id: block
    action: block_ip
    depends_on: [isolate]
    with: { ip: '{{ incident.source_ip }}' }
    ${RETRY}
`,
  // One attempt of 2 s through a firewall adapter that waits a minute for its answer: the step is
  // given up while the attempt still waits, and the answer comes later.
  'playbooks/saga-late.yaml': `steps:
  - id: block
    action: block_ip
    with: { ip: '{{ incident.source_ip }}', adapter: patient-firewall }
    timeout: 2s
    retry: { attempts: 1 }
`,
};
const RULES = ['saga-block', 'saga-pair', 'saga-late'].map((name) => ({
  name,
  match: { type: name.replace(/-/g, '_') },
  action: 'immediate',
  priority: 'P2',
  assign_role: 'analyst',
  playbooks: [name],
}));

interface StepRow {
  status: string;
  attempts: number;
  reason: string | null;
  undo: Record<string, unknown> | null;
  compensation_status: string | null;
}
interface RunRow {
  id: string;
  status: string;
  reason: string | null;
  finished_at: Date | null;
}

describe('a saga without leftovers (containment fakes that apply, then fail)', () => {
  let stack: Stack;
  let firewall: FakeContainmentWebhook;
  let edr: FakeEdrServer;
  let leadKey: string;

  beforeAll(async () => {
    process.env.SAGA_TEST_FW_SECRET = 'saga-test-firewall-secret';
    process.env.SAGA_TEST_EDR_TOKEN = 'saga-test-edr-token';
    firewall = await startContainmentWebhook({ secret: process.env.SAGA_TEST_FW_SECRET });
    edr = await startEdrServer({ token: process.env.SAGA_TEST_EDR_TOKEN });
    stack = await startStack({
      name: 'saga',
      files: FILES,
      rules: (doc) => {
        doc.rules = [...RULES, ...doc.rules];
      },
      containment: (doc) => {
        doc.adapters.firewall = { type: 'webhook', url: firewall.url, secret_env: 'SAGA_TEST_FW_SECRET', timeout: '2s' };
        doc.adapters['patient-firewall'] = { type: 'webhook', url: firewall.url, secret_env: 'SAGA_TEST_FW_SECRET', timeout: '60s' };
        doc.adapters.edr = { type: 'edr', url: edr.url, token_env: 'SAGA_TEST_EDR_TOKEN', timeout: '2s' };
      },
    });
    leadKey = (await createApiKey(stack.db, 'saga-lead', ['lead'])).key;
  });
  afterEach(() => {
    firewall.heal();
    edr.heal();
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([firewall?.close(), edr?.close()]);
  });

  const post = async (fields: Record<string, unknown>) => {
    const res = await stack.ingest('POST', '/v1/alerts', alert({ severity: 'high', ...fields }));
    expect(res.status).toBe(202);
    return (res.body as { incidentId: string }).incidentId;
  };
  const runOf = (incidentId: string, done: (run: RunRow) => boolean, what: string): Promise<RunRow> =>
    pollUntil(
      async () =>
        (
          await stack.db.query<RunRow[]>(`SELECT id, status, reason, finished_at FROM playbook_runs WHERE incident_id = $1`, [incidentId])
        )[0],
      (r) => r !== undefined && done(r),
      { what: `${what} (incident ${incidentId})`, timeoutMs: 60_000 },
    );
  const stepOf = async (runId: string, stepId: string): Promise<StepRow> =>
    (
      await stack.db.query<StepRow[]>(
        `SELECT status, attempts, reason, undo, compensation_status FROM playbook_steps WHERE run_id = $1 AND step_id = $2`,
        [runId, stepId],
      )
    )[0];
  const stepUntil = (runId: string, stepId: string, done: (s: StepRow) => boolean, what: string) =>
    pollUntil(
      () => stepOf(runId, stepId),
      (s) => s !== undefined && done(s),
      { what: `${what} (run ${runId})`, timeoutMs: 60_000 },
    );
  const resolveAs = async (incidentId: string, disposition: string) => {
    const task = await stack.task(incidentId, (t) => t.assignee_id !== null, 'assignment');
    const lead = await stack.as('marta.reyes', ['lead']);
    const res = await lead('POST', `/v1/tasks/${task.id}/resolve`, { disposition, resolution: 'checked' });
    expect(res.status).toBe(200);
  };
  const health = async () => {
    const res = await fetch(`${stack.api.url}/health`);
    return (await res.json()) as { details: { compensations: { failed: number; oldestFailedAt: string | null } } };
  };
  const sentTo = (target: string) =>
    firewall.requests
      .filter((r: WebhookCall) => r.json?.target === target)
      .map((r) => `${r.json?.action} ${r.json?.idempotencyKey?.endsWith(':undo') ? 'undo' : 'do'}`);

  it('a block the firewall applied while answering 500 on every attempt is uncertain, and resolving false_positive unblocks it', async () => {
    const ip = uniqueIp();
    firewall.applyThenFail(500, 'block_ip');
    const incidentId = await post({ type: 'saga_block', sourceIp: ip });
    const contained = await runOf(incidentId, (r) => r.status === 'failed', 'the run with an uncertain block');
    const uncertain = await stepOf(contained.id, 'block');
    const blockedMeanwhile = firewall.blocked.has(ip);

    await resolveAs(incidentId, 'false_positive');
    const rolledBack = await runOf(incidentId, (r) => r.finished_at !== null, 'the rolled-back run');
    recordHistory(stack.env.TEMPORAL_ADDRESS, playbookRunWorkflowId(contained.id), 'playbook-uncertain');
    expect({
      uncertain: { status: uncertain.status, attempts: uncertain.attempts, reason: uncertain.reason },
      run: { status: contained.status, reason: contained.reason },
      blockedMeanwhile,
      rolledBack: rolledBack.status,
      step: (({ status, compensation_status }) => ({ status, compensation_status }))(await stepOf(contained.id, 'block')),
      blocked: firewall.blocked.has(ip),
      requests: sentTo(ip),
    }).toEqual({
      uncertain: { status: 'uncertain', attempts: 2, reason: expect.stringMatching(/answered 500: block_ip applied, then failed/) },
      run: { status: 'failed', reason: expect.stringMatching(/^block is uncertain: firewall: .* answered 500/) },
      blockedMeanwhile: true,
      rolledBack: 'compensated',
      step: { status: 'uncertain', compensation_status: 'compensated' },
      blocked: false,
      requests: ['block_ip do', 'block_ip do', 'unblock_ip undo'],
    });
  });

  it('an undo the firewall refuses shows in /health until warden playbooks redrive undoes it', async () => {
    const ip = uniqueIp();
    firewall.applyThenFail(500, 'block_ip');
    const incidentId = await post({ type: 'saga_block', sourceIp: ip });
    await runOf(incidentId, (r) => r.status === 'failed', 'the run with an uncertain block');
    firewall.refuse(503, 'unblock_ip');

    await resolveAs(incidentId, 'false_positive');
    const failed = await runOf(incidentId, (r) => r.finished_at !== null, 'the run whose undo failed');
    // No other test here leaves an undo failed: the count is this run's.
    const counted = await pollUntil(health, (h) => h.details.compensations.failed === 1, { what: 'the failed compensation in /health' });
    const stillBlocked = firewall.blocked.has(ip);

    firewall.heal();
    const redrive = await warden('playbooks', 'redrive', '--run', failed.id, '--url', stack.api.url, '--key', leadKey, '--json');
    const cleared = await pollUntil(health, (h) => h.details.compensations.failed === 0, { what: 'no failed compensation in /health' });
    const settled = await runOf(incidentId, (r) => r.status !== 'compensation_failed', 'the re-driven run');
    const redriven = await stack.temporal.workflow.getHandle(playbookRedriveWorkflowId(failed.id)).result();
    recordHistory(stack.env.TEMPORAL_ADDRESS, playbookRedriveWorkflowId(failed.id), 'playbook-redrive');
    expect({
      failed: failed.status,
      counted: counted.details.compensations,
      stillBlocked,
      redrive: { code: redrive.code, out: JSON.parse(redrive.stdout), err: redrive.stderr.trim() },
      cleared: cleared.details.compensations,
      redriven,
      run: settled.status,
      step: (({ status, compensation_status }) => ({ status, compensation_status }))(await stepOf(failed.id, 'block')),
      blocked: firewall.blocked.has(ip),
    }).toEqual({
      failed: 'compensation_failed',
      counted: { failed: 1, oldestFailedAt: expect.any(String) },
      stillBlocked: true,
      redrive: {
        code: 0,
        out: { runId: failed.id, incidentId, playbook: 'saga-block', redriven: ['block'] },
        err: `re-driven 1 failed compensation(s) of run ${failed.id} (saga-block)`,
      },
      cleared: { failed: 0, oldestFailedAt: null },
      redriven: { runId: failed.id, status: 'compensated' },
      run: 'compensated',
      step: { status: 'uncertain', compensation_status: 'compensated' },
      blocked: false,
    });
  });

  it('refuses a redrive with nothing to redo: a run with no failed undo 409, no such run 404, a bad id 400, each naming path:id', async () => {
    const incidentId = await post({ type: 'saga_block', sourceIp: uniqueIp() });
    const contained = await runOf(incidentId, (r) => r.status === 'succeeded', 'the contained run');
    const lead = await stack.as(null, ['lead']);
    const problem = async (id: string) => {
      const res = await lead('POST', `/v1/playbooks/runs/${id}/redrive`);
      return { status: res.status, type: res.headers.get('content-type'), path: res.body.errors?.[0]?.path };
    };
    const cli = await warden('playbooks', 'redrive', '--run', contained.id, '--url', stack.api.url, '--key', leadKey);
    expect({
      nothingFailed: await problem(contained.id),
      unknown: await problem('00000000-0000-4000-8000-000000000000'),
      badId: await problem('not-a-run'),
      cli: { code: cli.code, stderr: cli.stderr.trim() },
    }).toEqual({
      nothingFailed: { status: 409, type: expect.stringContaining('application/problem+json'), path: 'path:id' },
      unknown: { status: 404, type: expect.stringContaining('application/problem+json'), path: 'path:id' },
      badId: { status: 400, type: expect.stringContaining('application/problem+json'), path: 'path:id' },
      cli: { code: 1, stderr: expect.stringContaining(`has no failed compensation to redrive`) },
    });
  });

  it('a block the firewall refuses before applying it (400) stays failed and is not undone; the rest of the run is', async () => {
    const ip = uniqueIp();
    const host = `ws-saga-${ip.replace(/\./g, '-')}`;
    edr.addHost(host);
    firewall.refuse(400, 'block_ip');
    const incidentId = await post({ type: 'saga_pair', sourceIp: ip, host });
    const ended = await runOf(incidentId, (r) => r.finished_at !== null, 'the stopped run');
    const steps = await stack.db.query<{ step_id: string; status: string; compensation_status: string | null }[]>(
      `SELECT step_id, status, compensation_status FROM playbook_steps WHERE run_id = $1 ORDER BY step_id`,
      [ended.id],
    );
    expect({
      run: ended.status,
      steps: steps.map((s) => [s.step_id, s.status, s.compensation_status]),
      isolated: edr.hosts.get(host),
      requests: sentTo(ip),
      blocked: firewall.blocked.has(ip),
    }).toEqual({
      run: 'compensated',
      steps: [
        ['block', 'failed', null],
        ['isolate', 'succeeded', 'compensated'],
      ],
      isolated: false,
      requests: ['block_ip do'],
      blocked: false,
    });
  });

  it('an answer that comes after the step was given up makes it succeeded, with its undo state, and the audit log agrees', async () => {
    const ip = uniqueIp();
    firewall.applyThenFail('timeout', 'block_ip');
    const incidentId = await post({ type: 'saga_late', sourceIp: ip });
    const contained = await runOf(incidentId, (r) => r.status === 'failed', 'the run whose block was given up');
    const givenUp = await stepOf(contained.id, 'block');

    expect(firewall.answerHeld()).toBe(1);
    const late = await stepUntil(contained.id, 'block', (s) => s.status === 'succeeded', 'the late success');
    const audit = await stack.db.query<{ action: string }[]>(
      `SELECT action FROM audit_log WHERE subject_id = $1 AND action LIKE 'playbook.step_%' ORDER BY id`,
      [contained.id],
    );
    await resolveAs(incidentId, 'false_positive');
    const rolledBack = await runOf(incidentId, (r) => r.finished_at !== null, 'the rolled-back run');
    expect({
      givenUp: givenUp.status,
      late: { status: late.status, undo: late.undo, reason: late.reason },
      audit: audit.map((a) => a.action),
      rolledBack: rolledBack.status,
      blocked: firewall.blocked.has(ip),
    }).toEqual({
      givenUp: 'uncertain',
      late: { status: 'succeeded', undo: { wasBlocked: false }, reason: 'succeeded late: the run had recorded it uncertain' },
      audit: ['playbook.step_uncertain', 'playbook.step_succeeded'],
      rolledBack: 'compensated',
      blocked: false,
    });
  });
});
