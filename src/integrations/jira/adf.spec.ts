import type { IncidentSnapshot } from '../snapshot';
import { adfToText, cap, commentDoc, issueDescription, MAX_ADF_JSON, MAX_INBOUND_COMMENT, multiLine, oneLine } from './adf';
import { rollUpEnrichment, type EnrichmentRollup } from '../../enrichment';

/**
 * The structure Jira's ADF validator enforces for the nodes Warden writes
 * (developer.atlassian.com/cloud/jira/platform/apis/document/structure/): which children each
 * node may have, non-empty text, and the marks and attributes it takes.
 */
const CHILDREN: Record<string, readonly string[]> = {
  doc: ['paragraph', 'heading', 'bulletList', 'table', 'rule'],
  paragraph: ['text', 'hardBreak'],
  heading: ['text', 'hardBreak'],
  bulletList: ['listItem'],
  listItem: ['paragraph', 'bulletList'],
  table: ['tableRow'],
  tableRow: ['tableHeader', 'tableCell'],
  tableHeader: ['paragraph'],
  tableCell: ['paragraph'],
};
const LEAVES = ['text', 'hardBreak', 'rule'];

function adfProblems(node: any, path = 'doc', top = true): string[] {
  const problems: string[] = [];
  if (top && (node.type !== 'doc' || node.version !== 1)) problems.push(`${path}: must be { type: 'doc', version: 1 }`);
  if (LEAVES.includes(node.type)) {
    if (node.content !== undefined) problems.push(`${path}: a ${node.type} has no content`);
    if (node.type === 'text') {
      if (typeof node.text !== 'string' || node.text.length === 0) problems.push(`${path}: empty text`);
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/.test(node.text))
        problems.push(`${path}: control character`);
      for (const m of node.marks ?? []) {
        if (!['strong', 'em', 'code', 'link'].includes(m.type)) problems.push(`${path}: mark ${m.type}`);
        if (m.type === 'link' && !/^https?:\/\//.test(m.attrs?.href)) problems.push(`${path}: link without an http(s) href`);
      }
    }
    return problems;
  }
  const allowed = CHILDREN[node.type];
  if (!allowed) return [`${path}: unknown node ${node.type}`];
  if (!Array.isArray(node.content)) return [`${path}: content must be an array`];
  if (['bulletList', 'table', 'tableRow', 'listItem', 'tableCell', 'tableHeader'].includes(node.type) && node.content.length === 0)
    problems.push(`${path}: a ${node.type} needs content`);
  if (node.type === 'heading' && !(node.attrs?.level >= 1 && node.attrs?.level <= 6)) problems.push(`${path}: heading level`);
  node.content.forEach((child: any, i: number) => {
    if (!allowed.includes(child.type)) problems.push(`${path}/${i}: ${child.type} inside ${node.type}`);
    problems.push(...adfProblems(child, `${path}/${i}`, false));
  });
  return problems;
}

function texts(node: any): string[] {
  if (node.type === 'text') return [node.text];
  return (node.content ?? []).flatMap(texts);
}

const snapshot = (over: Partial<IncidentSnapshot> = {}): IncidentSnapshot => ({
  incident: {
    id: '0b5f7c3e-1111-4a4a-9c9c-123456789abc',
    title: 'SQL injection against shop',
    severity: 'high',
    priority: 'P2',
    status: 'open',
    types: ['sql_injection'],
    sourceIp: '203.0.113.7',
    user: 'alice',
    host: 'web-1',
    alertCount: 2,
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:01:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
    storm: false,
    team: 'blue',
  },
  task: {
    id: '9d0c6f6e-2222-4b4b-8d8d-abcdefabcdef',
    status: 'assigned',
    assigneeId: 'sam',
    assigneeName: 'Sam Senior',
    ackDeadline: '2026-01-01T00:15:00.000Z',
    resolveDeadline: '2026-01-01T04:00:00.000Z',
    disposition: null,
    checklist: ['Check the WAF logs', 'Block the source IP'],
  },
  alerts: [
    {
      id: 'a1',
      type: 'sql_injection',
      severity: 'high',
      title: "' OR 1=1 --",
      sourceIp: '203.0.113.7',
      destinationIp: '10.0.0.5',
      user: 'alice',
      host: 'web-1',
      receivedAt: '2026-01-01T00:01:00.000Z',
    },
    {
      id: 'a2',
      type: 'sql_injection',
      severity: 'high',
      title: 'UNION SELECT',
      sourceIp: '203.0.113.7',
      destinationIp: null,
      user: null,
      host: null,
      receivedAt: '2026-01-01T00:00:00.000Z',
    },
  ],
  pendingApprovals: [],
  enrichment: rollUpEnrichment([]),
  links: { incident: 'https://warden.example/app#incident/0b5f7c3e-1111-4a4a-9c9c-123456789abc', jira: null },
  ...over,
});

const HOSTILE = 'evil\u0000\u0007\u001b[31m\u202Egnp.exe\u2066 \n\n<script>alert(1)</script>\r\n\uD800 tail';

describe('adf', () => {
  describe(issueDescription.name, () => {
    it('is a well-formed ADF document', () => {
      expect(adfProblems(issueDescription(snapshot()))).toEqual([]);
    });

    it('has a row per alert, with the seven columns', () => {
      const table = issueDescription(snapshot()).content.find((b) => b.type === 'table') as any;
      expect(table.content.map((row: any) => row.content.length)).toEqual([7, 7, 7]);
      expect(texts(table.content[0])).toEqual(['Type', 'Severity', 'Source IP', 'User', 'Host', 'Time', 'Title']);
      expect(texts(table.content[1])).toEqual([
        'sql_injection',
        'high',
        '203.0.113.7',
        'alice',
        'web-1',
        '2026-01-01T00:01:00.000Z',
        "' OR 1=1 --",
      ]);
    });

    it('lists the checklist and links to the incident', () => {
      const doc = issueDescription(snapshot());
      const list = doc.content.find((b) => b.type === 'bulletList');
      expect(texts(list)).toEqual(['Check the WAF logs', 'Block the source IP']);
      expect(JSON.stringify(doc)).toContain('"href":"https://warden.example/app#incident/0b5f7c3e-1111-4a4a-9c9c-123456789abc"');
    });

    it('keeps hostile strings as clean text: no control or bidi characters, no empty text nodes', () => {
      const s = snapshot();
      s.incident.title = HOSTILE;
      s.incident.user = HOSTILE;
      s.alerts[0].title = HOSTILE;
      s.alerts[0].host = '';
      s.task!.checklist = [HOSTILE, ''];
      const doc = issueDescription(s);
      expect(adfProblems(doc)).toEqual([]);
      expect(texts(doc).join(' ')).toContain('<script>alert(1)</script>');
    });

    it('fits Jira\u2019s size limit however long the strings are', () => {
      const s = snapshot();
      const long = 'x'.repeat(100_000);
      s.incident.title = long;
      s.alerts = Array.from({ length: 20 }, (_, i) => ({ ...s.alerts[0], id: `a${i}`, title: long, user: long, host: long, type: long }));
      s.task!.checklist = Array.from({ length: 200 }, () => long);
      const doc = issueDescription(s);
      expect(JSON.stringify(doc).length).toBeLessThanOrEqual(MAX_ADF_JSON);
      expect(adfProblems(doc)).toEqual([]);
    });

    describe('enrichment', () => {
      const enrichment: EnrichmentRollup = {
        countries: Array.from({ length: 7 }, (_, i) => ({ iso: `C${i}`, name: `Country ${i}`, alerts: 7 - i })),
        asns: [{ number: 29518, organization: 'Bredband2 AB', alerts: 2 }],
        techniques: [{ id: 'T1046', name: 'Network Service Discovery', alerts: 2 }],
        tactics: [{ id: 'TA0007', shortname: 'discovery', name: 'Discovery', alerts: 2 }],
        intel: [
          {
            list: 'circl-locky',
            indicator: '50.6.80.163',
            confidence: 80,
            ref: { type: 'misp', event: '5721c2e4-05ec-4af3-9264-411b950d210f', info: HOSTILE },
            alerts: 1,
          },
        ],
        assets: [{ kind: 'host', name: 'pay-db-01', criticality: 'critical', owner: 'dba', team: 'payments', tags: [], alerts: 1 }],
        criticality: 'critical',
      };
      const doc = issueDescription(snapshot({ enrichment }));
      const at = doc.content.findIndex((b) => b.type === 'heading' && texts(b).join('') === 'Enrichment');
      const items = (doc.content[at + 1] as any).content.map((item: any) => item.content[0].content);

      it('lists countries (five, and how many more), networks, techniques, tactics, intel hits and assets under a heading', () => {
        expect(items.map((inline: any[]) => inline.map((t) => t.text).join(''))).toEqual([
          'Countries: C0 Country 0, C1 Country 1, C2 Country 2, C3 Country 3, C4 Country 4 +2 more',
          'Networks: AS29518 Bredband2 AB',
          'Techniques: T1046 Network Service Discovery',
          'Tactics: TA0007 Discovery',
          'Threat intel: 50.6.80.163 on circl-locky (confidence 80, MISP event evil[31mgnp.exe <script>alert(1)</script> \uFFFD tail)',
          'Assets: pay-db-01 (critical, owner dba, team payments)',
        ]);
      });

      it('sets each label in bold, and stays well-formed with a hostile event name', () => {
        expect([items.map((inline: any[]) => inline[0].marks), adfProblems(doc)]).toEqual([
          Array.from({ length: 6 }, () => [{ type: 'strong' }]),
          [],
        ]);
      });

      it('comes before the alerts', () => {
        expect(doc.content[at + 2]).toMatchObject({ type: 'heading', content: [{ text: 'Alerts (2)' }] });
      });

      it('is left out for an incident without enrichment', () => {
        expect(texts(issueDescription(snapshot()))).not.toContain('Enrichment');
      });
    });

    it('makes no link of a URL that is not http(s)', () => {
      const doc = issueDescription(snapshot({ links: { incident: 'javascript:alert(1)', jira: null } }));
      expect(JSON.stringify(doc)).not.toContain('"type":"link"');
    });
  });

  describe(commentDoc.name, () => {
    it('makes paragraphs of blank-line-separated text and hard breaks of single newlines, with an italic footer', () => {
      expect(commentDoc('one\ntwo\n\nthree', '— Warden notice k1')).toEqual({
        type: 'doc',
        version: 1,
        content: [
          { type: 'paragraph', content: [{ type: 'text', text: 'one' }, { type: 'hardBreak' }, { type: 'text', text: 'two' }] },
          { type: 'paragraph', content: [{ type: 'text', text: 'three' }] },
          { type: 'paragraph', content: [{ type: 'text', text: '— Warden notice k1', marks: [{ type: 'em' }] }] },
        ],
      });
    });

    it('stays well-formed and under the limit for hostile and huge text', () => {
      for (const value of [HOSTILE, 'a\n'.repeat(50_000), 'b'.repeat(100_000), '\n\n\n', '']) {
        const doc = commentDoc(value, 'footer');
        expect(adfProblems(doc)).toEqual([]);
        expect(JSON.stringify(doc).length).toBeLessThanOrEqual(MAX_ADF_JSON);
      }
    });
  });

  describe(adfToText.name, () => {
    it('takes a plain string as it is', () => {
      expect(adfToText('Looked at it, *benign*.')).toBe('Looked at it, *benign*.');
    });

    it('flattens paragraphs, breaks, lists, mentions and links', () => {
      const doc = {
        type: 'doc',
        version: 1,
        content: [
          {
            type: 'paragraph',
            content: [
              { type: 'text', text: 'Hi ' },
              { type: 'mention', attrs: { id: 'x', text: '@Sam' } },
              { type: 'hardBreak' },
              { type: 'text', text: 'see' },
            ],
          },
          {
            type: 'bulletList',
            content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }] }],
          },
          { type: 'paragraph', content: [{ type: 'inlineCard', attrs: { url: 'https://x.example' } }] },
        ],
      };
      expect(adfToText(doc)).toBe('Hi @Sam\nsee\n- one\nhttps://x.example');
    });

    it('returns empty text for what is not a document', () => {
      expect([null, 42, [], { type: 'doc' }, { content: 'nope' }].map((v) => adfToText(v))).toEqual(['', '', '', '', '']);
    });

    it('survives hostile nesting and caps what it returns', () => {
      let deep: any = { type: 'text', text: 'bottom' };
      for (let i = 0; i < 10_000; i++) deep = { type: 'paragraph', content: [deep] };
      expect(() => adfToText(deep)).not.toThrow();
      const wide = {
        type: 'doc',
        content: Array.from({ length: 5000 }, () => ({ type: 'paragraph', content: [{ type: 'text', text: 'y'.repeat(100) }] })),
      };
      expect(adfToText(wide).length).toBeLessThanOrEqual(MAX_INBOUND_COMMENT);
    });

    it('drops control characters and repairs lone surrogates', () => {
      expect(adfToText('a\u0000b\u202Ec\uD800d')).toBe('abc\uFFFDd');
    });
  });

  describe('text helpers', () => {
    it('cuts by code points, so no surrogate pair is split', () => {
      expect(cap('😀😀😀', 2)).toBe('😀…');
    });

    it('makes one line of several', () => {
      expect(oneLine(' a \n\t b ', 10)).toBe('a b');
    });
  });
});

describe(multiLine.name, () => {
  it('drops trailing blanks (spaces and no-break spaces) of every line, keeps inner ones, and folds blank runs', () => {
    expect(multiLine('a  \u00A0\r\nb c\t \n\n\n\nd \u00A0 e  ', 100)).toBe('a\nb c\n\nd \u00A0 e');
  });

  it('caps a long run of blanks before a word like any other text', () => {
    expect(multiLine(`a${' '.repeat(200_000)}b`, 10)).toBe(`a${' '.repeat(8)}…`);
  });
});
