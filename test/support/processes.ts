import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

export interface Launched {
  child: ChildProcess;
  output(): string;
}

/** Runs `src/<entry>` in its own Node process, as `make start` would (through ts-node). */
export function launch(entry: string, env: Record<string, string>): Launched {
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register', join(root, 'src', entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

export function kill(...launched: Launched[]): void {
  for (const p of launched) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}
