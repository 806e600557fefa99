import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface KafkaBroker {
  /** host:port */
  address: string;
  stop(): Promise<void>;
}

const root = join(__dirname, '..', '..');

/**
 * A Kafka-protocol broker of the suite's own: franz-go's kfake (tools/kfake, built by
 * scripts/ensure-kfake.sh), on a free port, topics created on first use with 3 partitions.
 */
export async function startKafkaBroker(): Promise<KafkaBroker> {
  const binary = execFileSync(join(root, 'scripts', 'ensure-kfake.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const child = spawn(binary, ['-port', '0', '-partitions', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kfake did not start within 15 s:\n${log}`)), 15_000);
    const seen = (d: Buffer) => {
      log += d;
      const found = /kfake listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return {
    address,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}
