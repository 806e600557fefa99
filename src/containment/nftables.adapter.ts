import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ContainmentAdapter, ContainmentRequest, ContainmentResult } from './adapter';
import { BackendCallError, PermanentActionError } from './adapter';
import { normalizeIp } from './allow-list';

export interface NftablesOptions {
  name: string;
  /** The command and any prefix, e.g. ['nft'] or ['ip', 'netns', 'exec', 'fw', 'nft']; run without a shell. */
  command: string[];
  family: 'ip' | 'ip6' | 'inet';
  table: string;
  /** The set of ipv4_addr (unused in an ip6 table). */
  set: string;
  /** The set of ipv6_addr (unused in an ip table). */
  set6: string;
  /** How long one nft run may take. */
  timeoutSeconds?: number;
}

const NAME = /^[A-Za-z0-9_]+$/;

/**
 * Blocks addresses by adding them to a named nftables set, and unblocks by removing them. The
 * rules that drop what is in the sets are set up once: by ensureSet, which a block runs itself
 * when the table does not exist yet, or by hand with the same shape. A table that exists but
 * lacks the set is a configuration error (the adapter never adds rules to someone's table behind
 * their back); otherwise this adapter only changes set elements.
 *
 * An element Warden adds carries a comment derived from the step's idempotency key. So a
 * block that finds its address already there can tell a block of its own (a retry after a
 * lost answer: undo removes it) from one that was there before (undo leaves it in place).
 * nft gets its arguments as an argv array (execFile, no shell), and the address has been
 * parsed as an IP before it is passed. nft applies a command whole or not at all, so only an
 * `add element` killed by its timeout may have blocked without saying so. An unblock of an
 * address that is not there (or of a table or set that is gone) succeeds.
 */
export class NftablesAdapter implements ContainmentAdapter {
  readonly kind = 'nftables';
  readonly actions = ['block_ip', 'unblock_ip'] as const;
  readonly name: string;

  constructor(private readonly options: NftablesOptions) {
    this.name = options.name;
    checkOptions(options);
  }

  async perform(request: ContainmentRequest): Promise<ContainmentResult> {
    if (request.action !== 'block_ip' && request.action !== 'unblock_ip') {
      throw new PermanentActionError(`${this.name}: an nftables adapter cannot ${request.action}`);
    }
    const ip = normalizeIp(request.target);
    if (ip === null) throw new PermanentActionError(`${this.name}: the target is not an IP address`);
    const set = this.setFor(ip);
    const { family, table } = this.options;
    const where = `${family} ${table} ${set}`;

    if (request.action === 'block_ip') {
      const mark = markOf(request.idempotencyKey);
      const present = await this.element(set, ip, true);
      if (present && present.comment !== mark) {
        return { output: { ip, set: where, blocked: true, changed: false }, undo: { alreadyPresent: true } };
      }
      if (!present) {
        await request.beforeChange?.({ alreadyPresent: false });
        await this.nft(['add', 'element', family, table, set, '{', ip, 'comment', `"${mark}"`, '}']);
      }
      return { output: { ip, set: where, blocked: true, changed: true }, undo: { alreadyPresent: false } };
    }

    if (request.undo?.alreadyPresent === true) {
      return { output: { ip, set: where, blocked: true, changed: false, reason: 'blocked before containment; left blocked' } };
    }
    if (!(await this.element(set, ip, false))) return { output: { ip, set: where, blocked: false, changed: false } };
    try {
      await this.nft(['delete', 'element', family, table, set, '{', ip, '}']);
    } catch (err) {
      // Removed by someone else in between: the address is unblocked, which is what was asked.
      if (await this.element(set, ip, false)) throw err;
    }
    return { output: { ip, set: where, blocked: false, changed: true } };
  }

  private setFor(ip: string): string {
    const v4 = isIP(ip) === 4;
    const { family } = this.options;
    if (v4 && family === 'ip6') throw new PermanentActionError(`${this.name}: an ip6 table cannot block the IPv4 address ${ip}`);
    if (!v4 && family === 'ip') throw new PermanentActionError(`${this.name}: an ip table cannot block the IPv6 address ${ip}`);
    return v4 ? this.options.set : this.options.set6;
  }

  /**
   * The element for `ip` in `set` (with its comment), or undefined when absent. A missing table
   * holds nothing: a block (`create`) sets it up with ensureSet first (but refuses a table that
   * lacks the set), an unblock has nothing to do.
   */
  private async element(set: string, ip: string, create: boolean): Promise<{ comment?: string } | undefined> {
    const { family, table } = this.options;
    const list = () => this.nft(['-j', 'list', 'set', family, table, set]);
    let json: string;
    try {
      json = await list();
    } catch (err) {
      if (!isMissing(err)) throw err;
      // Nothing to unblock in a table or set that is not there.
      if (!create) return undefined;
      if (await this.tableExists()) throw err;
      await ensureSet(this.options);
      json = await list();
    }
    let listing: { nftables?: { set?: { elem?: unknown[] } }[] };
    try {
      listing = JSON.parse(json) as typeof listing;
    } catch {
      throw new Error(`${this.name}: nft -j list set printed something that is not JSON`);
    }
    const elems = listing.nftables?.find((entry) => entry.set)?.set?.elem ?? [];
    for (const item of elems) {
      // An element is "10.0.0.5", or { elem: { val: "10.0.0.5", comment: "…" } } when it has a comment or a timeout.
      const elem = typeof item === 'string' ? { val: item } : (item as { elem?: { val?: unknown; comment?: unknown } }).elem;
      if (typeof elem?.val === 'string' && normalizeIp(elem.val) === ip) {
        return typeof elem.comment === 'string' ? { comment: elem.comment } : {};
      }
    }
    return undefined;
  }

  private async tableExists(): Promise<boolean> {
    try {
      await this.nft(['list', 'table', this.options.family, this.options.table]);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  private nft(args: string[]): Promise<string> {
    return runNft(this.name, this.options, args);
  }
}

const isMissing = (err: unknown) => err instanceof PermanentActionError && /No such file or directory/.test(err.message);

/**
 * Creates what is missing of: the table, its set(s), and `input` and `forward` chains with a
 * rule each that drops traffic from addresses in the sets. Existing elements, chains and rules
 * stay (nothing is flushed), so it may be run again, and on a table with rules of its own.
 * For family inet and the defaults it amounts to:
 *
 *   nft add table inet warden
 *   nft add set inet warden blocked4 '{ type ipv4_addr; }'
 *   nft add set inet warden blocked6 '{ type ipv6_addr; }'
 *   nft add chain inet warden input '{ type filter hook input priority -10; policy accept; }'
 *   nft add rule inet warden input ip saddr @blocked4 drop
 *   nft add rule inet warden input ip6 saddr @blocked6 drop
 *   (and the same chain and rules for the forward hook, so routed traffic is dropped too)
 */
export async function ensureSet(options: Omit<NftablesOptions, 'name'> & { name?: string }): Promise<void> {
  const o = { ...options, name: options.name ?? 'nftables' };
  checkOptions(o);
  const { family, table, set, set6 } = o;
  const sets: [string, string, string][] = [];
  if (family !== 'ip6') sets.push([set, 'ipv4_addr', 'ip']);
  if (family !== 'ip') sets.push([set6, 'ipv6_addr', 'ip6']);
  const hooks = ['input', 'forward'];
  // `add` of a table or set that exists changes nothing; a chain is declared only when missing,
  // since `add chain` with another priority than an existing chain's is refused.
  const declare = [`add table ${family} ${table}`];
  for (const [name, type] of sets) declare.push(`add set ${family} ${table} ${name} { type ${type} ; }`);
  await runNft(o.name, o, [declare.join(' ; ')]);
  // `add rule` is not idempotent either: add only the drop rules a chain lacks.
  const commands: string[] = [];
  for (const hook of hooks) {
    const chain = await runNft(o.name, o, ['list', 'chain', family, table, hook]).catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (chain === null) commands.push(`add chain ${family} ${table} ${hook} { type filter hook ${hook} priority -10 ; policy accept ; }`);
    for (const [name, , match] of sets) {
      const rule = `${match} saddr @${name} drop`;
      if (!chain?.split('\n').some((line) => line.trim() === rule)) commands.push(`add rule ${family} ${table} ${hook} ${rule}`);
    }
  }
  if (commands.length > 0) await runNft(o.name, o, [commands.join(' ; ')]);
}

function checkOptions(options: NftablesOptions): void {
  if (options.command.length === 0) throw new Error(`${options.name}: the nftables command is empty`);
  for (const key of ['table', 'set', 'set6'] as const) {
    if (!NAME.test(options[key])) throw new Error(`${options.name}: ${key} must be letters, digits and underscores`);
  }
}

/** Which of our elements this is: a short hash of the block step's idempotency key (nft comments are short). */
function markOf(idempotencyKey: string): string {
  return `warden:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
}

function runNft(name: string, options: NftablesOptions, args: string[]): Promise<string> {
  const [file, ...prefix] = options.command;
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...prefix, ...args],
      { timeout: timeoutSeconds * 1000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') return reject(new PermanentActionError(`${name}: ${file} is not installed (or not on PATH)`));
        if (e.killed)
          return reject(new BackendCallError(`${name}: nft did not finish within ${timeoutSeconds} s`, { kind: 'exited', killed: true }));
        const exited = { kind: 'exited', killed: false } as const;
        const message =
          String(stderr)
            .split('\n')
            .find((line) => line.trim() !== '') ?? e.message;
        const what = `${name}: nft ${args[0] === '-j' ? args.slice(1, 3).join(' ') : args[0].split(' ')[0]} failed: ${message.trim().slice(0, 300)}`;
        // Missing privileges or a missing table/set will not fix themselves on a retry.
        if (/No such file or directory/i.test(String(stderr))) {
          return reject(
            new PermanentActionError(
              `${what} (does the table lack this set? ensureSet in nftables.adapter.ts creates it, or name the right set in containment.yaml)`,
              exited,
            ),
          );
        }
        if (/Operation not permitted|Operation not supported|syntax error/i.test(String(stderr)))
          return reject(new PermanentActionError(what, exited));
        reject(new BackendCallError(what, exited));
      },
    );
  });
}
