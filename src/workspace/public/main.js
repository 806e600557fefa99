/* global self, document, location, history, setInterval, WardenDom, WardenApi, WardenUi, WardenViews */
// The workspace's start: read the session (none: off to sign-in, coming back here), then show the
// view the #fragment names and keep it live: it polls every few seconds while the tab is visible,
// with ETags (an unchanged answer is an empty 304 and nothing is drawn again), and at once after
// an action. Deadlines tick every second on the server's clock.
(function (root) {
  'use strict';

  const { el } = WardenDom;
  const POLL_MS = 5000;
  const html = document.documentElement;
  const $ = (id) => document.getElementById(id);

  /** `#queue`, `#incident/<id>`, `#search?<filters>`, `#ip/<ip>`, `#reports`, `#report/<id>`. */
  function parse(hash) {
    const raw = hash.replace(/^#/, '');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    if (path === '' || path === 'queue') return { name: 'queue' };
    if (path === 'search') return { name: 'search', param: query };
    if (path === 'reports') return { name: 'reports' };
    const m = /^(incident|ip|report)\/([^/]+)$/.exec(path);
    if (m) {
      try {
        return { name: m[1], param: decodeURIComponent(m[2]) };
      } catch {
        return { name: 'unknown' };
      }
    }
    return { name: 'unknown' };
  }

  const unknown = {
    nav: null,
    title: () => 'Not found',
    mount(container) {
      container.replaceChildren(el('h2', {}, 'No such page'), el('p', {}, el('a', { href: '#queue' }, 'Back to my queue')));
      return { refresh: async () => undefined };
    },
  };

  let current = null;
  let busy = false;
  let again = false;

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  function route() {
    const r = parse(location.hash);
    const view = Object.hasOwn(WardenViews, r.name) ? WardenViews[r.name] : unknown;
    const container = el('section', { class: 'view', 'data-view': r.name, 'data-loads': '0' });
    $('view').replaceChildren(container);
    document.title = 'Warden \u00b7 ' + view.title();
    for (const a of document.querySelectorAll('[data-nav]')) {
      if (a.dataset.nav === view.nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    html.dataset.view = r.name;
    showError('');
    current = { container, view: view.mount(container, r.param) };
    void refresh();
  }

  /** Loads the current view; one load at a time, and one more when asked meanwhile (an action during a poll). */
  async function refresh() {
    if (!current) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    const shown = current;
    try {
      await shown.view.refresh();
      if (shown !== current) return;
      showError('');
      shown.container.dataset.loads = String(Number(shown.container.dataset.loads) + 1);
      html.dataset.state = 'ready';
      $('updated-at').textContent = 'Updated ' + new Date(WardenApi.now()).toLocaleTimeString('en-GB');
    } catch (err) {
      if (err instanceof WardenApi.SigningIn) return;
      if (shown === current) showError('Could not load this page: ' + (err instanceof WardenApi.ApiError ? err.text : err.message));
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }

  root.WardenPage = { refresh };

  async function start() {
    let session;
    try {
      session = await WardenApi.session();
    } catch (err) {
      if (err instanceof WardenApi.SigningIn) return;
      html.dataset.state = 'error';
      showError('Could not read the session: ' + (err instanceof WardenApi.ApiError ? err.text : err.message));
      $('view').replaceChildren();
      return;
    }
    const lead = WardenApi.has('lead');
    const executive = WardenApi.roles().includes('executive');
    $('who').textContent = session.analyst ? session.analyst.name + ' (' + WardenApi.roles().join(', ') + ')' : 'signed in';
    $('sign-out').hidden = false;
    $('sign-out').addEventListener('click', () => void WardenApi.signOut());
    document.querySelector('[data-nav="reports"]').hidden = !(lead || executive);
    $('dashboard-link').hidden = !lead;
    // An executive's own page is the reports; everyone else's their queue.
    if (!location.hash) history.replaceState(null, '', executive ? '#reports' : '#queue');
    root.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) void refresh();
    });
    setInterval(() => {
      if (!document.hidden) void refresh();
    }, POLL_MS);
    setInterval(() => WardenUi.tick(document), 1000);
    route();
  }

  void start();
})(typeof self !== 'undefined' ? self : globalThis);
