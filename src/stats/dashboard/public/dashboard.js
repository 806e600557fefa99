/* global window, document, sessionStorage, location, fetch, URLSearchParams, setInterval, clearInterval, WardenFormat, WardenDom, WardenIncident, WardenCharts */
// The team lead dashboard. Every string from the API reaches the page through textContent or
// setAttribute (WardenDom), never innerHTML: alert titles are attacker-controlled. The charts are
// dashboard-charts.js, the incident sections the workspace's too (web/public/incident-sections.js).
(function () {
  'use strict';

  const KEY = 'warden.dashboard.key';
  const RANGE = 'warden.dashboard.range';
  const HOUR = 3600 * 1000;
  const RANGES = { '1h': HOUR, '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };
  const REFRESH_MS = 15000;
  const PAGE = 50;

  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);

  const { el, clip, sev, section } = WardenDom;
  const { text, time } = WardenFormat;
  const incidentHref = (id) => '#incident/' + encodeURIComponent(id);
  /** An incident in the analyst's workspace, where it can be worked on. */
  const workspaceHref = (id) => '/app#incident/' + encodeURIComponent(id);

  class AuthError extends Error {}

  const state = {
    key: sessionStorage.getItem(KEY),
    range: RANGES[sessionStorage.getItem(RANGE)] ? sessionStorage.getItem(RANGE) : '24h',
    from: null,
    to: null,
    timer: null,
    busy: false,
    incidents: [],
    tasksByIncident: new Map(),
    nextCursor: null,
    detailId: null,
    refreshes: 0,
    /** The latest task-table load: an older answer arriving late never overwrites a newer filter's. */
    taskSeq: 0,
    analystsKey: '',
    /** The ATT&CK tactic or cell whose incidents are listed ({ tactic, technique|null }), or null. */
    attack: null,
    /** The matrix of the latest refresh, for the names of the selection. */
    matrix: null,
    attackIncidents: [],
    attackCursor: null,
    attackSeq: 0,
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
    WardenCharts.destroy();
    closeDetail();
    selectAttack(null);
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
      WardenCharts.render(stats, RANGES[state.range] > 24 * HOUR);
      renderTypes(stats);
      renderAssignees(stats);
      renderTops(stats);
      renderMatrix(stats);
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
      // The listed tactic's incidents follow the range, as its count in the matrix does.
      if (state.attack) await loadAttack(false);
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

  // ---- enrichment: top countries and ASNs, the ATT&CK matrix -------------------------------

  /** A ranked table of the figure `id` from items seen through `view` ({ key, label, alerts }). */
  function renderTop(id, items, view) {
    const figure = $(id);
    const rows = items.map((item) => {
      const v = view(item);
      return el('tr', { 'data-key': v.key }, el('td', {}, clip(v.label)), el('td', { class: 'num' }, WardenFormat.count(v.alerts)));
    });
    figure.querySelector('tbody').replaceChildren(...rows);
    figure.querySelector('table').hidden = rows.length === 0;
    figure.querySelector('p').hidden = rows.length > 0;
  }

  function renderTops(stats) {
    renderTop('top-countries', stats.topCountries || [], (c) => ({
      key: c.iso,
      label: c.name ? c.name + ' (' + c.iso + ')' : c.iso,
      alerts: c.alerts,
    }));
    renderTop('top-asns', stats.topAsns || [], (a) => ({
      key: String(a.number),
      label: 'AS' + a.number + (a.organization ? ' ' + a.organization : ''),
      alerts: a.alerts,
    }));
  }

  const selected = (tactic, technique) => !!state.attack && state.attack.tactic === tactic && state.attack.technique === technique;

  /** Tactics as columns (kill-chain order, as the API gives them), each technique a cell; every count a button. */
  function renderMatrix(stats) {
    const matrix = stats.attack || { version: '', tactics: [] };
    state.matrix = matrix;
    $('attack-version').textContent = 'ATT&CK ' + matrix.version;
    const columns = matrix.tactics.map((t) =>
      el(
        'div',
        { class: t.incidents > 0 ? 'tactic' : 'tactic zero', 'data-tactic': t.id },
        el(
          'button',
          {
            type: 'button',
            class: 'tactic-head',
            'data-tactic': t.id,
            'data-count': t.incidents,
            'aria-pressed': String(selected(t.id, null)),
            disabled: t.incidents === 0,
            title: t.id + ' ' + t.name,
          },
          el('span', { class: 'name' }, text(t.name)),
          el('span', { class: 'muted' }, text(t.id)),
          el('span', { class: 'count' }, WardenFormat.count(t.incidents)),
        ),
        el(
          'ol',
          { class: 'techniques' },
          ...t.techniques.map((k) =>
            el(
              'li',
              {},
              el(
                'button',
                {
                  type: 'button',
                  class: 'technique',
                  'data-tactic': t.id,
                  'data-technique': k.id,
                  'data-count': k.incidents,
                  'aria-pressed': String(selected(t.id, k.id)),
                  title: k.id + ' ' + k.name,
                },
                el('span', { class: 'name' }, text(k.id + ' ' + k.name)),
                el('span', { class: 'count' }, WardenFormat.count(k.incidents)),
              ),
            ),
          ),
        ),
      ),
    );
    $('attack-matrix').replaceChildren(...columns);
  }

  /** What the list is of, in words: the tactic, or the technique under it. */
  function attackTitle(sel) {
    const tactic = ((state.matrix && state.matrix.tactics) || []).find((t) => t.id === sel.tactic);
    const tacticName = tactic ? tactic.name + ' (' + tactic.id + ')' : sel.tactic;
    if (!sel.technique) return 'Incidents in ' + tacticName;
    const technique = tactic ? tactic.techniques.find((k) => k.id === sel.technique) : null;
    return 'Incidents with ' + sel.technique + (technique ? ' ' + technique.name : '') + ' under ' + tacticName;
  }

  /** Lists a tactic's or a cell's incidents; the same one again (or null) closes the list. */
  function selectAttack(sel) {
    state.attack = sel && !selected(sel.tactic, sel.technique) ? sel : null;
    state.attackSeq++;
    state.attackIncidents = [];
    state.attackCursor = null;
    for (const b of $('attack-matrix').querySelectorAll('button[data-tactic]'))
      b.setAttribute('aria-pressed', String(selected(b.dataset.tactic, b.dataset.technique || null)));
    $('attack-drill').hidden = !state.attack;
    $('attack-incidents').tBodies[0].replaceChildren();
    delete $('attack-incidents').dataset.query;
    if (state.attack) {
      $('attack-drill-title').textContent = attackTitle(state.attack);
      void loadAttack(false);
    }
  }

  async function loadAttack(append) {
    const sel = state.attack;
    if (!sel || !state.from) return;
    const seq = ++state.attackSeq;
    const query = new URLSearchParams({ from: state.from, to: state.to, tactic: sel.tactic, limit: String(PAGE) });
    if (sel.technique) query.set('technique', sel.technique);
    const asked = String(query);
    if (append && state.attackCursor) query.set('cursor', state.attackCursor);
    try {
      const page = await api('/v1/stats/attack/incidents?' + query);
      if (seq !== state.attackSeq) return;
      state.attackIncidents = append ? state.attackIncidents.concat(page.items || []) : page.items || [];
      state.attackCursor = page.nextCursor || null;
      $('attack-error').hidden = true;
      $('attack-drill-title').textContent = attackTitle(sel);
      renderAttackIncidents(asked);
    } catch (err) {
      if (err instanceof AuthError) return showLogin(err.message);
      if (seq !== state.attackSeq) return;
      $('attack-error').textContent = 'Could not list the incidents: ' + err.message;
      $('attack-error').hidden = false;
    }
  }

  function renderAttackIncidents(query) {
    const rows = state.attackIncidents.map((i) =>
      el(
        'tr',
        { 'data-incident-id': i.id },
        el('td', {}, time(i.createdAt)),
        el('td', { class: 'prio-' + i.priority }, text(i.priority)),
        el('td', {}, sev(i.severity)),
        el('td', {}, text(i.status)),
        el('td', { class: 'title' }, el('a', { href: workspaceHref(i.id), class: 'clip', title: i.title }, text(i.title))),
        el('td', {}, clip((i.types || []).join(', '))),
      ),
    );
    $('attack-incidents').tBodies[0].replaceChildren(...rows);
    // The query this list answers, so a reader (or the browser test) knows which load it shows.
    $('attack-incidents').dataset.query = query;
    $('attack-empty').hidden = rows.length > 0;
    $('attack-more').hidden = !state.attackCursor;
  }

  // ---- incident detail -------------------------------------------------------------------

  function renderDetail(d) {
    $('detail-title').textContent = d.title;
    $('detail-title').setAttribute('title', d.title);
    $('detail-body').replaceChildren(
      WardenIncident.facts(d),
      ...section('Alerts (latest ' + (d.alerts || []).length + ')', WardenIncident.alerts(d)),
      ...section('Tasks', WardenIncident.tasks(d)),
      ...section('Playbook runs', WardenIncident.runs(d)),
      ...section('Approvals', WardenIncident.approvals(d)),
      ...section('Evidence', WardenIncident.evidence(d)),
      ...section('Notices', WardenIncident.notices(d)),
      ...section('Timeline', WardenIncident.timeline(d)),
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
  $('attack-matrix').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-tactic]');
    if (button && !button.disabled) selectAttack({ tactic: button.dataset.tactic, technique: button.dataset.technique || null });
  });
  $('attack-more').addEventListener('click', () => void loadAttack(true));
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
