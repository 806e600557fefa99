/* global self, URLSearchParams, WardenDom, WardenFormat, WardenApi, WardenUi */
// #search?sourceIp=…&user=…&host=…&type=…: incidents through GET /v1/incidents and its filters
// (a refused filter is named, as the API names it); and #ip/<ip>: the IP investigation.
(function (root) {
  'use strict';

  const { el, clip, bdi, sev, section, table, tableOf } = WardenDom;
  const { text, time, count } = WardenFormat;
  const { incidentLink } = WardenUi;

  const FIELDS = [
    ['sourceIp', 'Source IP', 45],
    ['user', 'User', 200],
    ['host', 'Host', 255],
    ['type', 'Type', 64],
  ];
  const CHOICES = {
    status: ['open', 'acknowledged', 'resolved', 'closed'],
    severity: ['critical', 'high', 'medium', 'low'],
  };

  const incidentRows = (items) =>
    items.map((i) =>
      el(
        'tr',
        { 'data-incident-id': i.id },
        el('td', {}, time(i.createdAt)),
        el('td', { class: 'prio-' + i.priority }, text(i.priority)),
        el('td', {}, sev(i.severity)),
        el('td', {}, text(i.status)),
        el('td', { class: 'title' }, incidentLink(i.id, i.title)),
        el('td', {}, clip((i.types || []).join(', '))),
        el('td', {}, clip(i.sourceIp)),
        el('td', {}, clip(i.user)),
        el('td', {}, clip(i.host)),
        el('td', { class: 'num' }, count(i.alertCount)),
      ),
    );
  const INCIDENT_HEADERS = [
    ['Opened', 'w-time'],
    ['Priority', 'w-tag'],
    ['Severity', 'w-tag'],
    ['Status', 'w-status'],
    'Title',
    ['Type', 'w-mid'],
    ['Source IP', 'w-mid'],
    ['User', 'w-mid'],
    ['Host', 'w-mid'],
    ['Alerts', 'w-num'],
  ];

  /** `#search?<query>`: the form shows the query of the URL, so a search is a link that can be shared and reloaded. */
  function mountSearch(container, query) {
    const params = new URLSearchParams(query || '');
    const form = el(
      'form',
      { id: 'search-form', class: 'filters', role: 'search' },
      ...FIELDS.map(([name, label, max]) =>
        el('label', {}, label, el('input', { name, maxlength: String(max), spellcheck: 'false', value: params.get(name) || '' })),
      ),
      ...Object.entries(CHOICES).map(([name, values]) =>
        el(
          'label',
          {},
          name[0].toUpperCase() + name.slice(1),
          el(
            'select',
            { name },
            el('option', { value: '' }, 'any'),
            ...values.map((v) => el('option', { value: v, selected: params.get(name) === v ? 'selected' : null }, v)),
          ),
        ),
      ),
      el('button', { type: 'submit' }, 'Search'),
      el('button', { type: 'reset' }, 'Clear'),
    );
    const ipForm = el(
      'form',
      { id: 'ip-form', class: 'filters' },
      el('label', {}, 'Investigate an IP', el('input', { name: 'ip', maxlength: '64', spellcheck: 'false', required: true })),
      el('button', { type: 'submit' }, 'Investigate'),
    );
    const error = el('p', { id: 'search-error', class: 'banner', role: 'alert', hidden: true });
    const investigate = el('p', { id: 'search-investigate' });
    const results = el('div', { id: 'search-results' });
    const more = el('button', { type: 'button', id: 'search-more', hidden: true }, 'Load more');
    container.replaceChildren(el('h2', {}, 'Search incidents'), form, ipForm, error, investigate, results, more);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const q = new URLSearchParams();
      for (const [name] of FIELDS) if (form.elements[name].value.trim()) q.set(name, form.elements[name].value.trim());
      for (const name of Object.keys(CHOICES)) if (form.elements[name].value) q.set(name, form.elements[name].value);
      root.location.hash = '#search' + (q.toString() ? '?' + q : '');
    });
    form.addEventListener('reset', () => root.setTimeout(() => (root.location.hash = '#search'), 0));
    ipForm.addEventListener('submit', (event) => {
      event.preventDefault();
      root.location.hash = '#ip/' + encodeURIComponent(ipForm.elements.ip.value.trim());
    });

    // Only the filters the API knows; nothing else in the URL reaches it.
    const filters = new URLSearchParams();
    for (const [name] of FIELDS) if (params.get(name)) filters.set(name, params.get(name));
    for (const name of Object.keys(CHOICES)) if (params.get(name)) filters.set(name, params.get(name));
    const asked = filters.toString() !== '';
    if (params.get('sourceIp'))
      investigate.replaceChildren(
        el(
          'a',
          { href: '#ip/' + encodeURIComponent(params.get('sourceIp')) },
          'Everything Warden knows about ',
          bdi(params.get('sourceIp')),
        ),
      );

    let extra = [];
    let cursor = null;
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const q = new URLSearchParams(filters);
        q.set('limit', '50');
        q.set('cursor', cursor);
        const page = (await WardenApi.read('/v1/incidents?' + q)).body;
        extra = extra.concat(page.items);
        cursor = page.nextCursor;
        draw(lastFirst);
      } catch (err) {
        if (err instanceof WardenApi.SigningIn) return;
        error.textContent = err instanceof WardenApi.ApiError ? err.text : String(err.message);
        error.hidden = false;
      } finally {
        more.disabled = false;
      }
    });

    let lastFirst = null;
    function draw(first) {
      const items = first.items.concat(extra);
      results.replaceChildren(tableOf(INCIDENT_HEADERS, incidentRows(items)));
      results.dataset.query = filters.toString();
      more.hidden = !cursor;
    }

    async function refresh() {
      if (!asked) {
        results.replaceChildren(el('p', { class: 'muted' }, 'Search by source IP, user, host or alert type.'));
        return;
      }
      const q = new URLSearchParams(filters);
      q.set('limit', '50');
      try {
        const first = await WardenApi.read('/v1/incidents?' + q);
        error.hidden = true;
        if (!first.changed && lastFirst) return;
        lastFirst = first.body;
        extra = [];
        cursor = first.body.nextCursor;
        draw(first.body);
      } catch (err) {
        if (!(err instanceof WardenApi.ApiError)) throw err;
        error.textContent = err.text;
        error.hidden = false;
        results.replaceChildren();
      }
    }

    return { refresh };
  }

  /** `#ip/<ip>`: GET /v1/investigations/ip/{ip}, section by section. */
  function mountIp(container, ip) {
    const error = el('p', { id: 'ip-error', class: 'banner', role: 'alert', hidden: true });
    const body = el('div', { id: 'ip-investigation', class: 'incident-sections' });
    container.replaceChildren(el('h2', {}, 'IP ', bdi(ip)), error, body);

    function render(v) {
      const actions = v.actions.items.map((a) => [
        a.action,
        a.status,
        a.playbook,
        a.stepId,
        incidentLink(a.incidentId, a.incidentId),
        time(a.finishedAt),
        a.compensation ? a.compensation.status : null,
      ]);
      body.replaceChildren(
        el(
          'p',
          {},
          v.firstSeen ? 'First seen ' + time(v.firstSeen) + ', last seen ' + time(v.lastSeen) + '.' : 'Never seen by Warden.',
          ' Alerts: ' +
            count(v.alerts.total) +
            ' (' +
            count(v.alerts.asSource) +
            ' as source, ' +
            count(v.alerts.asDestination) +
            ' as destination).',
        ),
        ...section(
          'Incidents (' + count(v.incidents.total) + ')',
          tableOf(
            ['Last seen', 'Priority', 'Severity', 'Status', 'Title', 'Alerts for this IP', 'Linked by'],
            v.incidents.items.map((i) =>
              el(
                'tr',
                { 'data-incident-id': i.id },
                el('td', {}, time(i.lastSeenAt)),
                el('td', { class: 'prio-' + i.priority }, text(i.priority)),
                el('td', {}, sev(i.severity)),
                el('td', {}, text(i.status)),
                el('td', { class: 'title' }, incidentLink(i.id, i.title)),
                el('td', { class: 'num' }, count(i.alertsForIp) + ' / ' + count(i.alertCount)),
                el('td', {}, text(i.linkedBy.join(' + '))),
              ),
            ),
          ),
        ),
        ...section(
          'Alerts (newest ' + v.alerts.items.length + ')',
          table(
            ['Received', 'Role', 'Severity', 'Type', 'Title', 'Flow', 'Status', 'Incident'],
            v.alerts.items.map((a) => [
              time(a.receivedAt),
              a.role,
              sev(a.severity),
              a.type,
              a.title,
              text(a.sourceIp) + ' \u2192 ' + text(a.destinationIp),
              a.status,
              incidentLink(a.incidentId, a.incidentId),
            ]),
          ),
        ),
        ...section(
          'Tasks',
          table(
            ['Priority', 'Status', 'Title', 'Assignee', 'Disposition'],
            v.tasks.map((t) => [
              t.priority,
              t.status,
              incidentLink(t.incidentId, t.title),
              t.assignee ? t.assignee.name : 'unassigned',
              t.disposition,
            ]),
          ),
        ),
        ...section(
          'Playbook actions on this IP (' + count(v.actions.total) + ')',
          table(['Action', 'Status', 'Playbook', 'Step', 'Incident', 'Finished', 'Undo'], actions),
        ),
        ...section(
          'Evidence',
          table(
            ['Incident', '#', 'Items', 'Manifest hash'],
            v.evidence.map((b) => [incidentLink(b.incidentId, b.incidentId), String(b.seq), String(b.items), b.manifestHash]),
          ),
        ),
        ...section(
          'Storms that counted it (' + count(v.stormSources.total) + ')',
          table(
            ['Storm', 'Status', 'Alerts', 'First seen', 'Last seen'],
            v.stormSources.items.map((s) => [
              incidentLink(s.incidentId, s.incidentTitle),
              s.incidentStatus,
              count(s.alerts),
              time(s.firstSeenAt),
              time(s.lastSeenAt),
            ]),
          ),
        ),
      );
    }

    async function refresh() {
      try {
        const v = await WardenApi.read('/v1/investigations/ip/' + encodeURIComponent(ip) + '?limit=100');
        error.hidden = true;
        if (v.changed) render(v.body);
      } catch (err) {
        if (!(err instanceof WardenApi.ApiError)) throw err;
        error.textContent = err.text;
        error.hidden = false;
      }
    }

    return { refresh };
  }

  const views = (root.WardenViews = root.WardenViews || {});
  views.search = { nav: 'search', title: () => 'Search', mount: mountSearch };
  views.ip = { nav: 'search', title: () => 'IP investigation', mount: mountIp };
})(typeof self !== 'undefined' ? self : globalThis);
