import {
  alertViewStatus,
  highestCriticality,
  comparePriority,
  isContainment,
  deliveryFor,
  higherSeverity,
  isMoreUrgent,
  PRIORITIES,
  raisePriority,
} from '.';

describe('higherSeverity', () => {
  it.each([
    ['low', 'medium', 'medium'],
    ['medium', 'low', 'medium'],
    ['high', 'critical', 'critical'],
    ['critical', 'high', 'critical'],
    ['high', 'high', 'high'],
  ] as const)('of %s and %s is %s', (a, b, expected) => {
    expect(higherSeverity(a, b)).toBe(expected);
  });
});

describe('comparePriority', () => {
  it('sorts P1 first', () => {
    expect(['P3', 'P1', 'P4', 'P2'].map((p) => p as (typeof PRIORITIES)[number]).sort(comparePriority)).toEqual(['P1', 'P2', 'P3', 'P4']);
  });

  it.each([
    ['P1', 'P2', true],
    ['P2', 'P1', false],
    ['P3', 'P3', false],
  ] as const)('says %s is more urgent than %s: %s', (a, b, expected) => {
    expect(isMoreUrgent(a, b)).toBe(expected);
  });
});

describe('raisePriority', () => {
  it.each([
    ['P1', 'P2', 'P1'],
    ['P2', 'P1', 'P1'],
    ['P4', 'P3', 'P3'],
    ['P3', 'P3', 'P3'],
  ] as const)('of %s with %s is %s', (a, b, expected) => {
    expect(raisePriority(a, b)).toBe(expected);
  });
});

describe('alertViewStatus', () => {
  const at = new Date('2025-01-01T00:05:00Z');

  it.each([
    // A monitor that reports resolution (Alertmanager): firing until its resolved notice.
    ['new', 'alertmanager', null, 'firing'],
    ['duplicate', 'alertmanager', null, 'firing'],
    ['new', 'alertmanager', at, 'resolved'],
    ['duplicate', 'alertmanager', '2025-01-01T00:05:00Z', 'resolved'],
    ['suppressed', 'alertmanager', null, 'suppressed'],
    // Other monitors never say an alert is over: the stored status.
    ['new', 'suricata', null, 'new'],
    ['duplicate', 'ids-1', null, 'duplicate'],
    ['suppressed', 'ids-1', null, 'suppressed'],
  ] as const)('of a %s alert from %s resolved at %s is %s', (status, source, resolvedAt, expected) => {
    expect(alertViewStatus(status, source, resolvedAt)).toBe(expected);
  });
});

describe('deliveryFor', () => {
  const incidentId = '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60';
  const runId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

  it('sends a redrive to the run’s redrive workflow, which may start again after it ended', () => {
    expect(deliveryFor({ kind: 'playbook_redrive', incident_id: incidentId, payload: { runId } })).toEqual({
      workflowType: 'playbookRedriveWorkflow',
      workflowId: `playbook-redrive-${runId}`,
      args: [{ runId }],
      signal: 'redrive',
      reuse: 'ALLOW_DUPLICATE',
    });
  });

  it('never starts a finished run workflow again', () => {
    expect(deliveryFor({ kind: 'playbook_closed', incident_id: incidentId, payload: { runId } })).toEqual({
      workflowType: 'playbookRunWorkflow',
      workflowId: `playbook-run-${runId}`,
      args: [{ runId }],
      signal: 'incidentClosed',
      reuse: 'REJECT_DUPLICATE',
    });
  });

  it('refuses a redrive row without its run', () => {
    expect(deliveryFor({ kind: 'playbook_redrive', incident_id: incidentId, payload: {} })).toBeUndefined();
  });
});

describe('highestCriticality', () => {
  it.each([
    [['low', 'critical', 'medium'], 'critical'],
    [['medium', 'low'], 'medium'],
    [[], undefined],
  ] as const)('of %j is %s', (values, expected) => {
    expect(highestCriticality(values)).toBe(expected);
  });
});

describe('isContainment', () => {
  it('knows the three containment actions and nothing else, inherited names included', () => {
    expect(['block_ip', 'disable_user', 'isolate_host', 'unblock_ip', 'constructor', 'toString', '__proto__'].map(isContainment)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
