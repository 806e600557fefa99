/* global self, WardenDom, WardenFormat, WardenApi, WardenUi */
// #reports: the stored reports (daily audit, executive summary); #report/<id>: one of them, its
// figures and findings, each incident linking its page, and its printable HTML.
(function (root) {
  'use strict';

  const { el, clip, section, table, tableOf } = WardenDom;
  const { text, time, count, duration } = WardenFormat;
  const { incidentLink } = WardenUi;

  const KIND = { daily: 'Daily audit report', executive: 'Executive summary' };
  const label = (key) =>
    key
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .replace(/Seconds$/, '')
      .toLowerCase();
  /** A summary figure: seconds as a duration, counts as counts. */
  const figure = (key, value) => (/Seconds$/.test(key) ? duration(value) : count(value));

  function mountList(container) {
    const list = el('div', { id: 'report-list' });
    container.replaceChildren(el('h2', {}, 'Reports'), list);

    async function refresh() {
      const page = await WardenApi.read('/v1/reports?limit=100');
      if (!page.changed) return;
      list.replaceChildren(
        tableOf(
          ['Report', 'From', 'To', 'Made'],
          page.body.items.map((r) =>
            el(
              'tr',
              { 'data-report-id': r.id },
              el('td', {}, el('a', { href: '#report/' + encodeURIComponent(r.id) }, KIND[r.kind] || r.kind)),
              el('td', {}, time(r.from)),
              el('td', {}, time(r.to)),
              el('td', {}, time(r.createdAt) + ' (' + r.trigger + ')'),
            ),
          ),
        ),
      );
    }

    return { refresh };
  }

  const listed = (title, l, headers, row) =>
    section(
      title + ' (' + count(l.total) + (l.truncated ? ', the first ' + l.items.length + ' listed' : '') + ')',
      table(headers, l.items.map(row)),
    );

  const incidents = (title, l) =>
    listed(title, l, ['Opened', 'Priority', 'Severity', 'Title', 'Alerts', 'Outcome'], (i) => [
      time(i.createdAt),
      i.priority,
      i.severity,
      incidentLink(i.id, i.title),
      count(i.alerts),
      i.outcome,
    ]);

  const containment = (title, l) =>
    listed(title, l, ['At', 'Action', 'Target', 'Outcome', 'Incident', 'Reason'], (c) => [
      time(c.at),
      c.action,
      c.target,
      c.outcome,
      incidentLink(c.incidentId, c.incidentId),
      c.reason,
    ]);

  function renderReport(r) {
    const b = r.body;
    const parts = [
      el('h2', { id: 'report-title' }, KIND[r.kind] || r.kind),
      el(
        'p',
        { class: 'muted' },
        time(r.from) + ' \u2013 ' + time(r.to) + ' (' + text(b.period && b.period.timeZone) + '), made ' + time(r.createdAt) + ' ',
        el('a', { href: '/v1/reports/' + encodeURIComponent(r.id) + '/html', target: '_blank', rel: 'noopener' }, 'Printable HTML'),
      ),
      el(
        'div',
        { class: 'cards' },
        ...Object.entries(b.summary || {}).map(([key, value]) =>
          el(
            'div',
            { class: 'card', 'data-figure': key },
            el('span', { class: 'label' }, label(key)),
            el('span', { class: 'value' }, figure(key, value)),
          ),
        ),
      ),
    ];
    if (b.kind === 'daily') {
      const f = b.findings;
      parts.push(
        ...incidents('P1 incidents', f.p1Incidents),
        ...incidents('True positives', f.truePositives),
        ...listed('SLA breaches', b.slaBreaches, ['Recorded', 'Kind', 'Priority', 'Title', 'Assignee'], (x) => [
          time(x.recordedAt),
          x.kind,
          x.priority,
          incidentLink(x.incidentId, x.title),
          x.assignee,
        ]),
        ...listed('Storms', f.storms, ['Title', 'Status', 'Alerts', 'Sources'], (s) => [
          incidentLink(s.id, s.title),
          s.status,
          count(s.alerts),
          count(s.sources),
        ]),
        ...containment('Containment to look at', f.containment),
        ...listed('Failed notices', f.failedNotices, ['Failed', 'Channel', 'Kind', 'Title', 'Error'], (n) => [
          time(n.failedAt),
          n.channel,
          n.kind,
          incidentLink(n.incidentId, n.title),
          n.error,
        ]),
        ...section(
          'Top source IPs',
          table(
            ['IP', 'Alerts'],
            (b.topSourceIps || []).map((x) => [el('a', { href: '#ip/' + encodeURIComponent(x.ip) }, x.ip), count(x.alerts)]),
          ),
        ),
      );
    } else {
      parts.push(
        ...incidents('P1 and P2 incidents', b.incidents),
        ...containment('Containment actions', b.containment),
        ...section(
          'Response by day',
          table(
            ['Day', 'Tasks', 'MTTA p50', 'MTTR p50'],
            (b.response.byDay || []).map((d) => [d.day, count(d.tasks), duration(d.mttaP50Seconds), duration(d.mttrP50Seconds)]),
          ),
        ),
        ...section(
          'Top targeted hosts',
          table(
            ['Host', 'Incidents', 'Alerts', 'Top priority'],
            (b.topTargets.hosts || []).map((h) => [h.host, count(h.incidents), count(h.alerts), h.topPriority]),
          ),
        ),
        ...section(
          'Top targeted addresses',
          table(
            ['IP', 'Incidents', 'Alerts', 'Top priority'],
            (b.topTargets.destinationIps || []).map((h) => [
              el('a', { href: '#ip/' + encodeURIComponent(h.ip) }, h.ip),
              count(h.incidents),
              count(h.alerts),
              h.topPriority,
            ]),
          ),
        ),
      );
    }
    return parts;
  }

  function mountReport(container, id) {
    const body = el('div', { id: 'report', class: 'incident-sections' });
    container.replaceChildren(body);

    async function refresh() {
      try {
        const r = await WardenApi.read('/v1/reports/' + encodeURIComponent(id));
        if (r.changed) body.replaceChildren(...renderReport(r.body));
      } catch (err) {
        if (!(err instanceof WardenApi.ApiError)) throw err;
        body.replaceChildren(el('h2', { id: 'report-title' }, 'Report'), el('p', { class: 'banner', role: 'alert' }, err.text), clip(id));
      }
    }

    return { refresh };
  }

  const views = (root.WardenViews = root.WardenViews || {});
  views.reports = { nav: 'reports', title: () => 'Reports', mount: mountList };
  views.report = { nav: 'reports', title: () => 'Report', mount: mountReport };
})(typeof self !== 'undefined' ? self : globalThis);
