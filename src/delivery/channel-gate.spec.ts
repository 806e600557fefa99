import { ChannelGate, LeaseEnding, THROTTLE_MS, gatedFetch, withinLease } from './channel-gate';
import { Lease } from './lease';

const answer = (status: number, retryAfter?: string) => ({
  status,
  headers: { get: (name: string) => (name === 'retry-after' ? (retryAfter ?? null) : null) },
});

describe('ChannelGate', () => {
  it('pauses the channel for the Retry-After of a 429', async () => {
    let now = 0;
    const gate = new ChannelGate('slack', 1000, false, () => now);
    const fetch = gatedFetch(gate, async () => answer(429, '3'));
    await fetch();
    expect(gate.pausedForMs()).toBe(3000);
    now = 2500;
    expect(gate.pausedForMs()).toBe(500);
  });

  it('pauses a 429 without Retry-After for a second', async () => {
    const gate = new ChannelGate('jira', 1000, false, () => 0);
    await gatedFetch(gate, async () => answer(429))();
    expect(gate.pausedForMs()).toBe(1000);
  });

  it('does not pause on other answers', async () => {
    const gate = new ChannelGate('jira', 1000, false, () => 0);
    await gatedFetch(gate, async () => answer(503, '30'))();
    expect(gate.pausedForMs()).toBe(0);
  });

  it('refuses a call the delivery lease has no room for, and says so whatever the client makes of it', async () => {
    const gate = new ChannelGate('jira', 10_000, false);
    const calls: string[] = [];
    const fetch = gatedFetch(gate, async () => {
      calls.push('sent');
      return answer(200);
    });
    const lease = new Lease(5); // 5 s left, a call may take 10 s
    // A client that swallows the refusal into its own error, as the Slack and Jira clients do.
    const send = () => fetch().catch(() => Promise.reject(new Error('request failed')));
    await expect(withinLease(lease, send)).rejects.toBeInstanceOf(LeaseEnding);
    expect(calls).toEqual([]);
  });

  it('runs a serial channel one call at a time', async () => {
    const gate = new ChannelGate('slack', 1000, true);
    let inFlight = 0;
    let most = 0;
    const fetch = gatedFetch(gate, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return answer(200);
    });
    await Promise.all([fetch(), fetch(), fetch()]);
    expect(most).toBe(1);
  });

  it('holds the next serial call of a delivery until the pause a 429 set has ended', async () => {
    let now = 0;
    const gate = new ChannelGate('slack', 1000, true, () => now);
    const sentAt: number[] = [];
    const statuses = [429, 200];
    const fetch = gatedFetch(gate, async () => {
      sentAt.push(now);
      return answer(statuses.shift()!, '1');
    });
    const lease = new Lease(60, () => now);
    const first = withinLease(lease, () => fetch());
    const second = withinLease(lease, async () => {
      // Real time passes in the gate's sleep; the clock it reads jumps past the pause when it wakes.
      setTimeout(() => (now = 1000), 0);
      return fetch();
    });
    await Promise.all([first, second]);
    expect(sentAt).toEqual([0, 1000]);
  });

  it('keeps calls spaced by the Retry-After after a 429 until the channel has been quiet for a while, then lets them go at once again', async () => {
    let now = 0;
    const gate = new ChannelGate('slack', 1000, true, () => now);
    const sentAt: number[] = [];
    const statuses = [429, 200, 200];
    const fetch = gatedFetch(gate, async () => {
      sentAt.push(now);
      return answer(statuses.shift() ?? 200, '1');
    });
    const lease = new Lease(600, () => now);
    // The clock jumps to the moment each wait ends (real time passes in the gate's sleep).
    const at = (t: number) => setTimeout(() => (now = t), 0);
    await withinLease(lease, () => fetch());
    at(1000);
    await withinLease(lease, () => fetch());
    at(2000);
    await withinLease(lease, () => fetch());
    now = 2000 + THROTTLE_MS;
    await withinLease(lease, () => fetch());
    await withinLease(lease, () => fetch());
    expect(sentAt).toEqual([0, 1000, 2000, 2000 + THROTTLE_MS, 2000 + THROTTLE_MS]);
  });
});
