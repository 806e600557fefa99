import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conditionHolds } from './condition';
import type { PlaybookContext } from './playbook';
import { loadPlaybookFile } from './playbook.schema';

// The shipped playbooks' conditions moved from Warden's own language to CEL. Each must give
// the verdicts the old one gave: `holds` below lists, per incident, the conditions that held
// under the old language, written out by hand (a bare path was a truthiness test).

const dir = join(__dirname, '..', '..', 'config', 'playbooks');

/** Every condition of every shipped playbook, as `playbook when` or `playbook step-id`. */
const shipped = (): Record<string, string> => {
  const conditions: Record<string, string> = {};
  for (const name of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const { playbook } = loadPlaybookFile(join(dir, name));
    if (playbook.when !== undefined) conditions[`${playbook.name} when`] = playbook.when;
    for (const step of playbook.steps) if (step.if !== undefined) conditions[`${playbook.name} ${step.id}`] = step.if;
  }
  return conditions;
};

/** The conditions and what they were before CEL. */
const MIGRATED: Record<string, { cel: string; was: string }> = {
  'brute-force when': {
    cel: "'failed_login' in incident.types && incident.source_ip != null",
    was: "'failed_login' in incident.types and incident.source_ip",
  },
  'brute-force block-now': { cel: "incident.severity == 'critical'", was: "incident.severity == 'critical'" },
  'brute-force block-approved': { cel: "incident.severity != 'critical'", was: "incident.severity != 'critical'" },
  'data-exfiltration when': { cel: "'data_exfiltration' in incident.types", was: "'data_exfiltration' in incident.types" },
  'data-exfiltration block-destination': { cel: 'alert.destination_ip != null', was: 'alert.destination_ip' },
  'malware when': { cel: "'malware' in incident.types && incident.host != null", was: "'malware' in incident.types and incident.host" },
  'privilege-escalation when': { cel: "'privilege_escalation' in incident.types", was: "'privilege_escalation' in incident.types" },
  'privilege-escalation disable-user': { cel: 'incident.user != null', was: 'incident.user' },
  'sql-injection when': {
    cel: "'sql_injection' in incident.types && incident.source_ip != null",
    was: "'sql_injection' in incident.types and incident.source_ip",
  },
};

const incident = (over: Partial<PlaybookContext['incident']>): PlaybookContext => ({
  incident: {
    id: '6f1c0a52-5f0e-4c1e-9d1a-3b1c2d3e4f50',
    severity: 'high',
    priority: 'P2',
    status: 'open',
    types: [],
    source_ip: null,
    user: null,
    host: null,
    alert_count: 1,
    opening_rule: 'rule',
    correlation_key: 'key',
    storm: false,
    ...over,
  },
  alert: {
    id: '0b7c6a52-5f0e-4c1e-9d1a-3b1c2d3e4f51',
    source: 'wazuh',
    type: over.types?.[0] ?? 'other',
    severity: over.severity ?? 'high',
    title: 'title',
    source_ip: over.source_ip ?? null,
    destination_ip: null,
    user: over.user ?? null,
    host: over.host ?? null,
  },
  steps: {},
});

const withDestination = (ctx: PlaybookContext, destination: string): PlaybookContext => ({
  ...ctx,
  alert: { ...ctx.alert!, destination_ip: destination },
});

const CASES: { incident: string; ctx: PlaybookContext; holds: string[] }[] = [
  {
    incident: 'critical failed logins from an address',
    ctx: incident({ severity: 'critical', types: ['failed_login'], source_ip: '203.0.113.7' }),
    holds: ['brute-force when', 'brute-force block-now'],
  },
  {
    incident: 'high failed logins from an address, for a user',
    ctx: incident({ types: ['failed_login'], source_ip: '203.0.113.7', user: 'alice' }),
    holds: ['brute-force when', 'brute-force block-approved', 'privilege-escalation disable-user'],
  },
  {
    incident: 'failed logins without an address',
    ctx: incident({ severity: 'medium', types: ['failed_login'], host: 'web-1' }),
    holds: ['brute-force block-approved'],
  },
  {
    incident: 'malware on a host',
    ctx: incident({ severity: 'critical', types: ['malware', 'port_scan'], host: 'web-1' }),
    holds: ['brute-force block-now', 'malware when'],
  },
  {
    incident: 'malware without a host',
    ctx: incident({ types: ['malware'], source_ip: '198.51.100.9' }),
    holds: ['brute-force block-approved'],
  },
  {
    incident: 'SQL injection and failed logins from one address',
    ctx: incident({ types: ['sql_injection', 'failed_login'], source_ip: '198.51.100.9' }),
    holds: ['brute-force when', 'brute-force block-approved', 'sql-injection when'],
  },
  {
    incident: 'data exfiltration to a destination',
    ctx: withDestination(incident({ severity: 'critical', types: ['data_exfiltration'], user: 'bob' }), '192.0.2.10'),
    holds: ['brute-force block-now', 'data-exfiltration when', 'data-exfiltration block-destination', 'privilege-escalation disable-user'],
  },
  {
    incident: 'data exfiltration without a destination',
    ctx: incident({ types: ['data_exfiltration'], source_ip: '203.0.113.7' }),
    holds: ['brute-force block-approved', 'data-exfiltration when'],
  },
  {
    incident: 'privilege escalation by a user',
    ctx: incident({ types: ['privilege_escalation'], user: 'alice', host: 'db-1' }),
    holds: ['brute-force block-approved', 'privilege-escalation when', 'privilege-escalation disable-user'],
  },
  {
    incident: 'privilege escalation on a host, no user',
    ctx: incident({ types: ['privilege_escalation'], host: 'db-1' }),
    holds: ['brute-force block-approved', 'privilege-escalation when'],
  },
];

describe('the shipped playbook conditions', () => {
  it('are the migrated ones, in CEL', () => {
    expect(shipped()).toEqual(Object.fromEntries(Object.entries(MIGRATED).map(([key, { cel }]) => [key, cel])));
  });

  describe.each(CASES)('for $incident', ({ ctx, holds }) => {
    it.each(Object.entries(shipped()))('%s gives the old verdict', (key, condition) => {
      expect(conditionHolds(condition, ctx)).toEqual({ holds: holds.includes(key) });
    });
  });
});
