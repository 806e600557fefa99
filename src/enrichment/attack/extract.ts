import type { SecurityAlert } from '../../domain';
import { ecsDocument, splitList, stringsAt } from '../payload';
import { techniqueId } from './attack-table';

/** The part of an alert the extractors read. */
export type AttackSource = Pick<SecurityAlert, 'source' | 'tags' | 'raw'>;

/** ATT&CK references as a payload writes them: technique ids, and tactics by id, shortname or name. */
export interface AttackRefs {
  techniques: string[];
  tactics: string[];
}

/** Which Alertmanager labels name techniques and tactics (config/attack.yaml `alertmanager`). */
export interface AlertmanagerAttackLabels {
  technique_labels: string[];
  tactic_labels: string[];
}

const MAX_REFS = 50;
const SIGMA_TECHNIQUE = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;

/**
 * The ATT&CK ids an alert's payload names, per monitor format (by the source its normalizer
 * sets): Suricata `alert.metadata.mitre_*`, Wazuh `rule.mitre`, Falco tags (`T1546.004`,
 * `mitre_persistence`), ECS `threat.*` (and Kibana's `kibana.alert.rule.threat`), Alertmanager
 * labels; for any alert, tags that are technique ids (`T1190`, Sigma's `attack.t1190`).
 * Unchecked: the ATT&CK table resolves them.
 */
export function attackRefsOf(alert: AttackSource, labels: AlertmanagerAttackLabels): AttackRefs {
  const refs = fromPayload(alert, labels);
  for (const tag of alert.tags ?? []) {
    if (tag.length > 20) continue;
    const id = techniqueId(tag) ?? SIGMA_TECHNIQUE.exec(tag)?.[1];
    if (id) refs.techniques.push(id);
  }
  return {
    techniques: unique(refs.techniques.map((t) => t.trim().toUpperCase())),
    tactics: unique(refs.tactics.map((t) => t.trim())),
  };
}

function fromPayload(alert: AttackSource, labels: AlertmanagerAttackLabels): AttackRefs {
  const raw = alert.raw;
  if (alert.source === 'suricata') {
    return {
      techniques: stringsAt(raw, 'alert.metadata.mitre_technique_id'),
      tactics: [...stringsAt(raw, 'alert.metadata.mitre_tactic_id'), ...stringsAt(raw, 'alert.metadata.mitre_tactic_name')],
    };
  }
  if (alert.source === 'wazuh') {
    return { techniques: stringsAt(raw, 'rule.mitre.id'), tactics: stringsAt(raw, 'rule.mitre.tactic') };
  }
  if (alert.source === 'falco') {
    const tags = stringsAt(raw, 'tags');
    return {
      techniques: tags.filter((t) => techniqueId(t) !== undefined),
      tactics: tags.filter((t) => /^mitre_[a-z_]+$/i.test(t)).map((t) => t.slice('mitre_'.length)),
    };
  }
  if (alert.source.startsWith('ecs:')) {
    const doc = ecsDocument(raw);
    return {
      techniques: [
        ...stringsAt(doc, 'threat.technique.id'),
        ...stringsAt(doc, 'threat.technique.subtechnique.id'),
        ...stringsAt(doc, 'kibana.alert.rule.threat.technique.id'),
        ...stringsAt(doc, 'kibana.alert.rule.threat.technique.subtechnique.id'),
      ],
      tactics: [...stringsAt(doc, 'threat.tactic.id'), ...stringsAt(doc, 'kibana.alert.rule.threat.tactic.id')],
    };
  }
  if (alert.source === 'alertmanager') {
    const labelsOf = alertmanagerLabels(raw);
    const read = (names: string[]) =>
      names.flatMap((name) => {
        const value = labelsOf?.[name];
        return typeof value === 'string' ? splitList(value.slice(0, 500)) : [];
      });
    return { techniques: read(labels.technique_labels), tactics: read(labels.tactic_labels) };
  }
  return { techniques: [], tactics: [] };
}

/** The labels of the one alert an Alertmanager alert's `raw` keeps (`{ ...webhook, alerts: [alert] }`). */
function alertmanagerLabels(raw: unknown): Record<string, unknown> | undefined {
  const alerts = (raw as { alerts?: unknown } | null)?.alerts;
  const labels = Array.isArray(alerts) ? (alerts[0] as { labels?: unknown } | null)?.labels : undefined;
  return labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? (labels as Record<string, unknown>) : undefined;
}

const unique = (values: string[]): string[] => [...new Set(values)].slice(0, MAX_REFS);
