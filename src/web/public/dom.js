/* global self, document, window, WardenFormat */
// The text-only DOM builders every Warden page uses. Strings from the API become text nodes or
// attribute values, never markup: alert titles, hosts, users and reasons are attacker-controlled.
(function (root) {
  'use strict';

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

  /** Replaces a node's children, leaving out the null and undefined ones (the DOM's own replaceChildren writes them as "null"). */
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));

  /** A string clipped to one line by CSS (never cut in the data), the whole of it in the tooltip. */
  const clip = (v, attrs) =>
    el('span', Object.assign({ class: 'clip', title: v === undefined || v === null ? null : String(v) }, attrs), WardenFormat.text(v));

  /**
   * Someone else's string inside a line of ours: isolated, so a right-to-left override in an alert
   * title cannot reorder the words around it.
   */
  const bdi = (v) => el('bdi', {}, WardenFormat.text(v));

  const SEVERITIES = ['low', 'medium', 'high', 'critical'];
  const sev = (s) => el('span', { class: SEVERITIES.includes(s) ? 'sev sev-' + s : 'sev' }, WardenFormat.text(s));

  const cells = (values) => values.map((c) => el('td', {}, c instanceof window.Node ? c : clip(c)));

  /** A header cell: its text, or `[text, class]` for a column of fixed width (w-tag, w-time, …). */
  const th = (h) => (Array.isArray(h) ? el('th', { class: h[1] }, h[0]) : el('th', {}, h));

  /** A table of rows given as `<tr>` elements; none: "None.". */
  function tableOf(headers, trs) {
    if (trs.length === 0) return el('p', { class: 'muted' }, 'None.');
    return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, el('tr', {}, ...headers.map(th))), el('tbody', {}, ...trs)));
  }

  /** A table of rows given as arrays of cells (text, or a node). */
  const table = (headers, rows) =>
    tableOf(
      headers,
      rows.map((values) => el('tr', {}, ...cells(values))),
    );

  const section = (title, content) => [el('h3', {}, title), content];

  /**
   * Brings `container`'s children in line with `items` by key: a child whose key is still there is
   * kept (with what someone is typing into it) and updated, a new key gets a new child, a gone one
   * is removed. For the parts of a live page that hold forms.
   */
  function keyed(container, items, keyOf, create, update) {
    const existing = new Map([...container.children].map((c) => [c.dataset.key, c]));
    const wanted = items.map((item) => {
      const key = String(keyOf(item));
      let node = existing.get(key);
      if (!node) {
        node = create(item);
        node.dataset.key = key;
      }
      if (update) update(node, item);
      return node;
    });
    // Move only what is out of place: a node taken out of the page loses the keyboard focus.
    wanted.forEach((node, i) => {
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    });
    while (container.children.length > wanted.length) container.lastElementChild.remove();
  }

  root.WardenDom = { el, fill, clip, bdi, sev, cells, tableOf, table, section, keyed };
})(typeof self !== 'undefined' ? self : globalThis);
