import { z } from 'zod';
import { ALERTMANAGER_SOURCE, SEVERITIES, type Severity } from '../../domain';
import {
  FieldReader,
  defaultSeveritySchema,
  finish,
  isObject,
  joinedText,
  notAnObject,
  severityFromLabel,
  shown,
  snakeCase,
  table,
  tagList,
  type JsonObject,
  keyPart,
} from './helpers';
import type { FieldError } from '../../common/problem';
import type { NormalizedItem } from './types';

/** `alertmanager:` in config/formats.yaml. */
export const alertmanagerTablesSchema = z
  .strictObject({
    /** Value of the `severity` label (matched lower-cased) to Warden severity. */
    severity: table(z.string().regex(/^[a-z0-9_.-]+$/, 'must be a lower-case label value'), z.enum(SEVERITIES)).default({
      critical: 'critical',
      page: 'critical',
      high: 'high',
      error: 'high',
      warning: 'medium',
      warn: 'medium',
      medium: 'medium',
      info: 'low',
      low: 'low',
      none: 'low',
    }),
    /** A missing `severity` label, or a value not in `severity`, becomes this (with a warning). */
    default_severity: defaultSeveritySchema,
  })
  .prefault({});

export type AlertmanagerTables = z.output<typeof alertmanagerTablesSchema>;

/**
 * One Alertmanager webhook: one item per entry of `alerts`, in order. Read as version 4;
 * other versions (receivers' fixtures still carry "3", some senders 0) have the same fields.
 */
export function normalizeAlertmanager(record: unknown, tables: AlertmanagerTables): NormalizedItem[] {
  if (!isObject(record)) return notAnObject('an Alertmanager webhook');
  const r = new FieldReader(record);
  const version = r.value('version');
  if (version !== undefined && version !== '4' && version !== 4)
    r.warn('version', `unknown webhook version ${shown(version)}; read as version "4"`);
  const alerts = r.value('alerts');
  if (alerts === undefined) r.fail('alerts', 'is required (an Alertmanager webhook carries an alerts array)');
  else if (!Array.isArray(alerts)) r.fail('alerts', 'must be an array');
  const receiver = r.string('receiver');
  const status = r.string('status');
  if (r.errors.length > 0) return [{ errors: r.errors }];

  // Each alert keeps the webhook around it but not its siblings, so a batch of N stays linear in size.
  const { alerts: _siblings, ...envelope } = record;
  const context = { envelope, receiver, status, warnings: r.warnings };
  return (alerts as unknown[]).map((alert, index) => normalizeAlert(alert, index, context, tables));
}

interface WebhookContext {
  envelope: JsonObject;
  receiver?: string;
  status?: string;
  /** The webhook's own warnings (its version), repeated on each of its alerts. */
  warnings: FieldError[];
}

function normalizeAlert(alert: unknown, index: number, webhook: WebhookContext, tables: AlertmanagerTables): NormalizedItem {
  if (!isObject(alert)) return { errors: [{ path: `/alerts/${index}`, message: 'must be an object' }] };
  const r = new FieldReader(alert, ['alerts', index]);
  r.warnings.push(...webhook.warnings);
  if (!r.object('labels', true)) return { errors: r.errors };
  r.object('annotations');

  const alertname = r.string('labels.alertname', true);
  const severity = severityFromLabel(r, 'labels.severity', tables.severity, tables.default_severity);
  const status = alertStatus(r, webhook);
  const occurredAt = r.timestamp('startsAt', true);
  const fingerprint = r.string('fingerprint');
  const type = alertType(r, alertname);
  const job = r.string('labels.job');
  const titlePath = r.first(['annotations.summary', 'annotations.title', 'labels.alertname']);
  const userPath = r.first(['labels.user', 'labels.username']);
  const hostPath = r.first(['labels.host', 'labels.instance']);
  const host = r.string(hostPath);

  return finish(
    r,
    {
      source: ALERTMANAGER_SOURCE,
      type: type as string,
      severity: severity as Severity,
      title: r.fit('title', titlePath, titlePath === 'labels.alertname' ? alertname : r.string(titlePath)) as string,
      // Alertmanager repeats a firing alert on every group_interval; the same externalId makes that idempotent.
      externalId: r.fit('externalId', 'fingerprint', fingerprint !== undefined ? `${fingerprint}:${keyPart(alert.startsAt)}` : undefined),
      description: description(r),
      sourceIp: r.ip(r.first(['labels.source_ip', 'labels.src_ip'])),
      destinationIp: r.ip(r.first(['labels.destination_ip', 'labels.dest_ip', 'labels.dst_ip'])),
      user: r.text('user', userPath),
      host: r.fit('host', hostPath, hostPath === 'labels.instance' ? hostOf(host) : host),
      occurredAt,
      tags: tagList(r, [
        { at: r.pointer('labels.alertname'), prefix: 'alertname:', value: alertname },
        { at: r.pointer('labels.job'), prefix: 'job:', value: job },
        { at: '/receiver', prefix: 'receiver:', value: webhook.receiver },
      ]),
      raw: { ...webhook.envelope, alerts: [alert] },
    },
    status === 'resolved' ? { resolves: true } : {},
  );
}

/** `firing` or `resolved`, the alert's own or else the webhook's; anything else fires, so no alert is lost. */
function alertStatus(r: FieldReader, webhook: WebhookContext): 'firing' | 'resolved' | undefined {
  const status = r.string('status') ?? webhook.status;
  if (status === undefined || status === 'firing' || status === 'resolved') return status;
  const message = `unknown status ${shown(status)}; read as "firing"`;
  if (r.has('status')) r.warn('status', message);
  else r.warnings.push({ path: '/status', message });
  return 'firing';
}

/** `labels.type` when the rule author set one, else the alertname (`SSHBruteForce` → `ssh_brute_force`). */
function alertType(r: FieldReader, alertname: string | undefined): string | undefined {
  const path = r.has('labels.type') ? 'labels.type' : 'labels.alertname';
  const text = path === 'labels.type' ? r.string(path) : alertname;
  if (text === undefined) return undefined;
  return snakeCase(text) ?? r.fail(path, 'must contain a letter or digit to name the alert type');
}

function description(r: FieldReader): string | undefined {
  const textPath = r.first(['annotations.description', 'annotations.message']);
  return joinedText(r, 'description', [
    { at: r.pointer(textPath), value: r.string(textPath) },
    { at: r.pointer('annotations.runbook_url'), prefix: 'Runbook: ', value: r.string('annotations.runbook_url') },
  ]);
}

/** `node-1:9100` → `node-1`, `[::1]:9100` → `::1`; a bare IPv6 address stays whole. */
export function hostOf(instance: string | undefined): string | undefined {
  if (instance === undefined) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1];
  return /^([^:]+):\d+$/.exec(instance)?.[1] ?? instance;
}
