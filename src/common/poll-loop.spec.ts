import { PollLoop } from './poll-loop';

/** A pass that records itself and ends only when released. */
function controlledPasses() {
  const started: (() => void)[] = [];
  let onStart: (() => void) | undefined;
  const pass = () =>
    new Promise<void>((release) => {
      started.push(release);
      onStart?.();
    });
  const nextStart = () => new Promise<void>((resolve) => (onStart = resolve));
  return { pass, started, nextStart };
}

describe(PollLoop.name, () => {
  it('runs once at start, never two passes at once, and once more after a nudge during a pass', async () => {
    const { pass, started, nextStart } = controlledPasses();
    const loop = new PollLoop(pass, 3_600_000);
    const first = nextStart();
    loop.start();
    await first;
    loop.nudge();
    loop.nudge();
    expect(started).toHaveLength(1);
    const second = nextStart();
    started[0]();
    await second;
    expect(started).toHaveLength(2);
    started[1]();
    await loop.stop();
  });

  it('ignores a nudge before start, and stop waits for the pass in progress', async () => {
    const { pass, started, nextStart } = controlledPasses();
    const loop = new PollLoop(pass, 3_600_000);
    loop.nudge();
    expect(started).toHaveLength(0);
    const first = nextStart();
    loop.start();
    await first;
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(loop.stopped).toBe(true);
    await Promise.resolve();
    expect(stopped).toBe(false);
    started[0]();
    await stopping;
    loop.nudge();
    expect(started).toHaveLength(1);
  });
});
