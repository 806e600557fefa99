// Investigation checklists stored on a task. Steps shared by several alert types keep
// one id, so an incident with several types lists each step once.

export interface ChecklistStep {
  id: string;
  text: string;
}

const STEPS = {
  'review-alerts': 'Review the correlated alerts and their raw payloads; rule out a false positive.',
  'source-ip-history':
    'Look up the source IP in threat intelligence and in Warden (GET /v1/investigations/ip/{ip}): earlier alerts, incidents and actions.',
  'scope-hosts-accounts': 'List every host and account involved, and check them for related alerts.',
  'contain-source-ip': 'If the activity is malicious and ongoing, block the source IP (containment playbook; needs approval).',

  'login-targets': 'List the targeted accounts: many accounts suggests password spraying, one account brute force.',
  'login-success':
    'Look for a successful login from the same source after the failures; if there is one, treat the account as compromised.',
  'login-credentials':
    'Check MFA and lockout on the targeted accounts; reset the credentials of any compromised account and end its sessions.',

  'sqli-requests': 'Pull the web server and WAF logs for the requests; identify the endpoint and the injected parameter.',
  'sqli-success': 'Decide whether the injection worked: database errors, unusual response sizes, database query logs.',
  'sqli-data': 'If it worked, establish which tables and rows were read or changed.',
  'sqli-fix': 'Ask the application owner to fix the query or add a WAF rule for the endpoint.',

  'privesc-what': 'Identify the account, the host and the privilege gained (group membership, sudo rule, token).',
  'privesc-authorized': 'Check with the account owner and the change records whether it was authorized.',
  'privesc-activity': 'Review what the account did after the escalation: processes, logins, file and directory changes.',
  'privesc-revoke': 'If unauthorized, revoke the privilege, reset the credentials and look for persistence.',

  'scan-origin': 'Decide whether the scanner is internal (a compromised or misconfigured host) or external.',
  'scan-targets': 'List the scanned hosts and ports, and which services answered.',
  'scan-followup': 'Look for exploitation attempts from the same source against the services it found.',

  'malware-isolate': 'Isolate the affected host from the network (containment playbook; needs approval).',
  'malware-sample': 'Identify the file (hash, path, signer) and check it against threat intelligence.',
  'malware-execution': 'Establish whether it ran, how it arrived (email, download, removable media) and how it persists.',
  'malware-spread': 'Search other hosts for the same hash and its command-and-control indicators.',
  'malware-remediate': 'Remove it or reimage the host; reset the credentials used on it.',

  'exfil-transfer': 'Quantify the transfer: destination, volume, protocol and time window.',
  'exfil-destination': 'Check the destination: reputation, owner, and whether it is a sanctioned service.',
  'exfil-data': 'Identify which data left and its classification, with the data owner.',
  'exfil-actor': 'Identify the user and host that sent it: compromised account, malware or insider.',
  'exfil-notify': 'If personal or regulated data left, inform legal and privacy: notification deadlines may apply.',

  'assess-impact': 'Assess the impact and decide whether to contain or escalate.',

  'storm-scope':
    'This is an alert storm: one rule opened too many incidents at once. Read the top sources and their counts on the incident.',
  'storm-cause':
    'Decide what caused it: one campaign (a distributed scan or spray), a monitor or rule misfiring, or a change such as a new scanner.',
  'storm-sources':
    'Check the top sources against threat intelligence; open incidents of their own for any source that needs one (its later alerts stay here).',
  'storm-contain': 'If it is an attack, contain at the edge (block the ranges or the targeted service) rather than source by source.',
  'storm-tune': 'If it is noise, add a silence or tune the rule, so the next storm does not page.',

  'document-findings': 'Write the findings, evidence and actions taken on the task.',
  'record-disposition': 'Resolve with a disposition: true_positive, false_positive or benign.',
} as const satisfies Record<string, string>;

type StepId = keyof typeof STEPS;

const OPENING: StepId[] = ['review-alerts'];
const CLOSING: StepId[] = ['document-findings', 'record-disposition'];
const DEFAULT: StepId[] = ['scope-hosts-accounts', 'source-ip-history', 'assess-impact'];

const BY_TYPE: Record<string, StepId[]> = {
  failed_login: ['source-ip-history', 'login-targets', 'login-success', 'login-credentials', 'contain-source-ip'],
  sql_injection: ['source-ip-history', 'sqli-requests', 'sqli-success', 'sqli-data', 'sqli-fix', 'contain-source-ip'],
  privilege_escalation: ['privesc-what', 'privesc-authorized', 'privesc-activity', 'scope-hosts-accounts', 'privesc-revoke'],
  port_scan: ['source-ip-history', 'scan-origin', 'scan-targets', 'scan-followup', 'contain-source-ip'],
  malware: ['malware-isolate', 'malware-sample', 'malware-execution', 'malware-spread', 'malware-remediate'],
  data_exfiltration: ['exfil-transfer', 'exfil-destination', 'exfil-data', 'exfil-actor', 'scope-hosts-accounts', 'exfil-notify'],
};

/** Alert types with their own checklist; any other type gets the default steps. */
export const CHECKLIST_TYPES = Object.keys(BY_TYPE);

const STORM: StepId[] = ['storm-scope', 'storm-cause', 'storm-sources', 'storm-contain', 'storm-tune'];

/**
 * The investigation steps for an incident's alert types, in the order the types are
 * given: a common opening, each type's steps, then the default steps once if any type
 * (or none at all) has no checklist of its own, then the common closing. Each step once.
 * A storm incident gets the storm steps in place of the per-type ones.
 */
export function checklistFor(alertTypes: readonly string[], storm = false): ChecklistStep[] {
  const known = alertTypes.filter((t) => Object.hasOwn(BY_TYPE, t));
  const needsDefault = known.length < alertTypes.length || alertTypes.length === 0;
  // A storm's own steps come first: it is worked as one event, not source by source.
  const steps = storm ? STORM : [...known.flatMap((t) => BY_TYPE[t]), ...(needsDefault ? DEFAULT : [])];
  const ids = new Set<StepId>([...OPENING, ...steps, ...CLOSING]);
  return [...ids].map((id) => ({ id, text: STEPS[id] }));
}
