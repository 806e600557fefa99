import { ApiMetrics } from './api-metrics';
import { splitAddress, WorkerMetrics } from './worker-metrics';

const sample = async (registry: ApiMetrics['registry'], name: string, labels: Record<string, string> = {}) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  )?.value;
};

describe('ApiMetrics', () => {
  it('counts ingest results by format and outcome', async () => {
    const m = new ApiMetrics();
    m.alertsIngested('suricata', [{ status: 'new' }, { status: 'new' }, { status: 'rejected' }, { status: 'new', repeat: true }]);
    expect(await sample(m.registry, 'warden_ingest_alerts_total', { format: 'suricata', outcome: 'accepted' })).toBe(2);
    expect(await sample(m.registry, 'warden_ingest_alerts_total', { format: 'suricata', outcome: 'rejected' })).toBe(1);
    expect(await sample(m.registry, 'warden_ingest_alerts_total', { format: 'suricata', outcome: 'repeat' })).toBe(1);
  });

  it('keeps a registry of its own per instance, with HELP for every warden_ metric', async () => {
    const a = new ApiMetrics();
    const b = new ApiMetrics();
    a.outboxSignal('sent');
    expect(await sample(a.registry, 'warden_outbox_signals_total', { outcome: 'sent' })).toBe(1);
    expect(await sample(b.registry, 'warden_outbox_signals_total', { outcome: 'sent' })).toBe(0);
    const text = await a.registry.metrics();
    const names = [...text.matchAll(/^# TYPE (warden_\w+)/gm)].map((x) => x[1]);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
  });
});

describe('WorkerMetrics', () => {
  it('counts notice deliveries and failures by channel', async () => {
    const m = new WorkerMetrics();
    m.noticeDelivery('slack', 'sent');
    m.noticeDelivery('slack', 'retry');
    m.noticeDelivery('slack', 'failed');
    expect(await sample(m.registry, 'warden_notices_delivered_total', { channel: 'slack' })).toBe(1);
    expect(await sample(m.registry, 'warden_notice_failures_total', { channel: 'slack', outcome: 'retry' })).toBe(1);
    expect(await sample(m.registry, 'warden_notice_failures_total', { channel: 'slack', outcome: 'failed' })).toBe(1);
  });
});

describe('the activity interceptor', () => {
  it('counts each execution by type, and the failures', async () => {
    const m = new WorkerMetrics();
    const ctx = { info: { activityType: 'startIncident' } } as Parameters<WorkerMetrics['activityInterceptor']>[0];
    const execute = m.activityInterceptor(ctx).inbound!.execute!;
    const input = { args: [], headers: {} };
    await expect(execute(input, async () => 'ok')).resolves.toBe('ok');
    await expect(
      execute(input, async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(await sample(m.registry, 'warden_activity_executions_total', { activity_type: 'startIncident' })).toBe(2);
    expect(await sample(m.registry, 'warden_activity_failures_total', { activity_type: 'startIncident' })).toBe(1);
  });
});

describe('splitAddress', () => {
  it('splits host and port, IPv6 in brackets too', () => {
    expect(splitAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(splitAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
  });
});
