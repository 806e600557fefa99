/* global self */
// How Warden's pages (the dashboard, the workspace) show a number, a time or a deadline. One file
// for the pages (a classic script: window.WardenFormat) and for Node (the unit specs and the
// browser tests read the same rules), so "the card shows what /v1/stats says" is checked against
// one definition.
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.WardenFormat = factory();
})(typeof self !== 'undefined' ? self : globalThis, function () {
  'use strict';

  const DASH = '\u2014';

  /**
   * The value at a StatsView path such as `alerts.received` or `incidents.byStatus.open`.
   * A key missing from an existing object is 0 (maps omit zero counts); a missing parent is null.
   */
  function valueAt(stats, path) {
    let node = stats;
    const keys = path.split('.');
    for (let i = 0; i < keys.length; i++) {
      if (node === null || typeof node !== 'object') return null;
      const key = keys[i];
      if (!Object.prototype.hasOwnProperty.call(node, key)) return i === keys.length - 1 ? 0 : null;
      node = node[key];
    }
    return node === undefined ? null : node;
  }

  const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

  function count(v) {
    if (!isNumber(v)) return DASH;
    return Math.round(v).toLocaleString('en-US');
  }

  const pad = (n) => String(n).padStart(2, '0');

  /** Seconds as the largest two units: 42s, 4m 05s, 3h 07m, 2d 04h. */
  function duration(v) {
    if (!isNumber(v)) return DASH;
    const s = Math.max(0, Math.round(v));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + pad(s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + pad(Math.floor((s % 3600) / 60)) + 'm';
    return Math.floor(s / 86400) + 'd ' + pad(Math.floor((s % 86400) / 3600)) + 'h';
  }

  /** Alerts per incident: 8.3×. */
  function ratio(v) {
    if (!isNumber(v)) return DASH;
    return (Math.round(v * 10) / 10).toFixed(1) + '\u00d7';
  }

  const KINDS = { count: count, duration: duration, ratio: ratio };

  /** The text a card of this kind shows for a value. */
  function format(kind, value) {
    const f = KINDS[kind];
    if (!f) throw new Error('unknown stat kind ' + kind);
    return f(value);
  }

  /** A value as text; nothing (null, undefined, '') as a dash. */
  function text(v) {
    return v === undefined || v === null || v === '' ? DASH : String(v);
  }

  /** An instant as a short local date and time (31/12, 23:59:59); nothing as a dash, an unreadable value as it came. */
  function time(v) {
    if (!v) return DASH;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return d.toLocaleString('en-GB', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /**
   * How long until a deadline, from `now` (both instants or milliseconds): `4m 05s left`, or
   * `overdue 3m 10s` once it has passed. An SLA countdown the page ticks every second.
   */
  function countdown(deadline, now) {
    const due = new Date(deadline).getTime();
    const at = new Date(now).getTime();
    if (!isNumber(due) || !isNumber(at)) return DASH;
    const seconds = Math.round((due - at) / 1000);
    return seconds >= 0 ? duration(seconds) + ' left' : 'overdue ' + duration(-seconds);
  }

  /** Characters that show nothing or turn text around: zero-width, bidirectional embeddings, overrides and isolates, BOM. */
  const HIDDEN = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

  /**
   * The invisible or direction-changing characters a string holds, once each, as `U+202E`: an
   * alert title can spoof its text (a right-to-left override makes `gnp.exe` read `exe.png`), so a
   * page that shows it says so.
   */
  function hiddenCharacters(s) {
    const found = typeof s === 'string' ? s.match(HIDDEN) || [] : [];
    return [...new Set(found)].map((c) => 'U+' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0'));
  }

  return {
    valueAt: valueAt,
    format: format,
    count: count,
    duration: duration,
    ratio: ratio,
    text: text,
    time: time,
    countdown: countdown,
    hiddenCharacters: hiddenCharacters,
  };
});
