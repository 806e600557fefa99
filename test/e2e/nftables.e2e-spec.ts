import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { ContainmentRequest } from '../../src/containment/adapter';
import { ensureSet, NftablesAdapter, type NftablesOptions } from '../../src/containment/nftables.adapter';
import {
  canConnect,
  createNetnsPair,
  destroy,
  netnsRefusal,
  startListener,
  waitForConnectivity,
  type Listener,
  type NetnsPair,
} from '../support/netns';

/**
 * The nftables adapter against the real kernel: a firewall namespace and a source namespace
 * joined by a veth pair, a TCP listener in the firewall namespace, and the adapter's `nft` run
 * inside it (`ip netns exec … nft`). Traffic from the source is dropped after block_ip and
 * flows again after the undo. `make test` installs nftables first (scripts/ensure-nftables.sh).
 * Skipped, with the reason printed, only where the machine refuses network namespaces.
 */
const refusal = netnsRefusal();
if (refusal) console.warn(`nftables e2e skipped: ${refusal}`);
const suite = refusal ? describe.skip : describe;

suite('nftables adapter, real packets in network namespaces', () => {
  let pair: NetnsPair;
  let listener: Listener;
  let options: NftablesOptions;
  let adapter: NftablesAdapter;
  const PORT = 7070;

  const request = (
    action: ContainmentRequest['action'],
    target: string,
    undo?: Record<string, unknown>,
    idempotencyKey = `run:${randomUUID()}:${action}`,
  ) => ({
    action,
    target,
    undo,
    incidentId: randomUUID(),
    idempotencyKey,
  });
  const nft = (...args: string[]) => execFileSync(pair.nftCommand[0], [...pair.nftCommand.slice(1), ...args], { encoding: 'utf8' });
  const elements = (set = 'blocked4') => {
    const listing = JSON.parse(nft('-j', 'list', 'set', 'inet', 'warden', set)) as { nftables: { set?: { elem?: unknown[] } }[] };
    return (listing.nftables.find((e) => e.set)?.set?.elem ?? []).map((e) =>
      typeof e === 'string' ? e : (e as { elem: { val: string } }).elem.val,
    );
  };

  beforeAll(async () => {
    try {
      execFileSync('nft', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('nft is not installed: run scripts/ensure-nftables.sh (make test does)');
    }
    pair = createNetnsPair();
    listener = await startListener(pair, PORT);
    options = { name: 'fw', command: pair.nftCommand, family: 'inet', table: 'warden', set: 'blocked4', set6: 'blocked6' };
    await ensureSet(options);
    adapter = new NftablesAdapter(options);
  });
  afterAll(async () => {
    await listener?.stop();
    if (pair) destroy(pair);
  });

  it('lets the source connect before any block', async () => {
    expect(await waitForConnectivity(pair, PORT, true)).toBe(true);
  });

  describe('block, then undo', () => {
    let undo: Record<string, unknown> | undefined;

    it('drops traffic from the source address after block_ip', async () => {
      ({ undo } = await adapter.perform(request('block_ip', pair.srcIp)));
      expect(await waitForConnectivity(pair, PORT, false)).toBe(false);
    });

    it('lets it flow again after the undo', async () => {
      await adapter.perform(request('unblock_ip', pair.srcIp, undo));
      expect(await waitForConnectivity(pair, PORT, true)).toBe(true);
    });
  });

  it('blocks and unblocks an IPv6 source through the IPv6 set', async () => {
    const { undo } = await adapter.perform(request('block_ip', pair.srcIp6));
    const blocked = await waitForConnectivity(pair, PORT, false, { ipv6: true });
    await adapter.perform(request('unblock_ip', pair.srcIp6, undo));
    const flowing = await waitForConnectivity(pair, PORT, true, { ipv6: true });
    expect({ blocked, flowing }).toEqual({ blocked: false, flowing: true });
  });

  it('leaves a block that was there before the containment in place after the undo', async () => {
    nft('add', 'element', 'inet', 'warden', 'blocked4', '{', pair.srcIp, '}');
    try {
      const { undo } = await adapter.perform(request('block_ip', pair.srcIp));
      await adapter.perform(request('unblock_ip', pair.srcIp, undo));
      expect({ undo, set: elements(), connects: await canConnect(pair, PORT) }).toEqual({
        undo: { alreadyPresent: true },
        set: [pair.srcIp],
        connects: false,
      });
    } finally {
      nft('delete', 'element', 'inet', 'warden', 'blocked4', '{', pair.srcIp, '}');
    }
  });

  it('knows its own block on a retry with the same idempotency key, so the undo still removes it', async () => {
    const key = `run:${randomUUID()}:block`;
    await adapter.perform(request('block_ip', '192.0.2.44', undefined, key));
    const retried = await adapter.perform(request('block_ip', '192.0.2.44', undefined, key));
    await adapter.perform(request('unblock_ip', '192.0.2.44', retried.undo));
    expect({ undo: retried.undo, set: elements() }).toEqual({ undo: { alreadyPresent: false }, set: [] });
  });

  it('treats the removal of an address that is not blocked as done', async () => {
    const result = await adapter.perform(request('unblock_ip', '192.0.2.45'));
    expect(result.output).toMatchObject({ blocked: false, changed: false });
  });

  it('sets up a missing table, its sets and drop rules on the first block', async () => {
    const own = new NftablesAdapter({ ...options, table: 'warden_auto' });
    const { undo } = await own.perform(request('block_ip', pair.srcIp));
    const blocked = await waitForConnectivity(pair, PORT, false);
    await own.perform(request('unblock_ip', pair.srcIp, undo));
    const flowing = await waitForConnectivity(pair, PORT, true);
    nft('delete', 'table', 'inet', 'warden_auto');
    expect({ blocked, flowing }).toEqual({ blocked: false, flowing: true });
  });

  it('treats an unblock in a table that does not exist as done, and creates nothing', async () => {
    const result = await new NftablesAdapter({ ...options, table: 'warden_none' }).perform(request('unblock_ip', pair.srcIp));
    expect({ changed: result.output.changed, tables: nft('list', 'tables').includes('warden_none') }).toEqual({
      changed: false,
      tables: false,
    });
  });

  it('fails for good when the table exists without the set', async () => {
    const err = await new NftablesAdapter({ ...options, set: 'nosuchset' }).perform(request('block_ip', pair.srcIp)).catch((e: Error) => e);
    expect({ name: (err as Error).name, message: (err as Error).message }).toEqual({
      name: 'PermanentActionError',
      message: expect.stringContaining('does the table lack this set?'),
    });
  });

  it('ensureSet on a table with rules of its own keeps them', async () => {
    nft(
      'add table inet mine ; add chain inet mine input { type filter hook input priority 0 ; policy accept ; } ; add rule inet mine input tcp dport 9999 accept',
    );
    await ensureSet({ ...options, table: 'mine' });
    const chain = nft('list', 'chain', 'inet', 'mine', 'input');
    nft('delete', 'table', 'inet', 'mine');
    expect(
      ['tcp dport 9999 accept', 'ip saddr @blocked4 drop', 'ip6 saddr @blocked6 drop'].filter((rule) => chain.includes(rule)),
    ).toHaveLength(3);
  });

  it('ensureSet again keeps the elements and adds no duplicate rule', async () => {
    await adapter.perform(request('block_ip', '192.0.2.46'));
    await ensureSet(options);
    const rules = nft('list', 'chain', 'inet', 'warden', 'input').match(/saddr @blocked[46] drop/g);
    const set = elements();
    nft('delete', 'element', 'inet', 'warden', 'blocked4', '{', '192.0.2.46', '}');
    expect({ rules: rules?.length, set }).toEqual({ rules: 2, set: ['192.0.2.46'] });
  });
});
