import { z } from 'zod';
import { alertmanagerTablesSchema, normalizeAlertmanager } from './alertmanager';
import { ecsTablesSchema, normalizeEcs } from './ecs';
import { falcoTablesSchema, normalizeFalco } from './falco';
import { normalizeSuricata, suricataTablesSchema } from './suricata';
import type { Normalizer } from './types';
import { normalizeWazuh, wazuhTablesSchema } from './wazuh';

export type { NormalizedItem, Normalizer } from './types';

/**
 * config/formats.yaml: the mapping tables of every monitor format. A missing section
 * or key takes its default; an unknown key is an error, so typos do not go unnoticed.
 */
export const formatTablesSchema = z
  .strictObject({
    suricata: suricataTablesSchema,
    alertmanager: alertmanagerTablesSchema,
    wazuh: wazuhTablesSchema,
    falco: falcoTablesSchema,
    ecs: ecsTablesSchema,
  })
  .prefault({});

export type FormatTables = z.output<typeof formatTablesSchema>;
/** Nest injection token of config/formats.yaml. */
export const FORMAT_TABLES = Symbol('FORMAT_TABLES');

export const FORMATS = ['suricata', 'alertmanager', 'wazuh', 'falco', 'ecs'] as const;
export type FormatName = (typeof FORMATS)[number];

/** The normalizer behind `POST /v1/alerts/{format}`; each reads only its own section of the tables. */
export const normalizers: Record<FormatName, Normalizer<FormatTables>> = {
  suricata: (record, tables) => normalizeSuricata(record, tables.suricata),
  alertmanager: (record, tables) => normalizeAlertmanager(record, tables.alertmanager),
  wazuh: (record, tables) => normalizeWazuh(record, tables.wazuh),
  falco: (record, tables) => normalizeFalco(record, tables.falco),
  ecs: (record, tables) => normalizeEcs(record, tables.ecs),
};

export const isFormatName = (name: string): name is FormatName => (FORMATS as readonly string[]).includes(name);
