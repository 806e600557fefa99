import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real nats-server with JetStream of the suite's own (Debian's, installed by
 * scripts/ensure-nats.sh), on a free port with a fresh store, so suites never see each
 * other's streams. Stopped, it takes its store with it.
 */
export async function startNatsServer(): Promise<NatsServer> {
  const store = mkdtempSync(join(tmpdir(), 'warden-nats-'));
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', store], {
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 15 s:\n${log}`)), 15_000);
    const seen = (d: Buffer) => {
      log += d;
      const found = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`nats-server could not run (scripts/ensure-nats.sh installs it): ${err.message}`));
    });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}
