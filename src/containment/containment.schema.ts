import { isIP } from 'node:net';
import { z } from 'zod';
import { durationSchema } from '../common/duration';
import { CONTAINMENT_ACTIONS } from '../domain';

/**
 * config/containment.yaml: what containment may never touch (the allow-list) and the named
 * backends that act. Secrets come only from the environment (`*_env` names a variable);
 * an adapter whose variables are unset is not configured, and a step that needs it fails
 * with that reason.
 */

const cidr = z.string().refine((v) => {
  const [address, bits, ...rest] = v.split('/');
  if (rest.length > 0 || !isIP(address)) return false;
  if (bits === undefined) return true;
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}, 'must be an IP address or CIDR (10.0.0.0/8, 2001:db8::/32)');

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

const http = {
  /** Either the URL itself or the variable that holds it. */
  url: z.string().url().optional(),
  url_env: envName.optional(),
  timeout: durationSchema.default(10),
};

export const adapterSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), ...http, secret_env: envName }).strict(),
  z.object({ type: z.literal('scim'), ...http, token_env: envName }).strict(),
  z.object({ type: z.literal('edr'), ...http, token_env: envName }).strict(),
  z
    .object({
      type: z.literal('nftables'),
      /** The command, with any prefix (e.g. [ip, netns, exec, fw, nft]); run without a shell. */
      command: z.array(z.string().min(1)).min(1).default(['nft']),
      family: z.enum(['ip', 'ip6', 'inet']).default('inet'),
      table: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/)
        .default('warden'),
      /** Set of ipv4_addr, and of ipv6_addr. */
      set: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/)
        .default('blocked4'),
      set6: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/)
        .default('blocked6'),
    })
    .strict(),
]);
export type AdapterConfig = z.infer<typeof adapterSchema>;

export const containmentFileSchema = z
  .object({
    allow_list: z
      .object({
        cidrs: z.array(cidr).default([]),
        users: z.array(z.string().min(1)).default([]),
        hosts: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ cidrs: [], users: [], hosts: [] }),
    adapters: z.record(z.string().regex(/^[a-z0-9_-]+$/), adapterSchema).default({}),
    /** The adapter each containment action (and its undo) uses when a step names none. */
    defaults: z.partialRecord(z.enum(CONTAINMENT_ACTIONS as [string, ...string[]]), z.string()).default({}),
  })
  .strict();
export type ContainmentConfig = z.infer<typeof containmentFileSchema>;

/** The Nest token for config/containment.yaml as loaded. */
export const CONTAINMENT_CONFIG = Symbol('CONTAINMENT_CONFIG');
