import { formatTablesSchema } from '../ingest/normalizers';
import { messageIdentity, messageVerdict, parseMessage, subjectFormat } from './message';

const tables = formatTablesSchema.parse({});
const bytes = (text: string) => new TextEncoder().encode(text);

describe('subjectFormat', () => {
  const patterns = { 'warden.alerts.suricata': 'suricata', 'warden.*.ecs': 'ecs', 'falco.>': 'falco' } as const;

  it.each([
    ['warden.alerts.suricata', 'suricata'],
    ['warden.x.ecs', 'ecs'],
    ['falco.warning.Terminal_shell', 'falco'],
    ['falco.notice', 'falco'],
  ])('maps %s to %s', (subject, format) => expect(subjectFormat(subject, patterns)).toBe(format));

  it.each(['falco', 'warden.alerts.suricata.extra', 'warden.alerts', 'warden.a.b.ecs', 'other'])('maps %s to nothing', (subject) =>
    expect(subjectFormat(subject, patterns)).toBeUndefined(),
  );
});

describe('messageIdentity', () => {
  it('is the log and the position', () => expect(messageIdentity('nats:S:2026-01-01', 42)).toBe('nats:S:2026-01-01:42'));
  it("adds the record's timestamp where one is given (a recreated Kafka topic numbers from 0 again)", () =>
    expect(messageIdentity('kafka:t:0', 7n, undefined, '1796000000000')).toBe('kafka:t:0:7@1796000000000'));
  it("takes a redriven message's original identity: an earlier position of the same log", () =>
    expect(messageIdentity('kafka:t:0', 900n, 'kafka:t:0:17@1796000000000', '1796000000999')).toBe('kafka:t:0:17@1796000000000'));
  it.each([
    ['a later position (a message yet to come)', 'kafka:t:0:901'],
    ['the same position', 'kafka:t:0:900'],
    ['another log', 'kafka:t:1:17'],
    ['a log whose name only starts the same', 'kafka:t:00:17'],
    ['no number', 'kafka:t:0:x'],
    ['more after the timestamp', 'kafka:t:0:17@1796000000000:1'],
  ])('keeps its own identity when the header names %s', (_what, header) =>
    expect(messageIdentity('kafka:t:0', 900n, header)).toBe('kafka:t:0:900'),
  );
});

describe('parseMessage', () => {
  it('maps a native alert as an HTTP body would be', () => {
    const parsed = parseMessage('native', bytes('{"source":"s","type":"port_scan","severity":"low","title":"t"}'), tables);
    expect(parsed).toEqual({ items: [{ pointer: '', alert: { source: 's', type: 'port_scan', severity: 'low', title: 't' } }] });
  });
  it('maps each record of a JSON array', () => {
    const parsed = parseMessage('native', bytes('[{"title":"a"},{"title":"b"}]'), tables);
    expect('items' in parsed && parsed.items.map((i) => i.pointer)).toEqual(['/0', '/1']);
  });
  it.each([
    ['malformed JSON', 'native', bytes('{"a":'), /^malformed JSON: /],
    ['not UTF-8', 'native', new Uint8Array([0x7b, 0xff, 0x7d]), /^the message is not UTF-8 text$/],
    ['empty', 'suricata', bytes('  \n'), /^the message is empty$/],
    ['an empty array', 'native', bytes('[]'), /^the message contains no alerts$/],
    ['on a subject without a format', undefined, bytes('{}'), /^no format is configured/],
  ] as const)('calls a message that is %s poison', (_what, format, data, reason) => {
    const parsed = parseMessage(format, data, tables);
    expect('poison' in parsed && parsed.poison).toMatch(reason);
  });
  it('calls a message over the body limit poison without reading it', () => {
    const parsed = parseMessage('native', new Uint8Array(5 * 1024 * 1024 + 1), tables);
    expect(parsed).toEqual({ poison: 'the message is 5242881 bytes; at most 5242880 are taken' });
  });
});

describe('messageVerdict', () => {
  it('acknowledges a message whose alerts were all stored (repeats included)', () =>
    expect(
      messageVerdict([
        { index: 0, status: 'new' },
        { index: 1, status: 'duplicate', repeat: true },
      ]),
    ).toEqual({ dead: false }));
  it('dead-letters a message with a refused alert, naming each refusal', () =>
    expect(
      messageVerdict([
        { index: 0, status: 'new' },
        { index: 1, status: 'rejected', errors: [{ path: '/1/severity', message: 'must be one of low, medium, high, critical' }] },
      ]),
    ).toEqual({
      dead: true,
      reason: '1 of 2 alerts refused: /1/severity must be one of low, medium, high, critical',
      errors: [{ path: '/1/severity', message: 'must be one of low, medium, high, critical' }],
    }));
});
