import { PermanentActionError } from './adapter';
import { NftablesAdapter } from './nftables.adapter';

describe('NftablesAdapter without nft', () => {
  const adapter = (family: 'ip' | 'ip6' | 'inet' = 'inet', command = ['/nonexistent/nft']) =>
    new NftablesAdapter({ name: 'fw', command, family, table: 'warden', set: 'blocked4', set6: 'blocked6' });
  const block = (target: string) => ({ action: 'block_ip' as const, target, incidentId: 'i', idempotencyKey: 'k' });

  it.each(['10.0.0.1; rm -rf /', '10.0.0.1 } ; flush ruleset ; {', '$(reboot)', ''])(
    'refuses %j before running anything',
    async (target) => {
      await expect(adapter().perform(block(target))).rejects.toThrow(new PermanentActionError('fw: the target is not an IP address'));
    },
  );

  it('refuses an address of the other family than its table', async () => {
    await expect(adapter('ip').perform(block('2001:db8::1'))).rejects.toThrow(/an ip table cannot block the IPv6 address/);
  });

  it('fails for good, naming the command, when nft is not installed', async () => {
    await expect(adapter().perform(block('10.0.0.1'))).rejects.toThrow(
      new PermanentActionError('fw: /nonexistent/nft is not installed (or not on PATH)'),
    );
  });

  it('cannot disable users', async () => {
    await expect(adapter().perform({ ...block('x'), action: 'disable_user' })).rejects.toThrow(PermanentActionError);
  });

  it('refuses table and set names nft would parse as syntax', () => {
    expect(() => new NftablesAdapter({ name: 'fw', command: ['nft'], family: 'inet', table: 'w; flush', set: 'a', set6: 'b' })).toThrow(
      /table must be/,
    );
  });
});
