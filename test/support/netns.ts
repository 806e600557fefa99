import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';

/**
 * Two network namespaces joined by a veth pair, for tests that need real packets: a
 * "firewall" namespace (where nftables drops and a listener answers) and a "source" namespace
 * (where connections come from). Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2.
 *
 *   wsrc-<pid>-<id>  srcIp 10.213.x.2/30, srcIp6 fd13:213:x::2/64  ─veth─  fwIp 10.213.x.1/30, fwIp6 fd13:213:x::1/64  wfw-<pid>-<id>
 */
export interface NetnsPair {
  fw: string;
  src: string;
  fwIp: string;
  srcIp: string;
  fwIp6: string;
  srcIp6: string;
  /** `nft` run inside the firewall namespace: an NftablesAdapter `command`. */
  nftCommand: string[];
}

/** Why this machine cannot run namespace tests (`ip netns add` refused), or null when it can. Decided synchronously, before a suite is defined. */
export function netnsRefusal(): string | null {
  const probe = `wprobe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.error) throw new Error(`cannot run ip (iproute2): ${added.error.message}`);
  if (added.status !== 0) return `this machine refuses network namespaces (ip netns add: ${added.stderr.trim() || `exit ${added.status}`})`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

/** Creates the two namespaces and the veth pair between them, addressed and up. */
export function createNetnsPair(): NetnsPair {
  const id = randomBytes(3).toString('hex');
  const subnet = randomInt(0, 256);
  const pair: NetnsPair = {
    fw: `wfw-${process.pid}-${id}`,
    src: `wsrc-${process.pid}-${id}`,
    fwIp: `10.213.${subnet}.1`,
    srcIp: `10.213.${subnet}.2`,
    fwIp6: `fd13:213:${subnet.toString(16)}::1`,
    srcIp6: `fd13:213:${subnet.toString(16)}::2`,
    nftCommand: [],
  };
  pair.nftCommand = ['ip', 'netns', 'exec', pair.fw, 'nft'];
  // Interface names are at most 15 characters.
  const fwEnd = `wv${id}f`;
  const srcEnd = `wv${id}s`;
  try {
    ip('netns', 'add', pair.fw);
    ip('netns', 'add', pair.src);
    ip('link', 'add', fwEnd, 'netns', pair.fw, 'type', 'veth', 'peer', 'name', srcEnd, 'netns', pair.src);
    for (const [ns, end, v4, v6] of [
      [pair.fw, fwEnd, pair.fwIp, pair.fwIp6],
      [pair.src, srcEnd, pair.srcIp, pair.srcIp6],
    ]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${v4}/30`, 'dev', end);
      // nodad: usable at once, not after duplicate address detection.
      ip('-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', end, 'nodad');
      ip('-n', ns, 'link', 'set', end, 'up');
    }
  } catch (err) {
    destroy(pair);
    throw err;
  }
  return pair;
}

/** Deletes both namespaces (and with them the veth pair and any ruleset inside). Safe to call twice. */
export function destroy(pair: NetnsPair): void {
  for (const ns of [pair.fw, pair.src]) spawnSync('ip', ['netns', 'del', ns]);
}

export interface Listener {
  port: number;
  stop(): Promise<void>;
}

/** A TCP server in the firewall namespace, on both its addresses, answering "ok" to each connection (a client's reset is ignored). */
export async function startListener(pair: NetnsPair, port = 7070): Promise<Listener> {
  const script = `
    const net = require('node:net');
    let ready = 0;
    for (const host of ${JSON.stringify([pair.fwIp, pair.fwIp6])}) {
      net.createServer((s) => s.on('error', () => {}).end('ok')).listen(${port}, host, () => { if (++ready === 2) console.log('listening'); });
    }`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', pair.fw, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`listener in ${pair.fw} exited (${code}): ${stderr.trim()}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Whether a TCP connection from the source namespace to the listener is accepted within `timeoutMs` (a dropped SYN times out). */
export function canConnect(pair: NetnsPair, port: number, { ipv6 = false, timeoutMs = 1000 } = {}): Promise<boolean> {
  const host = ipv6 ? pair.fwIp6 : pair.fwIp;
  const script = `
    const s = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
    s.setTimeout(${timeoutMs}, () => process.exit(1));
    s.on('connect', () => process.exit(0));
    s.on('error', () => process.exit(1));`;
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', pair.src, process.execPath, '-e', script], { timeout: timeoutMs + 5000 }, (err) => resolve(!err));
  });
}

/** Polls canConnect until it gives `expected` or the deadline passes; returns the last answer. */
export async function waitForConnectivity(
  pair: NetnsPair,
  port: number,
  expected: boolean,
  { ipv6 = false, timeoutMs = 15_000 } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await canConnect(pair, port, { ipv6 });
    if (now === expected || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
}
