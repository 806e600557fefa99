import type { ContainmentAdapter } from './adapter';
import type { AdapterConfig, ContainmentConfig } from './containment.schema';
import { EdrAdapter } from './edr.adapter';
import { NftablesAdapter } from './nftables.adapter';
import { ScimAdapter } from './scim.adapter';
import { WebhookAdapter } from './webhook.adapter';

/** An adapter named in containment.yaml that cannot run, and why (a step that picks it fails with this reason). */
export interface UnconfiguredAdapter {
  name: string;
  unconfigured: string;
}

export const isConfigured = (a: ContainmentAdapter | UnconfiguredAdapter): a is ContainmentAdapter => !('unconfigured' in a);

/**
 * The adapters of containment.yaml, by name. Secrets (and URLs given by `url_env`) come from
 * the environment; an adapter whose variable is unset or unusable is listed as unconfigured,
 * naming the variable, rather than failing start-up: only the steps that need it fail.
 */
export function createAdapters(config: ContainmentConfig, env: NodeJS.ProcessEnv): Map<string, ContainmentAdapter | UnconfiguredAdapter> {
  const adapters = new Map<string, ContainmentAdapter | UnconfiguredAdapter>();
  for (const [name, adapter] of Object.entries(config.adapters)) adapters.set(name, create(name, adapter, env));
  return adapters;
}

function create(name: string, config: AdapterConfig, env: NodeJS.ProcessEnv): ContainmentAdapter | UnconfiguredAdapter {
  if (config.type === 'nftables') {
    return new NftablesAdapter({
      name,
      command: config.command,
      family: config.family,
      table: config.table,
      set: config.set,
      set6: config.set6,
    });
  }
  const url = urlOf(config, env);
  if ('unconfigured' in url) return { name, unconfigured: url.unconfigured };
  const secretVar = config.type === 'webhook' ? config.secret_env : config.token_env;
  const secret = env[secretVar];
  if (!secret) return { name, unconfigured: `${secretVar} is not set` };
  const common = { name, url: url.url, timeoutSeconds: config.timeout };
  switch (config.type) {
    case 'webhook':
      return new WebhookAdapter({ ...common, secret });
    case 'scim':
      return new ScimAdapter({ ...common, token: secret });
    case 'edr':
      return new EdrAdapter({ ...common, token: secret });
  }
}

function urlOf(config: { url?: string; url_env?: string }, env: NodeJS.ProcessEnv): { url: string } | { unconfigured: string } {
  if (config.url) return isHttp(config.url) ? { url: config.url } : { unconfigured: 'url is not an http(s) URL' };
  if (!config.url_env) return { unconfigured: 'neither url nor url_env is set in containment.yaml' };
  const value = env[config.url_env];
  if (!value) return { unconfigured: `${config.url_env} is not set` };
  // The value is not shown: a URL may hold a token.
  return isHttp(value) ? { url: value } : { unconfigured: `${config.url_env} is not an http(s) URL` };
}

function isHttp(url: string): boolean {
  try {
    return /^https?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
}
