/* global self, WardenDom, WardenFormat, WardenApi, WardenUi */
// #queue: my open tasks by priority, then the deadline that matters now, each with its SLA
// countdown; and the capacity queue of my roles (tasks nobody could take yet), with Take.
(function (root) {
  'use strict';

  const { el, clip, tableOf } = WardenDom;
  const { text, time } = WardenFormat;
  const { countdown, incidentLink } = WardenUi;

  /** Before acknowledgement the ack deadline counts, after it the resolve deadline (as GET /v1/tasks orders them). */
  const dueLabel = (t) => (t.acknowledgedAt ? 'resolve' : 'ack');
  const byUrgency = (a, b) => (a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : Date.parse(a.dueAt) - Date.parse(b.dueAt));

  function mount(container) {
    const result = WardenUi.resultArea('queue-result');
    const mine = el('div', { id: 'my-tasks' });
    const waitingTitle = el('h2', { id: 'capacity-title' }, 'Waiting for my role');
    const waiting = el('div', { id: 'capacity-queue' });
    container.replaceChildren(el('h2', {}, 'My tasks'), result, mine, waitingTitle, waiting);

    const button = (label, action, run, done) => {
      const b = el('button', { type: 'button', 'data-action': action }, label);
      b.addEventListener('click', () => void WardenUi.act(b, result, run, done));
      return b;
    };

    function renderMine(tasks) {
      mine.replaceChildren(
        tableOf(
          [['Priority', 'w-tag'], ['Status', 'w-status'], 'Title', ['Due', 'w-due'], ['', 'w-actions']],
          tasks.map((t) =>
            el(
              'tr',
              { 'data-task-id': t.id, 'data-status': t.status },
              el('td', { class: 'prio-' + t.priority }, text(t.priority)),
              el('td', {}, text(t.status)),
              el('td', { class: 'title' }, incidentLink(t.incidentId, t.title)),
              el('td', {}, el('span', { class: 'muted' }, dueLabel(t) + ' '), countdown(t.dueAt)),
              el(
                'td',
                { class: 'actions' },
                t.acknowledgedAt
                  ? null
                  : button('Acknowledge', 'ack', () => WardenApi.send('POST', '/v1/tasks/' + t.id + '/ack'), 'Acknowledged: ' + t.title),
              ),
            ),
          ),
        ),
      );
    }

    function renderWaiting(tasks) {
      waiting.replaceChildren(
        tableOf(
          [['Priority', 'w-tag'], 'Title', ['Role', 'w-mid'], ['Waiting since', 'w-time'], ['Due', 'w-due'], ['', 'w-actions']],
          tasks.map((t) =>
            el(
              'tr',
              { 'data-task-id': t.id, 'data-status': t.status },
              el('td', { class: 'prio-' + t.priority }, text(t.priority)),
              el('td', { class: 'title' }, incidentLink(t.incidentId, t.title)),
              el('td', {}, clip(t.assignRole)),
              el('td', {}, time(t.openedAt)),
              el('td', {}, el('span', { class: 'muted' }, dueLabel(t) + ' '), countdown(t.dueAt)),
              el(
                'td',
                { class: 'actions' },
                button('Take', 'take', () => WardenApi.send('POST', '/v1/tasks/' + t.id + '/take', {}), 'Taken: ' + t.title),
              ),
            ),
          ),
        ),
      );
    }

    async function refresh() {
      const session = WardenApi.current();
      if (!session.analyst) {
        mine.replaceChildren(el('p', { class: 'muted' }, 'This session acts for no analyst, so it has no tasks of its own.'));
      } else {
        const my = await WardenApi.read('/v1/tasks?assignee=me&status=open&limit=1000');
        if (my.changed) renderMine(my.body.items);
      }
      // A lead without a roster role sees every task waiting; anyone else the queue of their roles.
      const roles = WardenApi.roles();
      const paths =
        roles.length > 0
          ? roles.map((r) => '/v1/tasks?assignee=none&status=open&limit=1000&role=' + encodeURIComponent(r))
          : WardenApi.has('lead')
            ? ['/v1/tasks?assignee=none&status=open&limit=1000']
            : [];
      waitingTitle.textContent = roles.length > 0 ? 'Waiting for my role: ' + roles.join(', ') : 'Waiting for anyone';
      const queues = await Promise.all(paths.map((p) => WardenApi.read(p)));
      if (queues.some((q) => q.changed) || queues.length === 0) renderWaiting(queues.flatMap((q) => q.body.items).sort(byUrgency));
    }

    return { refresh };
  }

  (root.WardenViews = root.WardenViews || {}).queue = { nav: 'queue', title: () => 'My queue', mount };
})(typeof self !== 'undefined' ? self : globalThis);
