import { BlockList, isIP } from 'node:net';
import { severityRank, type Priority, type SecurityAlert } from '../domain';
import type { Enrichment } from '../enrichment';
import {
  STORM_DEFAULTS,
  type AlertKeyField,
  type CorrelationField,
  type Rule,
  type RuleAction,
  type RuleMatch,
  type RulesFile,
  type StormKindField,
} from './rules.schema';
import { urgencyPriority } from './urgency';

/** When a rule's further alerts fold into a storm incident (rules.schema.ts, `storm`). */
export interface StormPolicy {
  threshold: number;
  withinSeconds: number;
  quietSeconds: number;
  /** The alert fields that, with the rule, make one kind of alert: a storm counts and folds one kind. */
  kindBy: StormKindField[];
  keyBy: CorrelationField[];
}

/** What the AnomalyToAction rules decided for one alert. */
export interface RuleDecision {
  rule: string;
  action: RuleAction;
  priority: Priority;
  correlateBy: CorrelationField[];
  correlationWindowSeconds: number;
  dedupFields: AlertKeyField[];
  dedupWindowSeconds: number;
  playbooks: string[];
  assignRole: string;
  /** Null when the rule never folds: turned off, or its action opens no incident workflow. */
  storm: StormPolicy | null;
}

export interface ThresholdQuery {
  type: string;
  by: Partial<Record<CorrelationField, string>>;
  withinSeconds: number;
}

/** Counts stored alerts matching the query (the current alert not yet included). */
export type RecentAlertCounter = (query: ThresholdQuery) => Promise<number>;

export const NO_RULE = '(default)';

const asList = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

// Built once per rule's list of ranges (the config's own arrays), not once per alert.
const blockLists = new WeakMap<readonly string[], BlockList>();

function inRanges(ip: string | undefined, ranges: readonly string[]): boolean {
  if (!ip) return false;
  let list = blockLists.get(ranges);
  if (!list) {
    list = new BlockList();
    for (const range of ranges) {
      const [addr, bits] = range.split('/');
      list.addSubnet(addr, Number(bits), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
    }
    blockLists.set(ranges, list);
  }
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/** Every condition except the threshold, which needs a count from storage. Enrichment conditions need the alert's enrichment. */
export function matchesStatically(match: RuleMatch, alert: SecurityAlert, enrichment?: Enrichment): boolean {
  if (match.type && !asList(match.type)!.includes(alert.type)) return false;
  if (match.severity && !match.severity.includes(alert.severity)) return false;
  if (match.min_severity && severityRank(alert.severity) < severityRank(match.min_severity)) return false;
  if (match.source && !match.source.includes(alert.source)) return false;
  if (match.tags && !match.tags.some((t) => alert.tags?.includes(t))) return false;
  if (match.source_ip_cidr && !inRanges(alert.sourceIp, match.source_ip_cidr)) return false;
  if (match.destination_ip_cidr && !inRanges(alert.destinationIp, match.destination_ip_cidr)) return false;
  return matchesEnrichment(match, enrichment);
}

/** `T1059` names T1059 and its sub-techniques (T1059.001); `T1059.001` names only itself. */
const namesTechnique = (wanted: string, id: string) => id === wanted || id.startsWith(`${wanted}.`);

/** The conditions on what enrichment added (country, asn and internal are the source address's). */
function matchesEnrichment(match: RuleMatch, e: Enrichment | undefined): boolean {
  const source = e?.source;
  if (match.country && !(source?.country && match.country.includes(source.country.iso))) return false;
  if (match.asn && !(source?.asn && match.asn.includes(source.asn.number))) return false;
  if (match.internal !== undefined && source?.internal !== match.internal) return false;
  if (match.intel && !e?.intel.some((h) => match.intel!.includes(h.list))) return false;
  if (match.technique && !e?.techniques.some((t) => match.technique!.some((w) => namesTechnique(w, t.id)))) return false;
  if (match.tactic && !e?.tactics.some((t) => match.tactic!.includes(t.id) || match.tactic!.includes(t.shortname))) return false;
  if (match.asset_criticality && !(e?.criticality && match.asset_criticality.includes(e.criticality))) return false;
  if (match.asset_tags && !e?.assets.some((a) => a.tags.some((t) => match.asset_tags!.includes(t)))) return false;
  return true;
}

/** The threshold's count query for this alert, or null when the alert lacks a `by` field (it cannot be counted). */
export function thresholdQuery(match: RuleMatch, alert: SecurityAlert): ThresholdQuery | null {
  if (!match.threshold) return null;
  const by: Partial<Record<CorrelationField, string>> = {};
  for (const field of match.threshold.by) {
    const value = alert[field];
    if (!value) return null;
    by[field] = value;
  }
  return { type: alert.type, by, withinSeconds: match.threshold.within };
}

/** The rule's storm settings over the file's defaults over the built-in ones; batch and suppress never fold. */
export function stormPolicy(rule: Rule | null, file: RulesFile, action: RuleAction): StormPolicy | null {
  const own = rule?.storm;
  const defaults = file.defaults.storm;
  if (action === 'batch' || action === 'suppress' || own === false || (own === undefined && defaults === false)) return null;
  const s = { ...STORM_DEFAULTS, ...(defaults || {}), ...own };
  return { threshold: s.threshold, withinSeconds: s.within, quietSeconds: s.quiet, kindBy: s.kind_by, keyBy: s.key_by };
}

/**
 * Rules whose storms fold alerts of any type together: an attacker's scan would then hide
 * every other alert of that rule. Allowed on purpose, but said at start-up and by
 * `warden config validate`.
 */
export function stormKindWarnings(file: RulesFile): { path: (string | number)[]; message: string }[] {
  const warnings: { path: (string | number)[]; message: string }[] = [];
  const defaults = file.defaults.storm;
  if (defaults && !defaults.kind_by.includes('type'))
    warnings.push({
      path: ['defaults', 'storm', 'kind_by'],
      message: 'storms are not keyed by type: a storm folds alerts of every type of its rule',
    });
  file.rules.forEach((rule, i) => {
    const kindBy = rule.storm ? rule.storm.kind_by : undefined;
    if (kindBy && !kindBy.includes('type') && stormPolicy(rule, file, rule.action))
      warnings.push({
        path: ['rules', i, 'storm', 'kind_by'],
        message: `rule "${rule.name}": storms are not keyed by type: a storm folds alerts of every type of this rule`,
      });
  });
  return warnings;
}

export function toDecision(rule: Rule | null, file: RulesFile, alert: SecurityAlert, enrichment?: Enrichment): RuleDecision {
  const d = file.defaults;
  const action = rule?.action ?? 'correlate';
  return {
    rule: rule?.name ?? NO_RULE,
    action,
    priority:
      rule?.priority ??
      urgencyPriority(file.urgency, alert.severity, { criticality: enrichment?.criticality, intelHits: enrichment?.intel.length ?? 0 }),
    correlateBy: rule?.correlate_by ?? d.correlate_by,
    correlationWindowSeconds: rule?.correlation_window ?? d.correlation_window,
    dedupFields: rule?.dedup_fields ?? d.dedup_fields,
    dedupWindowSeconds: rule?.dedup_window ?? d.dedup_window,
    playbooks: rule?.playbooks ?? [],
    assignRole: rule?.assign_role ?? d.assign_role,
    storm: stormPolicy(rule, file, action),
  };
}

/**
 * The rules whose incidents' tasks resolve as `cleared_by_monitor` once every alert is resolved.
 * Read by rule name when a monitor resolves an alert, so it follows rules.yaml as loaded.
 */
export function rulesResolvingWhenCleared(file: RulesFile): string[] {
  return file.rules.filter((r) => r.resolve_when_cleared === true).map((r) => r.name);
}

/**
 * First matching rule wins. A threshold rule matches once the stored count plus
 * this alert reaches `count`; below it, evaluation falls through to later rules.
 */
export async function evaluateRules(
  file: RulesFile,
  alert: SecurityAlert,
  countRecent: RecentAlertCounter,
  enrichment?: Enrichment,
): Promise<RuleDecision> {
  for (const rule of file.rules) {
    if (!matchesStatically(rule.match, alert, enrichment)) continue;
    if (rule.match.threshold) {
      const query = thresholdQuery(rule.match, alert);
      if (!query || (await countRecent(query)) + 1 < rule.match.threshold.count) continue;
    }
    return toDecision(rule, file, alert, enrichment);
  }
  return toDecision(null, file, alert, enrichment);
}
