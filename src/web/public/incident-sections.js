/* global self, WardenDom, WardenFormat */
// An incident as GET /v1/incidents/{id} answers it, section by section: the dashboard's detail
// panel and the workspace's incident page show the same sections from this one file. Every
// string is text (WardenDom), under the pages' strict CSP.
(function (root) {
  'use strict';

  const { el, bdi, sev, cells, tableOf, table } = WardenDom;
  const { text, time, count } = WardenFormat;

  /** The incident's facts, as a definition list. */
  function facts(d) {
    const rows = [
      ['Title', d.title],
      ['Status', d.status],
      ['Severity', d.severity],
      ['Priority', d.priority],
      ['Types', (d.types || []).join(', ')],
      ['Source IP', d.sourceIp],
      ['User', d.user],
      ['Host', d.host],
      ['Alerts', count(d.alertCount)],
      ['Alerts firing', count(d.firingAlerts)],
      ['Alerts resolved', count(d.resolvedAlerts)],
      ['Rule', d.rule],
      ['Opened', time(d.createdAt)],
      ['Last seen', time(d.lastSeenAt)],
      ['Resolved', time(d.resolvedAt)],
    ];
    if (d.stormSources) rows.push(['Storm sources', count(d.stormSources.distinct)]);
    return el(
      'dl',
      {},
      ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { title: v === null || v === undefined ? null : String(v) }, text(v))]),
    );
  }

  const ALERT_HEADERS = ['Received', 'Severity', 'Type', 'Title', 'Source IP', 'Destination', 'Seen', 'Status', 'Resolved'];

  /**
   * The latest alerts, each with how its monitor left it (firing, resolved and when). Each alert's
   * description (up to 10,000 characters from the sensor) sits in a row of its own beneath it: text
   * in a box a few lines tall that scrolls, so the page stays usable.
   */
  function alerts(d) {
    return tableOf(
      ALERT_HEADERS,
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
            count(a.occurrences),
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
              { colspan: ALERT_HEADERS.length },
              el('div', { class: 'description', tabindex: '0', role: 'region', 'aria-label': 'Alert description' }, a.description),
            ),
          ),
        ];
      }),
    );
  }

  const assigneeOf = (t) => (t.assignee ? t.assignee.name + (t.assignee.role ? ' (' + t.assignee.role + ')' : '') : 'unassigned');

  function tasks(d) {
    return table(
      ['Priority', 'Status', 'Assignee', 'Ack by', 'Resolve by', 'Disposition'],
      (d.tasks || []).map((t) => [t.priority, t.status, assigneeOf(t), time(t.ackDeadline), time(t.resolveDeadline), t.disposition]),
    );
  }

  /** What became of a step's undo: rolled back, still rolling back, or failed (to be re-driven). */
  const COMPENSATION = { compensated: 'rolled back', running: 'rolling back', failed: 'rollback failed' };

  function step(s) {
    const c = s.compensation;
    const undo = c ? COMPENSATION[c.status] || c.status : null;
    return el(
      'li',
      {
        class: 'step step-' + s.status + (c ? ' compensation-' + c.status : ''),
        'data-step-id': s.id,
        'data-status': s.status,
        'data-compensation': c ? c.status : null,
        title: s.reason || null,
      },
      bdi(s.id),
      ' (' + text(s.action) + '): ',
      el('strong', {}, text(s.status)),
      s.attempts > 1 ? ', ' + s.attempts + ' attempts' : null,
      s.reason ? ' \u2014 ' : null,
      s.reason ? bdi(s.reason) : null,
      undo ? el('span', { class: 'undo' }, ' \u00b7 ' + undo) : null,
      c && c.error ? ' \u2014 ' : null,
      c && c.error ? bdi(c.error) : null,
    );
  }

  /** Each playbook run with its steps in the playbook's order, `uncertain` ones and their undo included. */
  function runs(d) {
    if ((d.playbookRuns || []).length === 0) return el('p', { class: 'muted' }, 'None.');
    return el(
      'div',
      {},
      ...d.playbookRuns.map((r) =>
        el(
          'div',
          { class: 'run', 'data-run-id': r.id, 'data-status': r.status },
          el(
            'span',
            { class: 'clip' },
            bdi(r.playbook),
            ' \u00b7 ',
            el('strong', {}, text(r.status)),
            r.reason ? ' \u00b7 ' : null,
            r.reason ? bdi(r.reason) : null,
            ' \u00b7 ' + time(r.startedAt),
          ),
          el('ol', { class: 'steps' }, ...(r.steps || []).map(step)),
        ),
      ),
    );
  }

  /** The approvals of the incident's runs, pending and decided. */
  function approvals(d) {
    return table(
      ['Step', 'Role', 'Status', 'Deadline', 'Decided by', 'Reason'],
      (d.approvals || []).map((a) => [a.stepId, a.role, a.status, time(a.deadline), a.decidedBy, a.reason]),
    );
  }

  function evidence(d) {
    return table(
      ['#', 'Step', 'Items', 'Manifest hash', 'Created'],
      (d.evidence || []).map((e) => [String(e.seq), e.stepId, String(e.items), e.manifestHash, time(e.createdAt)]),
    );
  }

  function notices(d) {
    return table(
      ['Channel', 'Kind', 'Status', 'Attempts', 'Error'],
      (d.notices || []).map((n) => [n.channel, n.kind, n.status, String(n.attempts), n.error]),
    );
  }

  function timeline(d) {
    return table(
      ['At', 'Actor', 'Action', 'Subject'],
      (d.timeline || []).map((e) => [time(e.at), e.actor, e.action, e.subject ? e.subject.type : null]),
    );
  }

  root.WardenIncident = { facts, alerts, tasks, runs, approvals, evidence, notices, timeline };
})(typeof self !== 'undefined' ? self : globalThis);
