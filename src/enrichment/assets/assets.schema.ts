import { z } from 'zod';
import { CRITICALITIES } from '../../domain';
import { parseCidr } from '../ip';

const context = {
  criticality: z.enum(CRITICALITIES, { message: `must be one of ${CRITICALITIES.join(', ')}` }),
  owner: z.string().min(1).max(200).optional(),
  team: z.string().min(1).max(100).optional(),
  tags: z.array(z.string().min(1).max(100)).default([]),
};

export const hostAssetSchema = z
  .object({
    /** The host name as alerts carry it; matched without case, and by its first label (db-01 matches db-01.corp.example). */
    name: z.string().min(1).max(255),
    aliases: z.array(z.string().min(1).max(255)).default([]),
    ...context,
  })
  .strict();

export const networkAssetSchema = z
  .object({
    cidr: z.string().refine((v) => parseCidr(v) !== undefined, 'must be an IPv4 or IPv6 network such as 10.20.0.0/16 (or one address)'),
    /** Shown instead of the CIDR. */
    name: z.string().min(1).max(100).optional(),
    ...context,
  })
  .strict();

export const userAssetSchema = z
  .object({
    /** The user as alerts carry it; matched without case, also as `DOMAIN\\name` or `name@domain`. */
    name: z.string().min(1).max(200),
    aliases: z.array(z.string().min(1).max(200)).default([]),
    ...context,
  })
  .strict();

/** config/assets.yaml: hosts, networks and users (identities) with their criticality, owner, team and tags. */
export const assetsFileSchema = z
  .object({
    hosts: z.array(hostAssetSchema).default([]),
    networks: z.array(networkAssetSchema).default([]),
    users: z.array(userAssetSchema).default([]),
    /**
     * CSV files (relative to the config directory) with a header `kind,name,criticality,owner,team,tags`:
     * `kind` is host, network or user; `name` the host name, CIDR or user; tags separated by `;`.
     */
    csv: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type AssetsFile = z.output<typeof assetsFileSchema>;
export type HostAsset = z.output<typeof hostAssetSchema>;
export type NetworkAsset = z.output<typeof networkAssetSchema>;
export type UserAsset = z.output<typeof userAssetSchema>;
