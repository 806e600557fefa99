import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatPath } from '../common/config-files';
import { findCycle, loadPlaybookFile, playbookFileSchema } from './playbook.schema';

const parse = (file: unknown) => playbookFileSchema.parse(file);

/** `path: message` of every problem with the file. */
const problems = (file: unknown): string[] => {
  const result = playbookFileSchema.safeParse(file);
  if (result.success) return [];
  return result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
};

const block = (over: Record<string, unknown> = {}) => ({
  id: 'block',
  action: 'block_ip',
  with: { ip: '{{ incident.source_ip }}' },
  ...over,
});

describe('playbookFileSchema', () => {
  describe('defaults', () => {
    it('fills in retry, timeout and the undo of a containment step', () => {
      expect(parse({ steps: [block()] }).steps[0]).toEqual({
        id: 'block',
        action: 'block_ip',
        with: { ip: '{{ incident.source_ip }}' },
        depends_on: [],
        retry: { attempts: 3, backoffSeconds: 2 },
        timeoutSeconds: 30,
        compensate: { action: 'unblock_ip', with: { ip: '{{ incident.source_ip }}' }, retry: { attempts: 3, backoffSeconds: 2 } },
      });
    });

    it('converts durations to seconds and gives the undo the step retry and adapter', () => {
      const step = parse({
        steps: [
          block({
            with: { ip: '{{ alert.destination_ip }}', adapter: 'waf' },
            retry: { attempts: 5 },
            timeout: '2m',
            approval: { role: 'senior_analyst', timeout: '30m' },
          }),
        ],
      }).steps[0];
      expect(step).toMatchObject({
        retry: { attempts: 5, backoffSeconds: 2 },
        timeoutSeconds: 120,
        approval: { role: 'senior_analyst', timeoutSeconds: 1800, on_timeout: 'deny' },
        compensate: {
          action: 'unblock_ip',
          with: { ip: '{{ alert.destination_ip }}', adapter: 'waf' },
          retry: { attempts: 5, backoffSeconds: 2 },
        },
      });
    });

    it('keeps a written compensation over the defaults', () => {
      const step = parse({
        steps: [
          {
            id: 'disable',
            action: 'disable_user',
            with: { user: '{{ incident.user }}' },
            compensate: { with: { user: '{{ steps.disable.output.account }}' }, retry: { attempts: 10, backoff: '5s' } },
          },
        ],
      }).steps[0];
      expect(step.compensate).toEqual({
        action: 'enable_user',
        with: { user: '{{ steps.disable.output.account }}' },
        retry: { attempts: 10, backoffSeconds: 5 },
      });
    });

    it('fills in the inputs of evidence, escalation and wait', () => {
      const steps = parse({
        steps: [
          { id: 'evidence', action: 'collect_evidence' },
          { id: 'narrow', action: 'collect_evidence', with: { window: '1h', related_by: ['ip'] } },
          { id: 'up', action: 'escalate' },
          { id: 'pause', action: 'wait', with: { duration: '5m' } },
          { id: 'tell', action: 'notify', with: { role: 'team_lead', message: 'Incident {{ incident.id }}' } },
        ],
      }).steps;
      expect(steps.map((s) => s.with)).toEqual([
        { window: 86400, related_by: ['ip', 'user', 'host'] },
        { window: 3600, related_by: ['ip'] },
        { role: 'executive' },
        { duration: 300 },
        { role: 'team_lead', message: 'Incident {{ incident.id }}' },
      ]);
      expect(steps.every((s) => s.compensate === undefined)).toBe(true);
    });

    it('keeps when and description', () => {
      expect(parse({ description: 'd', when: "'malware' in incident.types", steps: [block()] })).toMatchObject({
        description: 'd',
        when: "'malware' in incident.types",
      });
    });
  });

  describe('problems, each with its path', () => {
    it('needs steps', () => {
      expect(problems({})).toEqual([expect.stringMatching(/^steps: /)]);
      expect(problems({ steps: [] })).toEqual(['steps: a playbook needs at least one step']);
    });

    it('refuses unknown keys anywhere', () => {
      expect(problems({ name: 'x', steps: [block({ retries: 3, approval: { role: 'a', timeout: '1m', ontimeout: 'skip' } })] })).toEqual([
        expect.stringMatching(/^steps\[0\]\.approval: Unrecognized key: "ontimeout"/),
        expect.stringMatching(/^steps\[0\]: Unrecognized key: "retries"/),
        expect.stringMatching(/^: Unrecognized key: "name"/),
      ]);
    });

    it('refuses an unknown input and lists the ones the action takes', () => {
      expect(problems({ steps: [block({ with: { ip: '{{ incident.source_ip }}', port: 22 } })] })).toEqual([
        expect.stringMatching(/^steps\[0\]\.with: Unrecognized key: "port"; block_ip takes ip, adapter$/),
      ]);
    });

    it('requires the inputs of each action', () => {
      expect(
        problems({
          steps: [
            { id: 'a', action: 'block_ip' },
            { id: 'b', action: 'isolate_host', with: { ip: '1.2.3.4' } },
            { id: 'c', action: 'notify', with: { message: 'hi' } },
            { id: 'd', action: 'wait' },
          ],
        }),
      ).toEqual([
        expect.stringMatching(/^steps\[0\]\.with\.ip: /),
        expect.stringMatching(/^steps\[1\]\.with\.host: /),
        expect.stringMatching(/^steps\[1\]\.with: Unrecognized key: "ip"/),
        expect.stringMatching(/^steps\[2\]\.with\.role: /),
        expect.stringMatching(/^steps\[3\]\.with\.duration: /),
      ]);
    });

    it('checks a literal address', () => {
      expect(problems({ steps: [block({ with: { ip: 'not-an-ip' } })] })).toEqual([
        'steps[0].with.ip: must be an IP address or a template such as {{ incident.source_ip }}',
      ]);
      expect(problems({ steps: [block({ with: { ip: '2001:db8::1' } })] })).toEqual([]);
    });

    it('refuses an unknown action, a bad id and a duplicate id', () => {
      expect(problems({ steps: [block({ action: 'nuke' }), block({ id: 'Block!' }), block(), block()] })).toEqual([
        expect.stringMatching(/^steps\[0\]\.action: /),
        expect.stringMatching(/^steps\[1\]\.id: must be lower-case/),
      ]);
      expect(problems({ steps: [block(), block()] })).toEqual(['steps[1].id: duplicate step id "block"']);
    });

    it('names a dependency that does not exist', () => {
      expect(problems({ steps: [block(), block({ id: 'b' }), block({ id: 'c', depends_on: ['block', 'nope'] })] })).toEqual([
        'steps[2].depends_on[1]: no step "nope" in this playbook',
      ]);
    });

    it('names the cycle', () => {
      expect(
        problems({
          steps: [block({ id: 'a', depends_on: ['c'] }), block({ id: 'b', depends_on: ['a'] }), block({ id: 'c', depends_on: ['b'] })],
        }),
      ).toEqual(['steps[0].depends_on: dependency cycle: a → c → b → a']);
      expect(problems({ steps: [block({ depends_on: ['block'] })] })).toEqual(['steps[0].depends_on: dependency cycle: block → block']);
    });

    it('reports a condition that does not parse, with its column', () => {
      expect(problems({ when: "incident.severity = 'high'", steps: [block({ if: 'incident.severity ==' })] })).toEqual([
        'when: not a valid condition: column 19: Unexpected character: =',
        'steps[0].if: not a valid condition: column 21: Unexpected token: EOF',
      ]);
    });

    it('reports a condition that is no bool or compares the wrong types, once its paths exist', () => {
      expect(
        problems({ when: 'incident.user', steps: [block({ if: "incident.alert_count > '3'" }), block({ id: 'b', if: 'alert.dst > 3' })] }),
      ).toEqual([
        "when: not a valid condition: column 1: a condition must be true or false, and this one is dyn: compare it (== 'x', != null, > 0)",
        'steps[0].if: not a valid condition: column 1: no such overload: int > string',
        expect.stringMatching(/^steps\[1\]\.if: unknown path "alert.dst": alert has id, source/),
      ]);
    });

    it('reports unknown paths in conditions and templates', () => {
      expect(
        problems({
          when: "incident.src_ip == null && steps.block.status == 'succeeded'",
          steps: [
            block({ if: 'alert.dst != null', with: { ip: '{{ incident.source_ip.x }}' } }),
            { id: 'n', action: 'notify', with: { role: 'r', message: '{{ foo }}' } },
          ],
        }),
      ).toEqual([
        expect.stringMatching(/^when: unknown path "incident.src_ip": incident has id, severity/),
        `when: "steps.block.status": a playbook's when sees only incident and alert, not steps`,
        expect.stringMatching(/^steps\[0\]\.if: unknown path "alert.dst": alert has id, source/),
        'steps[0].with.ip: unknown path "incident.source_ip.x": incident.source_ip has no fields',
        'steps[1].with.message: unknown path "foo": paths start with incident., alert. or steps.',
      ]);
    });

    it('lets a step read only the steps it depends on, directly or not', () => {
      const steps = [
        { id: 'evidence', action: 'collect_evidence' },
        {
          id: 'tell',
          action: 'notify',
          depends_on: ['evidence'],
          with: { role: 'r', message: 'bundle {{ steps.evidence.output.bundle_id }}' },
        },
        block({ depends_on: ['tell'], if: "steps.evidence.status == 'succeeded'" }),
        {
          id: 'loose',
          action: 'notify',
          if: "steps.tell.status == 'succeeded'",
          with: { role: 'r', message: '{{ steps.ghost.output }} {{ steps.tell.state }}' },
        },
      ];
      expect(problems({ steps })).toEqual([
        'steps[3].if: "steps.tell.status": step "tell" is not a dependency of step "loose"; add it to depends_on',
        'steps[3].with.message: "steps.ghost.output": there is no step "ghost"',
        'steps[3].with.message: "steps.tell.state": step "tell" is not a dependency of step "loose"; add it to depends_on',
      ]);
      expect(problems({ steps: steps.slice(0, 3) })).toEqual([]);
    });

    it('lets a compensation read its own step', () => {
      expect(problems({ steps: [block({ compensate: { with: { ip: '{{ steps.block.output.address }}' } } })] })).toEqual([]);
      expect(problems({ steps: [block({ compensate: { with: { ip: '{{ steps.block.state }}' } } })] })).toEqual([
        'steps[0].compensate.with.ip: "steps.block.state": a step has status and output (steps.block.status, steps.block.output.<field>)',
      ]);
    });

    it('compensates only containment, with its inverse', () => {
      expect(problems({ steps: [{ id: 'e', action: 'collect_evidence', compensate: { action: 'unblock_ip' } }] })).toEqual([
        expect.stringMatching(/^steps\[0\]\.compensate: only containment actions \(block_ip, disable_user, isolate_host\)/),
      ]);
      expect(problems({ steps: [block({ compensate: { action: 'enable_user' } })] })).toEqual([
        'steps[0].compensate.action: block_ip is undone by unblock_ip, not enable_user',
      ]);
    });

    it('takes the evidence caps as a count and sizes, and refuses an item cap above the bundle cap', () => {
      const evidence = (w: Record<string, unknown>) => ({ steps: [{ id: 'e', action: 'collect_evidence', with: w }] });
      expect(parse(evidence({ max_items: 20000, max_item_bytes: '64KiB', max_bundle_bytes: '512MiB' })).steps[0].with).toEqual({
        window: 86400,
        related_by: ['ip', 'user', 'host'],
        max_items: 20000,
        max_item_bytes: 65536,
        max_bundle_bytes: 536870912,
      });
      expect(problems(evidence({ max_item_bytes: '1MiB', max_bundle_bytes: '512KiB' }))).toEqual([
        'steps[0].with.max_item_bytes: must not be larger than max_bundle_bytes',
      ]);
      expect(problems(evidence({ max_items: 0, max_bundle_bytes: '2GiB' }))).toEqual([
        'steps[0].with.max_items: Too small: expected number to be >=1',
        'steps[0].with.max_bundle_bytes: must be from 1024 to 1073741824 bytes; got 2147483648',
      ]);
    });

    it('reports malformed templates', () => {
      expect(problems({ steps: [block({ with: { ip: '{{ incident.source_ip' } })] })).toEqual([
        'steps[0].with.ip: unclosed "{{" at character 1',
      ]);
    });

    it('refuses bad retry, timeout and approval values', () => {
      expect(
        problems({
          steps: [
            block({ retry: { attempts: 0, backoff: 'soon' }, timeout: '-1s', approval: { role: 'r', timeout: '1m', on_timeout: 'maybe' } }),
          ],
        }),
      ).toEqual([
        expect.stringMatching(/^steps\[0\]\.retry\.attempts: /),
        expect.stringMatching(/^steps\[0\]\.retry\.backoff: "soon" is not a duration/),
        expect.stringMatching(/^steps\[0\]\.timeout: /),
        expect.stringMatching(/^steps\[0\]\.approval\.on_timeout: /),
      ]);
    });
  });
});

describe(findCycle.name, () => {
  it('finds none in a diamond', () => {
    expect(
      findCycle([
        { id: 'a', depends_on: [] },
        { id: 'b', depends_on: ['a'] },
        { id: 'c', depends_on: ['a'] },
        { id: 'd', depends_on: ['b', 'c'] },
      ]),
    ).toBeNull();
  });
});

describe(loadPlaybookFile.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-playbook-'));

  it('names the playbook after its file and versions it by the hash of its bytes', () => {
    const file = join(dir, 'block-it.yaml');
    writeFileSync(file, "# block\nsteps:\n  - id: block\n    action: block_ip\n    with: { ip: '{{ incident.source_ip }}' }\n");
    const loaded = loadPlaybookFile(file);
    expect(loaded.playbook.name).toBe('block-it');
    expect(loaded.file).toBe(file);
    expect(loaded.version).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('names the file, the path, the line and the reason of a problem', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      'steps:\n  - id: a\n    action: block_ip\n    with: { ip: 10.0.0.1 }\n  - id: b\n    action: wait\n    with: { duration: 5s }\n    depends_on: [a, c]\n',
    );
    try {
      loadPlaybookFile(file);
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        { file, path: 'steps[1].depends_on[1]', line: 8, message: 'no step "c" in this playbook' },
      ]);
    }
  });

  it('refuses a missing file and a file name that cannot be a playbook name', () => {
    expect(() => loadPlaybookFile(join(dir, 'nothing.yaml'))).toThrow(/file does not exist/);
    const file = join(dir, 'Block IP.yaml');
    writeFileSync(file, 'steps: []\n');
    expect(() => loadPlaybookFile(file)).toThrow(/file name must be lower-case/);
  });
});
