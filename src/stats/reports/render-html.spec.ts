import { buildDailyReport, buildExecutiveReport } from './report';
import { containment, dailyData, enrichmentData, executiveData, HOSTILE, incident } from '../../../test/fixtures/reports/report.fixtures';
import { duration, escapeHtml, renderReportHtml } from './render-html';

const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;';

/** Every start tag in the document, by name. */
const tags = (html: string) => [...html.matchAll(/<([a-z][a-z0-9]*)\b/gi)].map((m) => m[1].toLowerCase());
/** Every attribute name inside a start tag (text that merely looks like one is not in a tag: its < is escaped). */
const attributes = (html: string) =>
  [...html.matchAll(/<[a-z][^>]*>/gi)].flatMap((t) =>
    [...t[0].replace(/"[^"]*"/g, '""').matchAll(/\s([a-z-]+)=/gi)].map((m) => m[1].toLowerCase()),
  );

function hostileDaily() {
  const evil = incident({ title: HOSTILE, host: HOSTILE, user: HOSTILE });
  return buildDailyReport(
    dailyData({
      p1Incidents: { total: 1, items: [evil] },
      truePositives: { total: 1, items: [evil] },
      containment: { total: 1, items: [containment({ target: HOSTILE, status: 'failed', reason: HOSTILE, playbook: HOSTILE })] },
      failedNotices: {
        byChannel: [{ key: HOSTILE, n: 1 }],
        items: [
          {
            key: 'k',
            kind: 'assigned',
            channel: 'webhook',
            title: HOSTILE,
            task_id: null,
            incident_id: null,
            last_error: HOSTILE,
            failed_at: '2025-03-03T00:00:00Z',
          },
        ],
      },
    }),
  );
}

describe(renderReportHtml.name, () => {
  it('renders hostile alert strings as text wherever they appear', () => {
    const html = renderReportHtml(hostileDaily());
    expect({ script: html.includes('<script'), img: html.includes('<img'), escaped: html.split(ESCAPED).length - 1 }).toEqual({
      script: false,
      img: false,
      // title, host and user of the P1 incident and of the true positive (6), the containment target,
      // playbook and reason (3), the failed notice's channel count, title and error (3).
      escaped: 12,
    });
  });

  it('escapes the executive summary’s incidents and targeted assets too', () => {
    const html = renderReportHtml(
      buildExecutiveReport(
        executiveData({
          incidents: { byPriority: [{ key: 'P1', n: 1 }], items: [incident({ title: HOSTILE })] },
          targets: {
            destinationIps: [{ asset: HOSTILE, incidents: 1, alerts: 1, top_priority: 'P1' }],
            hosts: [{ asset: HOSTILE, incidents: 1, alerts: 1, top_priority: 'P1' }],
          },
        }),
      ),
    );
    expect({ script: html.includes('<script'), escaped: html.split(ESCAPED).length - 1 }).toEqual({ script: false, escaped: 3 });
  });

  it('renders the enrichment counts: countries, networks, tactics, techniques, intel lists, criticality, assets', () => {
    const html = renderReportHtml(buildDailyReport(dailyData()));
    const part = html.slice(html.indexOf('<h2>Enrichment</h2>'), html.indexOf('</main>'));
    const rows = [...part.matchAll(/<h3>([^<]*)<\/h3>|<tr>(<td.*?)<\/tr>/g)].map((m) =>
      m[1] !== undefined ? `# ${m[1]}` : [...m[2].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]).join(' | '),
    );
    expect(rows).toEqual([
      '# Top countries',
      'SE Sweden | 3',
      'CN China | 1',
      '# Top networks',
      'AS29518 | Bredband2 AB | 3',
      '# ATT&amp;CK tactics',
      'TA0007 | Discovery | 2',
      '# ATT&amp;CK techniques',
      'T1046 | Network Service Discovery | 2',
      '# Threat-intel lists hit',
      'circl-locky | 1',
      '# Incidents by the highest criticality of their assets',
      'critical | 1',
      'high | 0',
      'medium | 0',
      'low | 2',
      '# Top affected assets',
      'pay-db-01 | host | critical | payments | 1',
    ]);
  });

  it('escapes hostile names in the enrichment counts', () => {
    const enrichment = enrichmentData({
      countries: [{ iso: 'SE', name: HOSTILE, incidents: 1 }],
      asns: [{ number: 1, organization: HOSTILE, incidents: 1 }],
      intel_lists: [{ list: HOSTILE, incidents: 1 }],
      assets: [{ name: HOSTILE, kind: 'user', criticality: 'low', team: HOSTILE, incidents: 1 }],
    });
    const html = renderReportHtml(buildExecutiveReport(executiveData({ enrichment })));
    expect({ script: html.includes('<script'), escaped: html.split(ESCAPED).length - 1 }).toEqual({ script: false, escaped: 5 });
  });

  it('is self-contained: inline styles only, no scripts, no links, nothing loaded from elsewhere', () => {
    const html = renderReportHtml(buildExecutiveReport(executiveData())) + renderReportHtml(hostileDaily());
    expect({
      tags: [...new Set(tags(html))].filter(
        (t) =>
          ![
            'html',
            'head',
            'meta',
            'title',
            'style',
            'body',
            'main',
            'h1',
            'h2',
            'h3',
            'p',
            'section',
            'div',
            'table',
            'thead',
            'tbody',
            'tr',
            'th',
            'td',
            'span',
            'code',
            'footer',
          ].includes(t),
      ),
      attributes: [...new Set(attributes(html))].filter((a) => !['lang', 'charset', 'name', 'content', 'class', 'style'].includes(a)),
      cssUrls: /url\(|@import/i.test(html),
    }).toEqual({ tags: [], attributes: [], cssUrls: false });
  });

  it('shows the executive headline: P1 incidents and SLA breaches', () => {
    const html = renderReportHtml(buildExecutiveReport(executiveData()));
    expect({
      p1: /<div class="card alert"><div class="v">3<\/div><div class="l">P1 incidents<\/div>/.test(html),
      breaches: /<div class="v">2<\/div><div class="l">SLA breaches<\/div>/.test(html),
      period: html.includes('2025-03-03 00:00 to 2025-03-10 00:00 (UTC)'),
    }).toEqual({ p1: true, breaches: true, period: true });
  });

  it('cuts a 10 kB title so it cannot bury the report', () => {
    const html = renderReportHtml(
      buildDailyReport(dailyData({ p1Incidents: { total: 1, items: [incident({ title: 'A'.repeat(10_000) })] } })),
    );
    expect({ long: html.includes('A'.repeat(201)), cut: html.includes(`${'A'.repeat(200)}…`) }).toEqual({ long: false, cut: true });
  });
});

describe(escapeHtml.name, () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe(duration.name, () => {
  it('reads as a person would say it', () => {
    expect([duration(null), duration(42), duration(95), duration(7260), duration(90_000)]).toEqual([
      '–',
      '42s',
      '1m 35s',
      '2h 1m',
      '1d 1h',
    ]);
  });
});
