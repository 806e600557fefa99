/* global self, WardenDom, WardenFormat, WardenApi */
// What the workspace's views share: action buttons that say what happened (or the refusal's
// detail), SLA countdowns that tick, links to an incident's page.
(function (root) {
  'use strict';

  const { el, fill, clip } = WardenDom;

  /** Where a view says what an action did, or why it was refused. */
  const resultArea = (id) => el('p', { id, class: 'result', 'aria-live': 'polite', hidden: true });

  /**
   * Shows an outcome: `ok` text, or a refusal: the problem's `detail` (what the use case said) and,
   * apart, the fields it named.
   */
  function show(area, outcome) {
    area.hidden = false;
    area.removeAttribute('role');
    if (outcome.ok !== undefined) {
      area.className = 'result ok';
      area.replaceChildren(el('span', { class: 'detail' }, outcome.ok));
      return;
    }
    const err = outcome.error;
    area.className = 'result refused';
    area.setAttribute('role', 'alert');
    const fields = err instanceof WardenApi.ApiError ? err.errors.map((e) => e.path + ': ' + e.message).join('; ') : '';
    fill(
      area,
      el('span', { class: 'detail' }, err instanceof WardenApi.ApiError ? err.detail : String(err.message)),
      fields ? el('span', { class: 'fields' }, ' (' + fields + ')') : null,
    );
  }

  /**
   * Runs an action from a button: disabled while it runs, then `done` text in `area`, or the
   * refusal's detail; then the page refreshes at once, so it shows the state that follows.
   */
  async function act(button, area, run, done) {
    button.disabled = true;
    try {
      await run();
      show(area, { ok: done });
    } catch (err) {
      if (err instanceof WardenApi.SigningIn) return;
      show(area, { error: err });
    } finally {
      button.disabled = false;
    }
    root.WardenPage.refresh();
  }

  /** A deadline that counts down on the server's clock; `tick` brings every one on the page up to date. */
  const countdown = (deadline) => {
    const node = el('span', { class: 'countdown', 'data-due': deadline, title: WardenFormat.time(deadline) });
    paint(node);
    return node;
  };

  function paint(node) {
    const due = node.getAttribute('data-due');
    node.textContent = WardenFormat.countdown(due, WardenApi.now());
    node.classList.toggle('overdue', new Date(due).getTime() < WardenApi.now());
  }

  const tick = (scope) => scope.querySelectorAll('.countdown[data-due]').forEach(paint);

  /** An incident's title, as a link to its page when it has one (a digest task has none). */
  const incidentLink = (incidentId, title) =>
    incidentId
      ? el('a', { href: '#incident/' + encodeURIComponent(incidentId), class: 'clip', title }, WardenFormat.text(title))
      : clip(title);

  /** A `<select>` of values, each labelled. */
  const select = (name, options, label) =>
    el('select', { name, 'aria-label': label }, ...options.map(([value, text]) => el('option', { value }, text)));

  root.WardenUi = { resultArea, show, act, countdown, tick, incidentLink, select };
})(typeof self !== 'undefined' ? self : globalThis);
