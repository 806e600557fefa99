/* global self, WardenDom, WardenFormat, WardenApi, WardenUi, WardenIncident */
// #incident/<id>: the incident with its tasks (checklist, comments and every action), pending
// approvals (Approve, Deny), playbook runs step by step with their undo, alerts, evidence (and
// its chain verified on request), notices and timeline; its Slack thread and Jira issue.
// The parts holding forms are kept across refreshes (WardenDom.keyed), so a live update never
// wipes what someone is typing; the rest is drawn again only when the API's answer changed.
(function (root) {
  'use strict';

  const { el, fill, clip, bdi, sev, section, keyed } = WardenDom;
  const { text, time } = WardenFormat;
  const { countdown } = WardenUi;

  const OPEN = ['new', 'assigned', 'acknowledged', 'in_progress'];
  const DISPOSITIONS = [
    ['true_positive', 'true positive'],
    ['false_positive', 'false positive (rolls containment back)'],
    ['benign', 'benign'],
  ];

  function mount(container, incidentId) {
    const base = '/v1/incidents/' + encodeURIComponent(incidentId);
    const result = WardenUi.resultArea('incident-result');
    const head = el('div', { id: 'incident-head' });
    const links = el('p', { id: 'incident-links', class: 'links' });
    const tasks = el('div', { id: 'incident-tasks' });
    const pending = el('div', { id: 'incident-pending' });
    const parts = {
      runs: el('div', { id: 'incident-runs' }),
      alerts: el('div', { id: 'incident-alerts' }),
      approvals: el('div', { id: 'incident-approvals' }),
      evidence: el('div', { id: 'incident-evidence' }),
      notices: el('div', { id: 'incident-notices' }),
      timeline: el('div', { id: 'incident-timeline' }),
    };
    const alertsTitle = el('h3', {}, 'Alerts');
    const verification = el('p', { id: 'evidence-verification', class: 'muted', 'aria-live': 'polite' });
    const verifyButton = el('button', { type: 'button', 'data-action': 'verify-evidence' }, 'Verify the evidence chain');
    const verifyBlock = el('div', { class: 'verify', hidden: true }, verifyButton, verification);
    container.replaceChildren(
      result,
      el(
        'div',
        { class: 'incident-sections' },
        head,
        links,
        ...section('Tasks', tasks),
        ...section('Pending approvals', pending),
        ...section('Playbook runs', parts.runs),
        alertsTitle,
        parts.alerts,
        ...section('Approvals', parts.approvals),
        ...section('Evidence', parts.evidence),
        verifyBlock,
        ...section('Notices', parts.notices),
        ...section('Timeline', parts.timeline),
      ),
    );

    let analysts = null;
    let incident = null;
    const details = new Map();

    const act = (button, run, done) => WardenUi.act(button, result, run, done);
    const post = (path, body, headers) => WardenApi.send('POST', path, body, headers);

    verifyButton.addEventListener('click', async () => {
      verifyButton.disabled = true;
      try {
        const { body: v } = await WardenApi.read(base + '/evidence/verification');
        verification.dataset.ok = String(v.ok);
        verification.textContent = v.ok
          ? 'Verified just now: ' + v.bundles + ' bundle(s), ' + v.sealed + ' sealed in the audit log; every hash and link holds.'
          : 'Broken: ' + v.problems.map((p) => '#' + p.seq + (p.item !== undefined ? ' item ' + p.item : '') + ': ' + p.message).join('; ');
      } catch (err) {
        if (!(err instanceof WardenApi.SigningIn)) WardenUi.show(result, { error: err });
      } finally {
        verifyButton.disabled = false;
      }
    });

    // ---- one task: facts, actions (kept), checklist and comments ----------------------------

    function taskCard(t) {
      const card = el('article', { class: 'task-card', 'data-task-id': t.id });
      const facts = el('p', { class: 'task-facts' });
      const checklist = el('ol', { class: 'checklist' });
      const comments = el('ul', { class: 'comments' });

      const ack = el('button', { type: 'button', 'data-action': 'ack' }, 'Acknowledge');
      ack.addEventListener('click', () => void act(ack, () => post('/v1/tasks/' + t.id + '/ack'), 'Acknowledged.'));
      const take = el('button', { type: 'button', 'data-action': 'take' }, 'Take');
      take.addEventListener('click', () => void act(take, () => post('/v1/tasks/' + t.id + '/take', {}), 'Taken: the task is yours.'));

      const resolve = el(
        'form',
        { class: 'inline', 'data-form': 'resolve' },
        WardenUi.select('disposition', DISPOSITIONS, 'Disposition'),
        el('input', { name: 'resolution', maxlength: '10000', placeholder: 'Resolution (optional)', 'aria-label': 'Resolution' }),
        el('button', { type: 'submit', 'data-action': 'resolve' }, 'Resolve'),
      );
      resolve.addEventListener('submit', (event) => {
        event.preventDefault();
        const disposition = resolve.elements.disposition.value;
        const resolution = resolve.elements.resolution.value.trim();
        void act(
          resolve.querySelector('button'),
          () => post('/v1/tasks/' + t.id + '/resolve', resolution ? { disposition, resolution } : { disposition }),
          'Resolved as ' + disposition.replace('_', ' ') + '.',
        );
      });

      const reassign = el(
        'form',
        { class: 'inline', 'data-form': 'reassign' },
        el('select', { name: 'to', 'aria-label': 'Reassign to' }, el('option', { value: '' }, 'the rules choose')),
        el('input', { name: 'reason', maxlength: '2000', placeholder: 'Reason (optional)', 'aria-label': 'Reason' }),
        el('button', { type: 'submit', 'data-action': 'reassign' }, 'Reassign'),
      );
      reassign.addEventListener('submit', (event) => {
        event.preventDefault();
        const to = reassign.elements.to.value;
        const reason = reassign.elements.reason.value.trim();
        const body = Object.assign({}, to ? { to } : {}, reason ? { reason } : {});
        // One key per press: a retried request is applied once.
        void act(
          reassign.querySelector('button'),
          () => post('/v1/tasks/' + t.id + '/reassign', body, { 'idempotency-key': WardenApi.idempotencyKey() }),
          'Reassigned.',
        );
      });

      const comment = el(
        'form',
        { class: 'comment', 'data-form': 'comment' },
        el('textarea', { name: 'text', required: true, maxlength: '10000', rows: '2', placeholder: 'Comment', 'aria-label': 'Comment' }),
        el('button', { type: 'submit', 'data-action': 'comment' }, 'Comment'),
      );
      comment.addEventListener('submit', (event) => {
        event.preventDefault();
        const textArea = comment.elements.text;
        const value = textArea.value.trim();
        if (!value) return;
        void act(
          comment.querySelector('button'),
          async () => {
            await post('/v1/tasks/' + t.id + '/comments', { text: value });
            textArea.value = '';
          },
          'Comment added.',
        );
      });

      card.append(
        facts,
        el('div', { class: 'actions' }, ack, take, resolve, reassign),
        el('h4', {}, 'Checklist'),
        checklist,
        el('h4', {}, 'Comments'),
        comments,
        comment,
      );
      card.parts = { facts, checklist, comments, ack, take, resolve, reassign, comment };
      return card;
    }

    function updateTask(card, t) {
      const p = card.parts;
      const open = OPEN.includes(t.status);
      card.dataset.status = t.status;
      fill(
        p.facts,
        el('strong', { class: 'prio-' + t.priority }, text(t.priority)),
        ' \u00b7 ',
        el('span', { class: 'status' }, text(t.status)),
        ' \u00b7 ',
        t.assignee
          ? bdi(t.assignee.name + (t.assignee.role ? ' (' + t.assignee.role + ')' : ''))
          : 'unassigned, waiting for ' + t.assignRole,
        ' \u00b7 ack ',
        t.acknowledgedAt ? time(t.acknowledgedAt) : countdown(t.ackDeadline),
        ' \u00b7 resolve ',
        t.resolvedAt ? time(t.resolvedAt) : countdown(t.resolveDeadline),
        t.disposition ? ' \u00b7 ' + t.disposition : null,
        t.resolution ? ' \u2014 ' : null,
        t.resolution ? bdi(t.resolution) : null,
      );
      p.ack.hidden = !open || Boolean(t.acknowledgedAt);
      p.take.hidden = !open || Boolean(t.assignee);
      p.resolve.hidden = !open;
      p.reassign.hidden = !open;
      p.comment.hidden = !open;
      fillAnalysts(p.reassign.elements.to);

      const detail = details.get(t.id);
      const steps = (detail && detail.checklist) || t.checklist || [];
      p.checklist.replaceChildren(...steps.map((s) => el('li', { 'data-step': s.id }, s.text)));
      if (steps.length === 0) p.checklist.replaceChildren(el('li', { class: 'muted' }, 'No checklist.'));
      const said = (detail && detail.comments) || [];
      p.comments.replaceChildren(
        ...said.map((c) =>
          el(
            'li',
            { 'data-comment-id': c.id },
            el('span', { class: 'muted' }, time(c.createdAt) + ' '),
            el('strong', {}, bdi(c.author)),
            ': ',
            el('span', { class: 'comment-text' }, c.text),
          ),
        ),
      );
      if (said.length === 0) p.comments.replaceChildren(el('li', { class: 'muted' }, 'No comments yet.'));
    }

    /** The roster as reassignment targets, once loaded; the choice made is kept. */
    function fillAnalysts(selectNode) {
      if (!analysts || selectNode.options.length > 1) return;
      for (const a of analysts)
        selectNode.append(
          el(
            'option',
            { value: a.id },
            a.name + ' (' + a.role + ', ' + a.openTasks + '/' + a.capacity + (a.available ? '' : ', away') + ')',
          ),
        );
    }

    // ---- pending approvals (kept) ---------------------------------------------------------

    function approvalCard(a) {
      const reason = el('input', { name: 'reason', required: true, maxlength: '2000', placeholder: 'Reason', 'aria-label': 'Reason' });
      const decide = (decision, label) => {
        const b = el('button', { type: 'button', 'data-decision': decision }, label);
        b.addEventListener('click', () => {
          if (!reason.reportValidity()) return;
          void act(
            b,
            () => post('/v1/approvals/' + a.id, { decision, reason: reason.value.trim() }),
            (decision === 'approve' ? 'Approved: ' : 'Denied: ') + a.stepId,
          );
        });
        return b;
      };
      const card = el(
        'div',
        { class: 'approval', 'data-approval-id': a.id },
        el('p', { class: 'what' }),
        el('div', { class: 'inline' }, reason, decide('approve', 'Approve'), decide('deny', 'Deny')),
      );
      return card;
    }

    function updateApproval(card, a) {
      const run = (incident.playbookRuns || []).find((r) => r.id === a.runId);
      const step = run && (run.steps || []).find((s) => s.id === a.stepId);
      fill(
        card.querySelector('.what'),
        bdi(run ? run.playbook : ''),
        ' \u203a ',
        bdi(a.stepId),
        step ? ' (' + step.action + ' ' : null,
        step ? bdi(JSON.stringify(step.input || {})) : null,
        step ? ')' : null,
        ' needs ',
        el('strong', {}, text(a.role)),
        ' or above; decide within ',
        countdown(a.deadline),
      );
    }

    // ---- the rest, drawn again when the incident changed -----------------------------------

    function renderIncident(d) {
      incident = d;
      const hidden = WardenFormat.hiddenCharacters(d.title);
      fill(
        head,
        el('h2', { id: 'incident-title', class: 'clip', title: d.title }, d.title),
        hidden.length
          ? el(
              'p',
              { class: 'hidden-chars', role: 'note' },
              'The title holds invisible or direction-changing characters (' +
                hidden.join(', ') +
                '): what it seems to say may not be what it says.',
            )
          : null,
        el(
          'p',
          { class: 'badges' },
          sev(d.severity),
          ' ',
          el('strong', { class: 'prio-' + d.priority }, text(d.priority)),
          ' \u00b7 ',
          text(d.status),
          ' \u00b7 ',
          bdi((d.types || []).join(', ')),
        ),
        WardenIncident.facts(d),
      );
      alertsTitle.textContent = 'Alerts (latest ' + (d.alerts || []).length + ')';
      parts.runs.replaceChildren(WardenIncident.runs(d));
      parts.alerts.replaceChildren(WardenIncident.alerts(d));
      parts.approvals.replaceChildren(WardenIncident.approvals(d));
      parts.evidence.replaceChildren(WardenIncident.evidence(d));
      parts.notices.replaceChildren(WardenIncident.notices(d));
      parts.timeline.replaceChildren(WardenIncident.timeline(d));
      verifyBlock.hidden = (d.evidence || []).length === 0;
      const waiting = (d.approvals || []).filter((a) => a.status === 'pending');
      keyed(pending, waiting, (a) => a.id, approvalCard, updateApproval);
      if (waiting.length === 0) pending.replaceChildren(el('p', { class: 'muted' }, 'None.'));
    }

    function renderLinks(l) {
      const out = [];
      if (l.slack)
        out.push(el('a', { href: l.slack.url, target: '_blank', rel: 'noopener noreferrer', 'data-link': 'slack' }, 'Slack thread'));
      if (l.jira)
        out.push(
          el('a', { href: l.jira.url, target: '_blank', rel: 'noopener noreferrer', 'data-link': 'jira' }, 'Jira ', bdi(l.jira.key)),
        );
      links.replaceChildren(
        ...(out.length
          ? out.flatMap((a, i) => (i ? [' \u00b7 ', a] : [a]))
          : [el('span', { class: 'muted' }, 'No Slack thread or Jira issue yet.')]),
      );
    }

    async function refresh() {
      let d;
      try {
        d = await WardenApi.read(base);
      } catch (err) {
        if (err instanceof WardenApi.ApiError && err.status === 404) {
          head.replaceChildren(el('h2', { id: 'incident-title' }, 'No such incident'), clip(incidentId));
          return;
        }
        throw err;
      }
      if (analysts === null) analysts = (await WardenApi.read('/v1/analysts?limit=1000')).body.items;
      const [l, ...taskReads] = await Promise.all([
        WardenApi.read(base + '/links'),
        ...d.body.tasks.map((t) => WardenApi.read('/v1/tasks/' + encodeURIComponent(t.id))),
      ]);
      taskReads.forEach((r) => details.set(r.body.id, r.body));
      if (d.changed) renderIncident(d.body);
      if (l.changed) renderLinks(l.body);
      if (d.changed || taskReads.some((r) => r.changed)) {
        keyed(tasks, d.body.tasks, (t) => t.id, taskCard, updateTask);
        if (d.body.tasks.length === 0) tasks.replaceChildren(el('p', { class: 'muted' }, 'No task yet.'));
      }
    }

    return { refresh };
  }

  (root.WardenViews = root.WardenViews || {}).incident = { nav: null, title: () => 'Incident', mount };
})(typeof self !== 'undefined' ? self : globalThis);
