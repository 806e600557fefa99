/* global window, document, sessionStorage, location, fetch, URLSearchParams, setInterval, clearInterval, Chart, WardenFormat */
// The team lead dashboard. Every string from the API reaches the page through textContent or
// setAttribute, never innerHTML: alert titles are attacker-controlled.
(function () {
  'use strict';

  const KEY = 'warden.dashboard.key';
  const RANGE = 'warden.dashboard.range';
  const HOUR = 3600 * 1000;
  const RANGES = { '1h': HOUR, '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };
  const REFRESH_MS = 15000;
  const PAGE = 50;
  const SEVERITIES = ['low', 'medium', 'high', 'critical'];
  const COLORS = {
    low: '#7f8fa6',
    medium: '#f2c94c',
    high: '#f2994a',
    critical: '#eb5757',
    accent: '#4ea1ff',
    green: '#6fcf97',
    grid: '#2a3441',
    text: '#8b97a6',
  };

  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);

  /** An element with text children only: strings become text nodes, never markup. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  const text = (v) => (v === undefined || v === null || v === '' ? '\u2014' : String(v));
  const clip = (v, attrs) =>
    el('span', Object.assign({ class: 'clip', title: v === undefined || v === null ? null : String(v) }, attrs), text(v));
  const time = (v) => {
    if (!v) return '\u2014';
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return d.toLocaleString('en-GB', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  };
  const sev = (s) => el('span', { class: SEVERITIES.includes(s) ? 'sev sev-' + s : 'sev' }, text(s));
  const incidentHref = (id) => '#incident/' + encodeURIComponent(id);

  class AuthError extends Error {}

  const state = {
    key: sessionStorage.getItem(KEY),
    range: RANGES[sessionStorage.getItem(RANGE)] ? sessionStorage.getItem(RANGE) : '24h',
    from: null,
    to: null,
    timer: null,
    busy: false,
    charts: {},
    incidents: [],
    tasksByIncident: new Map(),
    nextCursor: null,
    detailId: null,
    refreshes: 0,
    /** The latest task-table load: an older answer arriving late never overwrites a newer filter's. */
    taskSeq: 0,
    analystsKey: '',
  };

  // ---- API -------------------------------------------------------------------------------

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: 'Bearer ' + state.key, accept: 'application/json' }, cache: 'no-store' });
    // An error body is problem+json; anything else (a proxy's HTML page) counts as none.
    const body = await res.json().catch(() => null);
    if (res.status === 401) throw new AuthError('The API key was refused: it is unknown or revoked.');
    if (res.status === 403) throw new AuthError('This API key lacks the lead scope. Use a team lead key.');
    if (!res.ok) {
      const detail = body && typeof body.detail === 'string' ? body.detail : 'HTTP ' + res.status;
      const fields = body && Array.isArray(body.errors) ? body.errors.map((e) => e.path + ': ' + e.message).join('; ') : '';
      throw new Error(fields ? detail + ' (' + fields + ')' : detail);
    }
    return body;
  }

  // ---- login -----------------------------------------------------------------------------

  function showLogin(message) {
    stopTimer();
    state.key = null;
    sessionStorage.removeItem(KEY);
    root.dataset.state = 'login';
    $('app').hidden = true;
    $('login').hidden = false;
    const error = $('login-error');
    error.textContent = message || '';
    error.hidden = !message;
    $('login-key').value = '';
    $('login-key').focus();
  }

  async function signIn(key) {
    state.key = key;
    sessionStorage.setItem(KEY, key);
    $('login').hidden = true;
    $('app').hidden = false;
    root.dataset.state = 'loading';
    selectRange(state.range, false);
    const ok = await refresh();
    if (ok) startTimer();
  }

  function logout() {
    destroyCharts();
    closeDetail();
    showLogin('');
  }

  // ---- refresh ---------------------------------------------------------------------------

  function startTimer() {
    stopTimer();
    state.timer = setInterval(() => {
      if (!document.hidden) void refresh();
    }, REFRESH_MS);
  }

  function stopTimer() {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
  }

  function selectRange(range, reload) {
    state.range = range;
    sessionStorage.setItem(RANGE, range);
    for (const b of document.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', String(b.dataset.range === range));
    $('range-label').textContent = 'last ' + range;
    if (reload) void refresh();
  }

  function showError(message) {
    const banner = $('error');
    banner.textContent = message || '';
    banner.hidden = !message;
  }

  /** Loads everything for the selected range; answers whether it succeeded. */
  async function refresh() {
    if (state.busy || !state.key) return false;
    state.busy = true;
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[state.range]);
    const range = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    const taskSeq = ++state.taskSeq;
    const taskQ = taskQuery();
    try {
      // Every open task feeds the incident table's Task column; a filtered task table asks for its own page.
      const [stats, incidents, tasks, filteredTasks] = await Promise.all([
        api('/v1/stats?' + range),
        api('/v1/incidents?' + incidentQuery(from, to)),
        api('/v1/tasks?status=open&limit=1000'),
        taskFiltered() ? api('/v1/tasks?' + taskQ) : null,
      ]);
      state.from = from.toISOString();
      state.to = to.toISOString();
      renderCards(stats);
      renderCharts(stats);
      renderTypes(stats);
      renderAssignees(stats);
      state.tasksByIncident = new Map();
      for (const t of tasks.items || [])
        if (t.incidentId && !state.tasksByIncident.has(t.incidentId)) state.tasksByIncident.set(t.incidentId, t);
      state.incidents = incidents.items || [];
      state.nextCursor = incidents.nextCursor || null;
      renderIncidents();
      if (taskSeq === state.taskSeq) {
        renderTasks((filteredTasks || tasks).items || [], taskQ);
        $('task-filter-error').hidden = true;
      }
      showError('');
      $('filter-error').hidden = true;
      if (state.detailId) await loadDetail(state.detailId);
      // The range the figures are for, so a reader (or the browser test) can ask /v1/stats for the same.
      root.dataset.from = state.from;
      root.dataset.to = state.to;
      root.dataset.refreshes = String(++state.refreshes);
      root.dataset.state = 'ready';
      $('updated-at').textContent = 'Updated ' + to.toLocaleTimeString('en-GB');
      $('updated-at').setAttribute('data-updated-at', to.toISOString());
      return true;
    } catch (err) {
      if (err instanceof AuthError) showLogin(err.message);
      else showError('Could not load the dashboard: ' + err.message);
      return false;
    } finally {
      state.busy = false;
    }
  }

  // ---- cards -----------------------------------------------------------------------------

  function renderCards(stats) {
    for (const card of document.querySelectorAll('[data-stat]')) {
      const value = WardenFormat.valueAt(stats, card.dataset.stat);
      card.dataset.value = JSON.stringify(value);
      card.querySelector('.value').textContent = WardenFormat.format(card.dataset.kind, value);
      card.classList.toggle('nonzero', typeof value === 'number' && value > 0);
    }
  }

  function renderTypes(stats) {
    const list = $('types');
    list.replaceChildren(...Object.keys((stats.incidents && stats.incidents.byType) || {}).map((t) => el('option', { value: t })));
  }

  // ---- charts ----------------------------------------------------------------------------

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.color = COLORS.text;
  Chart.defaults.borderColor = COLORS.grid;

  /** Labels are drawn on canvas (no HTML), but a 1,000-character label would swallow the axis. */
  const short = (label) => {
    const s = String(label);
    return s.length > 32 ? s.slice(0, 31) + '\u2026' : s;
  };

  function chart(id, config) {
    const existing = state.charts[id];
    if (existing) {
      existing.data.labels = config.data.labels;
      config.data.datasets.forEach((ds, i) => {
        if (existing.data.datasets[i]) existing.data.datasets[i].data = ds.data;
        else existing.data.datasets.push(ds);
      });
      existing.update('none');
    } else {
      state.charts[id] = new Chart($(id), config);
    }
    // A line of zeros is data (a 0s MTTA); bars of zeros are not.
    const shown = config.type === 'line' ? (v) => typeof v === 'number' : (v) => typeof v === 'number' && v > 0;
    $(id).closest('figure').querySelector('.empty').hidden = config.data.datasets.some((ds) => ds.data.some(shown));
  }

  function destroyCharts() {
    for (const c of Object.values(state.charts)) c.destroy();
    state.charts = {};
  }

  const bar = (labels, datasets, options) => ({
    type: 'bar',
    data: { labels, datasets },
    options: Object.assign(
      {
        plugins: { legend: { display: datasets.length > 1 } },
        scales: {
          x: { ticks: { callback: tickLabel('x', options) } },
          y: { beginAtZero: true, ticks: { callback: tickLabel('y', options) } },
        },
      },
      options || {},
    ),
  });

  // Category axis ticks show the (shortened) label; value axes keep their numbers.
  const tickLabel = (axis, options) =>
    function (value) {
      const categoryAxis = options && options.indexAxis === 'y' ? 'y' : 'x';
      return axis === categoryAxis ? short(this.getLabelForValue(value)) : value;
    };

  const entries = (record) => Object.entries(record || {}).sort((a, b) => b[1] - a[1]);

  function renderCharts(stats) {
    const hours = (stats.series && stats.series.alertsByHour) || [];
    const long = RANGES[state.range] > 24 * HOUR;
    chart('chart-alerts', {
      type: 'bar',
      data: {
        labels: hours.map((h) => {
          const d = new Date(h.at);
          return long
            ? d.toLocaleDateString('en-GB', { day: '2-digit', month: '2-digit' }) + ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit' })
            : d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
        }),
        datasets: SEVERITIES.map((s) => ({ label: s, data: hours.map((h) => h[s] || 0), backgroundColor: COLORS[s], stack: 'alerts' })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });

    const types = entries(stats.incidents && stats.incidents.byType);
    chart(
      'chart-types',
      bar(
        types.map((t) => t[0]),
        [{ label: 'incidents', data: types.map((t) => t[1]), backgroundColor: COLORS.accent }],
        { indexAxis: 'y' },
      ),
    );

    const ips = stats.topSourceIps || [];
    chart(
      'chart-ips',
      bar(
        ips.map((i) => i.ip),
        [{ label: 'alerts', data: ips.map((i) => i.alerts), backgroundColor: COLORS.high }],
        { indexAxis: 'y' },
      ),
    );

    const days = (stats.series && stats.series.responseByDay) || [];
    chart('chart-response', {
      type: 'line',
      data: {
        labels: days.map((d) => d.day),
        datasets: [
          {
            label: 'MTTA p50',
            data: days.map((d) => d.mttaP50Seconds),
            borderColor: COLORS.accent,
            backgroundColor: COLORS.accent,
          },
          { label: 'MTTR p50', data: days.map((d) => d.mttrP50Seconds), borderColor: COLORS.green, backgroundColor: COLORS.green },
        ],
      },
      options: {
        // At least a minute tall, so a series of near-zero times does not label every tick 0s.
        scales: { y: { beginAtZero: true, suggestedMax: 60, ticks: { callback: (v) => WardenFormat.duration(v) } } },
        plugins: { tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + WardenFormat.duration(c.parsed.y) } } },
      },
    });

    const analysts = (stats.load && stats.load.analysts) || [];
    chart(
      'chart-load',
      bar(
        analysts.map((a) => a.name),
        [
          { label: 'open', data: analysts.map((a) => a.open), backgroundColor: COLORS.high },
          { label: 'capacity', data: analysts.map((a) => a.capacity), backgroundColor: COLORS.grid },
        ],
      ),
    );

    const outcomes = entries(stats.playbooks && stats.playbooks.runsByOutcome);
    chart(
      'chart-playbooks',
      bar(
        outcomes.map((o) => o[0]),
        [{ label: 'runs', data: outcomes.map((o) => o[1]), backgroundColor: COLORS.green }],
      ),
    );

    const channels = entries(stats.delivery && stats.delivery.failedNoticesByChannel);
    chart(
      'chart-notices',
      bar(
        channels.map((c) => c[0]),
        [{ label: 'failed', data: channels.map((c) => c[1]), backgroundColor: COLORS.critical }],
      ),
    );
  }

  // ---- incident and task tables ----------------------------------------------------------

  function filters() {
    const form = $('filters');
    const out = {};
    for (const name of ['status', 'severity', 'priority', 'type', 'sourceIp']) {
      const v = form.elements[name].value.trim();
      if (v) out[name] = v;
    }
    return out;
  }

  function incidentQuery(from, to, cursor) {
    const q = new URLSearchParams(Object.assign({ from: from.toISOString(), to: to.toISOString(), limit: String(PAGE) }, filters()));
    if (cursor) q.set('cursor', cursor);
    return q;
  }

  async function loadIncidents(append) {
    if (!state.from) return;
    try {
      const page = await api('/v1/incidents?' + incidentQuery(new Date(state.from), new Date(state.to), append ? state.nextCursor : null));
      state.incidents = append ? state.incidents.concat(page.items || []) : page.items || [];
      state.nextCursor = page.nextCursor || null;
      $('filter-error').hidden = true;
      renderIncidents();
    } catch (err) {
      if (err instanceof AuthError) return showLogin(err.message);
      $('filter-error').textContent = err.message;
      $('filter-error').hidden = false;
    }
  }

  function renderIncidents() {
    const rows = state.incidents.map((i) => {
      const task = state.tasksByIncident.get(i.id);
      return el(
        'tr',
        { 'data-incident-id': i.id },
        el('td', {}, time(i.createdAt)),
        el('td', { class: 'prio-' + i.priority }, text(i.priority)),
        el('td', {}, sev(i.severity)),
        el('td', {}, text(i.status)),
        el('td', { class: 'title' }, el('a', { href: incidentHref(i.id), class: 'clip', title: i.title }, text(i.title))),
        el('td', {}, clip((i.types || []).join(', '))),
        el('td', {}, clip(i.sourceIp)),
        el('td', { class: 'num' }, WardenFormat.count(i.alertCount)),
        el('td', {}, text(task ? task.status : null)),
        el('td', {}, clip(task && task.assignee ? task.assignee.name : task ? 'unassigned' : null)),
      );
    });
    $('incident-table').tBodies[0].replaceChildren(...rows);
    $('incident-empty').hidden = rows.length > 0;
    $('more').hidden = !state.nextCursor;
  }

  function taskFilters() {
    const form = $('task-filters');
    const out = { status: form.elements.status.value || 'open' };
    for (const name of ['priority', 'assignee']) {
      const v = form.elements[name].value;
      if (v) out[name] = v;
    }
    return out;
  }

  /** Whether the task table asks for anything but the open tasks of everyone. */
  function taskFiltered() {
    const f = taskFilters();
    return f.status !== 'open' || Object.keys(f).length > 1;
  }

  const taskQuery = () => new URLSearchParams(Object.assign(taskFilters(), { limit: String(PAGE) }));

  async function loadTasks() {
    if (!state.key) return;
    const seq = ++state.taskSeq;
    const query = taskQuery();
    try {
      const page = await api('/v1/tasks?' + query);
      if (seq !== state.taskSeq) return;
      $('task-filter-error').hidden = true;
      renderTasks(page.items || [], query);
    } catch (err) {
      if (err instanceof AuthError) return showLogin(err.message);
      if (seq !== state.taskSeq) return;
      $('task-filter-error').textContent = err.message;
      $('task-filter-error').hidden = false;
    }
  }

  /** The assignee filter offers the roster's analysts (from /v1/stats), keeping the one selected. */
  function renderAssignees(stats) {
    const analysts = ((stats.load && stats.load.analysts) || []).slice().sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const select = $('task-filters').elements.assignee;
    const selected = select.value;
    const key = JSON.stringify(analysts.map((a) => [a.id, a.name]));
    if (key === state.analystsKey) return;
    state.analystsKey = key;
    const options = analysts.map((a) => el('option', { value: a.id }, text(a.name)));
    if (selected && selected !== 'none' && !analysts.some((a) => a.id === selected))
      options.push(el('option', { value: selected }, selected));
    select.replaceChildren(el('option', { value: '' }, 'anyone'), el('option', { value: 'none' }, 'unassigned'), ...options);
    select.value = selected;
  }

  function renderTasks(tasks, query) {
    const rows = tasks
      .slice(0, PAGE)
      .map((t) =>
        el(
          'tr',
          { 'data-task-id': t.id },
          el('td', { class: 'prio-' + t.priority }, text(t.priority)),
          el('td', {}, text(t.status)),
          el(
            'td',
            {},
            t.incidentId ? el('a', { href: incidentHref(t.incidentId), class: 'clip', title: t.title }, text(t.title)) : clip(t.title),
          ),
          el('td', {}, clip(t.assignee ? t.assignee.name : 'unassigned')),
          el('td', {}, clip(t.assignRole)),
          el('td', {}, time(t.dueAt)),
        ),
      );
    $('task-table').tBodies[0].replaceChildren(...rows);
    // The filters this table answers, so a reader (or the browser test) knows which load it shows.
    $('task-table').dataset.query = String(query);
    $('task-empty').hidden = rows.length > 0;
  }

  // ---- incident detail -------------------------------------------------------------------

  const cells = (values) => values.map((c) => el('td', {}, c instanceof window.Node ? c : clip(c)));

  /** A table of rows given as `<tr>` elements; none: "None.". */
  function tableOf(headers, trs) {
    if (trs.length === 0) return el('p', { class: 'muted' }, 'None.');
    return el(
      'div',
      { class: 'table-wrap' },
      el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...trs)),
    );
  }

  function table(headers, rows) {
    return tableOf(
      headers,
      rows.map((values) => el('tr', {}, ...cells(values))),
    );
  }

  function section(title, content) {
    return [el('h3', {}, title), content];
  }

  function renderDetail(d) {
    $('detail-title').textContent = d.title;
    $('detail-title').setAttribute('title', d.title);
    const facts = [
      ['Title', d.title],
      ['Status', d.status],
      ['Severity', d.severity],
      ['Priority', d.priority],
      ['Types', (d.types || []).join(', ')],
      ['Source IP', d.sourceIp],
      ['User', d.user],
      ['Host', d.host],
      ['Alerts', WardenFormat.count(d.alertCount)],
      ['Alerts firing', WardenFormat.count(d.firingAlerts)],
      ['Alerts resolved', WardenFormat.count(d.resolvedAlerts)],
      ['Rule', d.rule],
      ['Opened', time(d.createdAt)],
      ['Last seen', time(d.lastSeenAt)],
      ['Resolved', time(d.resolvedAt)],
    ];
    if (d.stormSources) facts.push(['Storm sources', WardenFormat.count(d.stormSources.distinct)]);
    const dl = el(
      'dl',
      {},
      ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { title: v === null || v === undefined ? null : String(v) }, text(v))]),
    );

    const alertHeaders = ['Received', 'Severity', 'Type', 'Title', 'Source IP', 'Destination', 'Seen', 'Status', 'Resolved'];
    // Each alert's description (up to 10,000 characters from the sensor) in a row of its own
    // beneath it: text in a box a few lines tall that scrolls, so the panel stays usable.
    const alerts = tableOf(
      alertHeaders,
      (d.alerts || []).flatMap((a) => {
        const row = el(
          'tr',
          { 'data-alert-id': a.id },
          ...cells([
            time(a.receivedAt),
            sev(a.severity),
            a.type,
            a.title,
            a.sourceIp,
            a.destinationIp,
            WardenFormat.count(a.occurrences),
            a.status,
            time(a.resolvedAt),
          ]),
        );
        if (typeof a.description !== 'string' || a.description === '') return [row];
        return [
          row,
          el(
            'tr',
            { class: 'alert-description', 'data-alert-id': a.id },
            el(
              'td',
              { colspan: alertHeaders.length },
              el('div', { class: 'description', tabindex: '0', role: 'region', 'aria-label': 'Alert description' }, a.description),
            ),
          ),
        ];
      }),
    );
    const tasks = table(
      ['Priority', 'Status', 'Assignee', 'Ack by', 'Resolve by', 'Disposition'],
      (d.tasks || []).map((t) => [
        t.priority,
        t.status,
        t.assignee ? t.assignee.name + (t.assignee.role ? ' (' + t.assignee.role + ')' : '') : 'unassigned',
        time(t.ackDeadline),
        time(t.resolveDeadline),
        t.disposition,
      ]),
    );
    const runs =
      (d.playbookRuns || []).length === 0
        ? el('p', { class: 'muted' }, 'None.')
        : el(
            'div',
            {},
            ...d.playbookRuns.map((r) =>
              el(
                'div',
                { class: 'run' },
                el(
                  'span',
                  { class: 'clip' },
                  text(r.playbook) + ' \u00b7 ' + text(r.status) + (r.reason ? ' \u00b7 ' + r.reason : '') + ' \u00b7 ' + time(r.startedAt),
                ),
                el(
                  'ol',
                  { class: 'steps' },
                  ...(r.steps || []).map((s) =>
                    el(
                      'li',
                      { title: s.reason || null },
                      text(s.id) +
                        ' (' +
                        text(s.action) +
                        '): ' +
                        text(s.status) +
                        (s.attempts > 1 ? ', ' + s.attempts + ' attempts' : '') +
                        (s.reason ? ' \u2014 ' + s.reason : ''),
                    ),
                  ),
                ),
              ),
            ),
          );
    const approvals = table(
      ['Step', 'Role', 'Status', 'Deadline', 'Decided by'],
      (d.approvals || []).map((a) => [a.stepId, a.role, a.status, time(a.deadline), a.decidedBy]),
    );
    const evidence = table(
      ['#', 'Step', 'Items', 'Manifest hash', 'Created'],
      (d.evidence || []).map((e) => [String(e.seq), e.stepId, String(e.items), e.manifestHash, time(e.createdAt)]),
    );
    const notices = table(
      ['Channel', 'Kind', 'Status', 'Attempts', 'Error'],
      (d.notices || []).map((n) => [n.channel, n.kind, n.status, String(n.attempts), n.error]),
    );
    const timeline = table(
      ['At', 'Actor', 'Action', 'Subject'],
      (d.timeline || []).map((e) => [time(e.at), e.actor, e.action, e.subject ? e.subject.type : null]),
    );

    $('detail-body').replaceChildren(
      dl,
      ...section('Alerts (latest ' + (d.alerts || []).length + ')', alerts),
      ...section('Tasks', tasks),
      ...section('Playbook runs', runs),
      ...section('Approvals', approvals),
      ...section('Evidence', evidence),
      ...section('Notices', notices),
      ...section('Timeline', timeline),
    );
  }

  async function loadDetail(id) {
    try {
      renderDetail(await api('/v1/incidents/' + encodeURIComponent(id)));
      $('detail').dataset.incidentId = id;
    } catch (err) {
      if (err instanceof AuthError) throw err;
      $('detail-title').textContent = 'Incident';
      $('detail-body').replaceChildren(el('p', { class: 'banner' }, 'Could not load the incident: ' + err.message));
    }
  }

  function openDetailFromHash() {
    const match = /^#incident\/([^/]+)$/.exec(location.hash);
    if (!match || !state.key) return closeDetail();
    state.detailId = decodeURIComponent(match[1]);
    $('detail').hidden = false;
    $('detail-body').replaceChildren(el('p', { class: 'muted' }, 'Loading\u2026'));
    loadDetail(state.detailId).catch((err) => showLogin(err.message));
  }

  function closeDetail() {
    state.detailId = null;
    $('detail').hidden = true;
    delete $('detail').dataset.incidentId;
  }

  // ---- wiring ----------------------------------------------------------------------------

  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('login-key').value.trim();
    if (!key) return;
    void signIn(key);
  });
  $('logout').addEventListener('click', logout);
  $('refresh').addEventListener('click', () => void refresh());
  for (const b of document.querySelectorAll('[data-range]')) b.addEventListener('click', () => selectRange(b.dataset.range, true));
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadIncidents(false);
  });
  $('filters').addEventListener('reset', () => window.setTimeout(() => void loadIncidents(false), 0));
  for (const select of $('filters').querySelectorAll('select')) select.addEventListener('change', () => void loadIncidents(false));
  $('task-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadTasks();
  });
  $('task-filters').addEventListener('reset', () => window.setTimeout(() => void loadTasks(), 0));
  for (const select of $('task-filters').querySelectorAll('select')) select.addEventListener('change', () => void loadTasks());
  $('more').addEventListener('click', () => void loadIncidents(true));
  $('detail-close').addEventListener('click', (event) => {
    event.preventDefault();
    window.history.replaceState(null, '', location.pathname + location.search);
    closeDetail();
  });
  window.addEventListener('hashchange', openDetailFromHash);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.detailId) $('detail-close').click();
  });

  if (state.key) {
    void signIn(state.key).then(openDetailFromHash);
  } else {
    showLogin('');
  }
})();
