import { PEOPLE_NOTICE_KINDS, STATE_EVENT_KINDS } from '../../notifications/channels';
import type { KnownBlock } from '@slack/web-api';
import { BLOCK_KIT, messageBlockKitProblems } from '../../../test/fakes/block-kit';
import type { OutgoingNotification } from '../../notifications/notifier';
import type { IncidentSnapshot } from '../snapshot';
import {
  ACTIONS,
  clip,
  directMessage,
  escapeMrkdwn,
  eventReply,
  incidentMessage,
  RESOLVED_COLOUR,
  safe,
  SEVERITY_COLOURS,
  SLACK_LIMITS,
  slackDate,
} from './blocks';
import { rollUpEnrichment, type EnrichmentRollup } from '../../enrichment';

const TASK_ID = '11111111-2222-4333-8444-555555555555';

/** `n` storm sources, the busiest first: 10.0.0.0 with 100 alerts, 10.0.0.1 with 99, … */
const stormTop = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    source: `10.0.0.${i}`,
    alerts: 100 - i,
    firstSeenAt: '2026-01-02T10:00:00.000Z',
    lastSeenAt: '2026-01-02T10:05:00.000Z',
  }));
const APPROVAL_ID = '66666666-7777-4888-9999-aaaaaaaaaaaa';

function snapshot(
  over: { incident?: Partial<IncidentSnapshot['incident']>; task?: Partial<NonNullable<IncidentSnapshot['task']>> | null } = {},
) {
  const s: IncidentSnapshot = {
    incident: {
      id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      title: 'SQL injection on shop',
      severity: 'high',
      priority: 'P2',
      status: 'open',
      types: ['sql_injection'],
      sourceIp: '203.0.113.7',
      user: 'mallory',
      host: 'web-1',
      alertCount: 3,
      firstSeenAt: '2026-01-02T10:00:00.000Z',
      lastSeenAt: '2026-01-02T10:05:00.000Z',
      createdAt: '2026-01-02T10:00:00.000Z',
      resolvedAt: null,
      storm: false,
      team: null,
      ...over.incident,
    },
    task:
      over.task === null
        ? null
        : {
            id: TASK_ID,
            status: 'assigned',
            assigneeId: 'alice',
            assigneeName: 'Alice Analyst',
            ackDeadline: '2026-01-02T10:15:00.000Z',
            resolveDeadline: '2026-01-02T14:00:00.000Z',
            disposition: null,
            checklist: [],
            ...over.task,
          },
    alerts: [
      {
        id: 'a1',
        type: 'sql_injection',
        severity: 'high',
        title: 'UNION SELECT in q',
        sourceIp: '203.0.113.7',
        destinationIp: null,
        user: null,
        host: 'web-1',
        receivedAt: '2026-01-02T10:05:00.000Z',
      },
    ],
    pendingApprovals: [],
    enrichment: rollUpEnrichment([]),
    links: { incident: 'https://warden.example/app#incident/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', jira: null },
  };
  return s;
}

const notice = (over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({
  key: 'k1',
  kind: 'assigned',
  recipients: [],
  taskId: TASK_ID,
  incidentId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  title: 'P2 task assigned to you: SQL injection on shop',
  text: 'expertise in sql_injection',
  data: {},
  ...over,
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every text object in some blocks, with the limit Slack puts on it. */
function texts(blocks: KnownBlock[]): { text: string; limit: number; where: string }[] {
  const out: { text: string; limit: number; where: string }[] = [];
  for (const b of blocks as unknown as Record<string, Json>[]) {
    const t = b.text as { text: string } | undefined;
    if (b.type === 'header' && t) out.push({ text: t.text, limit: SLACK_LIMITS.header, where: 'header' });
    if (b.type === 'section' && t) out.push({ text: t.text, limit: SLACK_LIMITS.sectionText, where: 'section' });
    for (const f of (b.fields as { text: string }[] | undefined) ?? [])
      out.push({ text: f.text, limit: SLACK_LIMITS.field, where: 'field' });
    for (const e of (b.elements as Record<string, Json>[] | undefined) ?? []) {
      if (b.type === 'context') out.push({ text: e.text as string, limit: SLACK_LIMITS.sectionText, where: 'context' });
      if (e.type === 'button') out.push({ text: (e.text as { text: string }).text, limit: SLACK_LIMITS.button, where: 'button' });
    }
  }
  return out;
}

const allText = (m: { text: string; blocks: KnownBlock[] }) => [m.text, ...texts(m.blocks).map((t) => t.text)].join('\n');
const top = (s: IncidentSnapshot) => {
  const m = incidentMessage(s);
  return { text: m.text, blocks: m.attachments[0].blocks };
};
const actionsOf = (blocks: KnownBlock[]) => blocks.filter((b) => b.type === 'actions') as unknown as { elements: Record<string, Json>[] }[];

describe('escapeMrkdwn', () => {
  it('escapes the three control characters', () => {
    expect(escapeMrkdwn('a & <b> c')).toBe('a &amp; &lt;b&gt; c');
  });
});

describe('clip', () => {
  it('leaves short text alone', () => {
    expect(clip('short', 10)).toBe('short');
  });

  it('cuts to the limit with an ellipsis', () => {
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('never cuts inside an entity', () => {
    expect(clip(`${'x'.repeat(8)}&amp;yyyy`, 11)).toBe(`${'x'.repeat(8)}…`);
  });

  it('never leaves half of a <…> token', () => {
    expect(clip('see <https://example.com/a|link> now', 12)).toBe('see …');
  });

  it('never splits a surrogate pair', () => {
    expect(clip(`ab${'😀'.repeat(5)}`, 4)).toBe('ab…');
  });
});

describe('safe', () => {
  it('reads no more of a huge value than it can keep, and marks the cut', () => {
    expect(safe(`${' '.repeat(2000)}${'a'.repeat(10)}`, 100)).toBe('…');
  });

  it('never splits a surrogate pair at its bound', () => {
    // The bound for 100 is 864 units; the emoji's first half is the 864th.
    expect(safe(`${'\n'.repeat(863)}😀${'b'.repeat(10)}`, 100)).toBe('…');
  });
});

describe('slackDate', () => {
  it('uses Slack date formatting with a UTC fallback', () => {
    expect(slackDate('2026-01-02T10:15:00.000Z')).toBe('<!date^1767348900^{date_short_pretty} {time}|2026-01-02 10:15 UTC>');
  });

  it('shows a dash for no date', () => {
    expect(slackDate(null)).toBe('—');
  });

  it('escapes a value that is not a date', () => {
    expect(slackDate('<soon>')).toBe('&lt;soon&gt;');
  });
});

describe('incidentMessage', () => {
  it.each([
    ['critical', SEVERITY_COLOURS.critical],
    ['high', SEVERITY_COLOURS.high],
    ['medium', SEVERITY_COLOURS.medium],
    ['low', SEVERITY_COLOURS.low],
  ] as const)('colours a %s incident %s', (severity, colour) => {
    expect(incidentMessage(snapshot({ incident: { severity } })).attachments[0].color).toBe(colour);
  });

  it('colours a resolved incident green', () => {
    expect(incidentMessage(snapshot({ task: { status: 'resolved', disposition: 'benign' } })).attachments[0].color).toBe(RESOLVED_COLOUR);
  });

  it('shows severity, priority, type, source IP, user, host and counts', () => {
    const text = allText(top(snapshot()));
    for (const part of [
      '*Severity*\nHigh',
      '*Priority*\nP2',
      '*Type*\nsql_injection',
      '`203.0.113.7`',
      '*User*\nmallory',
      '*Host*\nweb-1',
      '*Alerts*\n3',
    ])
      expect(text).toContain(part);
  });

  it('shows the assignee and the deadlines in Slack date format', () => {
    const text = allText(top(snapshot()));
    expect(text).toContain('*Assignee*\nAlice Analyst');
    expect(text).toContain(`*Acknowledge by*\n${slackDate('2026-01-02T10:15:00.000Z')}`);
  });

  it('links the incident and the Jira issue', () => {
    const s = snapshot();
    s.links.jira = { key: 'SOC-12', url: 'https://jira.example/browse/SOC-12' };
    const text = allText(top(s));
    expect(text).toContain(`<${s.links.incident}|Incident ${s.incident.id}>`);
    expect(text).toContain('<https://jira.example/browse/SOC-12|Jira SOC-12>');
  });

  it('lists the storm sources, distinct count and top five', () => {
    const text = allText(top(snapshot({ incident: { storm: true, stormKind: null, stormSources: { distinct: 57, top: stormTop(8) } } })));
    expect(text).toMatch(/57 distinct sources, first seen .*; top: `10\.0\.0\.0` \(100\), .*`10\.0\.0\.4` \(96\)$/m);
  });

  it('says what the storm is: its type, monitor and rule', () => {
    const kind = { rule: 'medium', type: 'port_scan', source: 'suricata' };
    const text = allText(top(snapshot({ incident: { storm: true, stormKind: kind, stormSources: { distinct: 3, top: [] } } })));
    expect(text).toContain(':cyclone: *Storm* of port_scan from suricata (rule medium): 3 distinct sources');
  });

  it('leaves storm sources past the fifth out', () => {
    expect(
      allText(top(snapshot({ incident: { storm: true, stormKind: null, stormSources: { distinct: 57, top: stormTop(8) } } }))),
    ).not.toContain('10.0.0.5');
  });

  it('offers Acknowledge, Take and Resolve while the task waits for an acknowledgement', () => {
    const [actions] = actionsOf(top(snapshot()).blocks);
    expect(actions.elements.map((e) => [e.action_id, e.value ?? null])).toEqual([
      [ACTIONS.ack, TASK_ID],
      [ACTIONS.take, TASK_ID],
      [ACTIONS.resolve, null],
    ]);
  });

  it('carries the task id and disposition in each resolve option', () => {
    const [actions] = actionsOf(top(snapshot()).blocks);
    const options = actions.elements[2].options as { value: string }[];
    expect(options.map((o) => o.value)).toEqual([`${TASK_ID}:true_positive`, `${TASK_ID}:false_positive`, `${TASK_ID}:benign`]);
  });

  it('drops Acknowledge once the task is acknowledged', () => {
    const [actions] = actionsOf(top(snapshot({ task: { status: 'acknowledged' } })).blocks);
    expect(actions.elements.map((e) => e.action_id)).toEqual([ACTIONS.take, ACTIONS.resolve]);
  });

  it('has no buttons once the task is resolved', () => {
    expect(actionsOf(top(snapshot({ task: { status: 'resolved' } })).blocks)).toEqual([]);
  });

  describe('enrichment', () => {
    const enrichment: EnrichmentRollup = {
      countries: [
        { iso: 'SE', name: 'Sweden', alerts: 2 },
        { iso: 'GB', name: 'United Kingdom', alerts: 1 },
      ],
      asns: [{ number: 29518, organization: 'Bredband2 AB', alerts: 2 }],
      techniques: [{ id: 'T1046', name: 'Network Service Discovery', alerts: 2 }],
      tactics: [{ id: 'TA0007', shortname: 'discovery', name: 'Discovery', alerts: 2 }],
      intel: [
        {
          list: 'circl-locky',
          indicator: '50.6.80.163',
          confidence: 80,
          ref: { type: 'misp', event: '5721c2e4-05ec-4af3-9264-411b950d210f', info: 'OSINT - Locky' },
          alerts: 1,
        },
      ],
      assets: [{ kind: 'host', name: 'pay-db-01', criticality: 'critical', owner: 'dba', team: 'payments', tags: [], alerts: 1 }],
      criticality: 'critical',
    };
    const section = (e: EnrichmentRollup) => {
      const s = snapshot();
      s.enrichment = e;
      return texts(top(s).blocks).find((t) => t.text.startsWith('*Countries*') || t.text.startsWith('*Techniques*'))?.text;
    };

    it('shows countries, networks, techniques, tactics, intel hits and assets, one line each', () => {
      expect(section(enrichment)).toBe(
        [
          '*Countries*: SE Sweden, GB United Kingdom',
          '*Networks*: AS29518 Bredband2 AB',
          '*Techniques*: T1046 Network Service Discovery',
          '*Tactics*: TA0007 Discovery',
          '*Threat intel*: `50.6.80.163` on circl-locky (confidence 80, MISP event OSINT - Locky)',
          '*Assets*: pay-db-01 (critical, owner dba, team payments)',
        ].join('\n'),
      );
    });

    it('names five of each kind at most and counts the rest', () => {
      const techniques = Array.from({ length: 7 }, (_, i) => ({ id: `T100${i}`, name: `Technique ${i}`, alerts: 1 }));
      expect(section({ ...rollUpEnrichment([]), techniques })).toBe(
        '*Techniques*: T1000 Technique 0, T1001 Technique 1, T1002 Technique 2, T1003 Technique 3, T1004 Technique 4 +2 more',
      );
    });

    it('escapes a hostile indicator, list, event and asset, and never lets a backtick end the code early', () => {
      const hostile: EnrichmentRollup = {
        ...rollUpEnrichment([]),
        intel: [
          {
            list: '<!channel>',
            indicator: 'http://evil.example/`<@U999>`',
            confidence: 50,
            ref: { type: 'stix', id: 'indicator--1', name: '<http://evil|click> & more' },
            alerts: 1,
          },
        ],
        assets: [{ kind: 'user', name: '<!here>', criticality: 'low', tags: [], alerts: 1 }],
      };
      expect(section({ ...hostile, techniques: [{ id: 'T1046', name: 'Network Service Discovery', alerts: 1 }] })).toBe(
        [
          '*Techniques*: T1046 Network Service Discovery',
          "*Threat intel*: `http://evil.example/'&lt;@U999&gt;'` on &lt;!channel&gt; (confidence 50, STIX &lt;http://evil|click&gt; &amp; more)",
          '*Assets*: &lt;!here&gt; (user, low)',
        ].join('\n'),
      );
    });

    it('adds no block for an incident without enrichment', () => {
      expect(top(snapshot()).blocks.length).toBe(top({ ...snapshot(), enrichment }).blocks.length - 1);
    });
  });

  describe('with a hostile title, user and host', () => {
    const hostile = `<!channel> <script>alert(1)</script> & ${'A'.repeat(10_000)}`;
    const s = snapshot({
      incident: { title: hostile, user: '<@U999> <!here>', host: `<http://evil|click>${'h'.repeat(5000)}`, types: ['<x>'] },
    });
    const m = top(s);

    it('escapes every control character', () => {
      const text = allText(m);
      expect(text).not.toMatch(/<!channel>|<!here>|<script|<@U999>|<http:\/\/evil/);
    });

    it('keeps the escaped text', () => {
      expect(allText(m)).toContain('&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; AAA');
    });

    it('keeps every text within its limit', () => {
      const over = texts(m.blocks).filter((t) => t.text.length > t.limit);
      expect(over).toEqual([]);
    });

    it('keeps the fallback text within its limit', () => {
      expect(m.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    });

    it('keeps at most 50 blocks', () => {
      expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    });

    it('escapes a hostile comment in a reply', () => {
      const reply = eventReply(notice({ kind: 'task.commented', data: { author: '<!channel>', text: hostile } }), s);
      expect(allText(reply)).not.toMatch(/<!channel>|<script/);
    });

    it('keeps a reply within its limits', () => {
      const reply = eventReply(notice({ kind: 'task.commented', data: { author: '<!channel>', text: hostile }, title: hostile }), s);
      expect(texts(reply.blocks).filter((t) => t.text.length > t.limit)).toEqual([]);
    });
  });
});

describe('eventReply', () => {
  const s = snapshot();

  it('says who got the task', () => {
    expect(eventReply(notice(), s).blocks[0]).toMatchObject({
      text: { text: expect.stringContaining('*Assigned*: P2 task assigned to you') },
    });
  });

  it('mentions recipients who have a Slack user', () => {
    const reply = eventReply(notice({ recipients: ['alice', 'bob'] }), s, (id) => (id === 'alice' ? 'U0ALICE' : null));
    expect(allText(reply)).toContain('To: <@U0ALICE>, bob');
  });

  it('ignores a Slack id that is not one', () => {
    const reply = eventReply(notice({ recipients: ['alice'] }), s, () => '!channel');
    expect(allText(reply)).toContain('To: alice');
  });

  it('says nobody was free for an unassigned task', () => {
    expect(allText(eventReply(notice({ kind: 'unassigned', title: 'P2 task has nobody free' }), s))).toContain('*Nobody free to take it*');
  });

  it.each([
    ['escalation', 'Escalated'],
    ['critical', 'Critical incident'],
    ['sla_breach', 'Resolve deadline missed'],
  ])('names the tier of a %s', (kind, what) => {
    const reply = eventReply(notice({ kind, data: { tier: 'executive', ackDeadline: '2026-01-02T10:15:00.000Z' } }), s);
    expect(allText(reply)).toContain(`*${what}* to *executive*`);
  });

  it('says who acknowledged', () => {
    expect(allText(eventReply(notice({ kind: 'task.acknowledged', data: { by: 'analyst:alice' } }), s))).toContain(
      '*Acknowledged* by alice',
    );
  });

  it('gives the disposition of a resolve', () => {
    const reply = eventReply(notice({ kind: 'task.resolved', data: { disposition: 'false_positive', resolution: 'scanner' } }), s);
    expect(allText(reply)).toContain('*Resolved* as *False positive*');
  });

  it('quotes a comment line by line', () => {
    const reply = eventReply(notice({ kind: 'task.commented', data: { author: 'alice', text: 'one\ntwo', origin: 'jira' } }), s);
    expect(allText(reply)).toContain('*alice* commented (via jira):\n>one\n>two');
  });

  it('offers Approve and Deny for an approval', () => {
    const reply = eventReply(
      notice({
        kind: 'approval.requested',
        taskId: null,
        data: { approvalId: APPROVAL_ID, stepId: 'block', action: 'block_ip', role: 'senior_analyst' },
      }),
      s,
    );
    const [actions] = actionsOf(reply.blocks);
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      [ACTIONS.approve, APPROVAL_ID, 'primary'],
      [ACTIONS.deny, APPROVAL_ID, 'danger'],
    ]);
  });

  it('offers no buttons for an approval id that is not one', () => {
    const reply = eventReply(notice({ kind: 'approval.requested', data: { approvalId: 'x"y' } }), s);
    expect(actionsOf(reply.blocks)).toEqual([]);
  });

  it('says how an approval was decided', () => {
    const reply = eventReply(
      notice({ kind: 'approval.decided', data: { decision: 'denied', decidedBy: 'analyst:carol', reason: 'from Slack by Carol' } }),
      s,
    );
    expect(allText(reply)).toContain('*Denied* by carol: from Slack by Carol');
  });

  it('counts alerts and lists the latest from the snapshot', () => {
    const reply = eventReply(notice({ kind: 'incident.alerts_added', data: {} }), snapshot({ incident: { alertCount: 42 } }));
    expect(allText(reply)).toContain('*42 alerts now*; latest:\n• *High* UNION SELECT in q (sql_injection from `203.0.113.7` on web-1)');
  });

  it.each([
    ['playbook.compensation_failed', 'Rollback failed'],
    ['playbook.notify', 'Playbook notice'],
    ['playbook.escalation', 'Playbook escalation'],
  ])('renders %s', (kind, what) => {
    expect(allText(eventReply(notice({ kind, title: 'step x' }), s))).toContain(`*${what}*: step x`);
  });
});

describe('directMessage', () => {
  it('links the incident for an executive', () => {
    const s = snapshot();
    const dm = directMessage(notice({ kind: 'escalation', data: { tier: 'executive' } }), s);
    expect(allText(dm)).toContain(`*<${s.links.incident}|SQL injection on shop>*`);
  });
});

describe("Slack's Block Kit limits, for huge hostile input (checked as the Slack fake checks them)", () => {
  // Far past anything ingest lets through, so the caps here are the last line, not ingest's clipping.
  const huge = (n: number) => `<!channel> &amp; <@U0EVIL> 😀 <http://evil|x> *_~\`\n\t`.repeat(Math.ceil(n / 40)).slice(0, n);
  const uuid = '77777777-8888-4999-8aaa-bbbbbbbbbbbb';
  const s = snapshot({
    incident: {
      title: huge(1_000_000),
      types: Array.from({ length: 10_000 }, (_, i) => `${huge(500)}${i}`),
      sourceIp: huge(100_000),
      user: huge(100_000),
      host: huge(100_000),
      alertCount: 1_000_000_000,
      storm: true,
      stormKind: huge(100_000) as never,
      stormSources: { distinct: 1_000_000, top: Array.from({ length: 10_000 }, (_, i) => ({ ...stormTop(1)[0], source: huge(1000) + i })) },
    },
    task: { assigneeName: huge(100_000), status: 'acknowledged', disposition: huge(10_000) },
  });
  s.alerts = Array.from({ length: 1000 }, (_, i) => ({
    ...s.alerts[0],
    id: `a${i}`,
    title: huge(100_000),
    type: huge(1000),
    host: huge(1000),
  }));
  s.pendingApprovals = Array.from(
    { length: 1000 },
    () => ({ id: uuid, action: huge(10_000), stepId: huge(10_000), role: huge(10_000) }) as never,
  );
  s.links = {
    incident: `https://warden.example/app#incident/${'x'.repeat(100_000)}`,
    jira: { key: huge(10_000), url: `https://jira.example/${'y'.repeat(100_000)}` },
  };
  const data = {
    by: huge(100_000),
    author: huge(100_000),
    text: huge(1_000_000),
    resolution: huge(1_000_000),
    disposition: huge(10_000),
    reason: huge(100_000),
    tier: huge(10_000),
    decidedBy: huge(10_000),
    decision: 'approve',
    approvalId: uuid,
    action: huge(10_000),
    stepId: huge(10_000),
    role: huge(10_000),
    origin: huge(10_000),
    ackDeadline: huge(10_000),
    resolveDeadline: '2026-01-02T14:00:00.000Z',
  };
  const recipients = Array.from({ length: 10_000 }, (_, i) => `analyst-${huge(200)}-${i}`);
  // Every kind Slack takes (all but the digest), and one no version knows.
  const kinds = [...PEOPLE_NOTICE_KINDS.filter((k) => k !== 'digest'), ...STATE_EVENT_KINDS, huge(10_000)];
  const hostileNotice = (kind: string) => notice({ kind, title: huge(1_000_000), text: huge(1_000_000), recipients, data });
  const problems = (m: { text: string; blocks?: unknown; attachments?: unknown }) => [
    ...messageBlockKitProblems(m),
    ...(m.text.length > BLOCK_KIT.messageText ? [`text of ${m.text.length}`] : []),
  ];

  it('the top message is within every limit', () => {
    expect(problems(incidentMessage(s))).toEqual([]);
  });

  it('the top message without a task or with an open one is within every limit', () => {
    expect([
      problems(incidentMessage({ ...s, task: null })),
      problems(incidentMessage(snapshot({ incident: s.incident, task: { status: 'assigned' } }))),
    ]).toEqual([[], []]);
  });

  it.each(kinds.map((k) => [k.slice(0, 40)] as const))('the reply to a %s notice is within every limit', (kind) => {
    const k = kinds.find((x) => x.slice(0, 40) === kind)!;
    expect([problems(eventReply(hostileNotice(k), s, () => 'U0MENTION1')), problems(eventReply(hostileNotice(k), null))]).toEqual([[], []]);
  });

  it.each(['escalation', 'critical', 'sla_breach'])('the direct message of a %s notice is within every limit', (kind) => {
    expect([problems(directMessage(hostileNotice(kind), s)), problems(directMessage(hostileNotice(kind), null))]).toEqual([[], []]);
  });
});
