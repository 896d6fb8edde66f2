// Resolves the upstreams the daemon can use (stored providers, config providers, env fallbacks)
// and routes a model name to one of them.
import { globToRegExp, type ProviderEntry, type RouteRule } from '../config/schema.js';
import type { Env } from '../deps.js';
import type { ProviderRow } from '../store/repos/providers.js';
import { getAdapter, PROVIDER_TYPES } from './index.js';
import type { Endpoint, ProviderAdapter, ProviderConfig, ProviderType } from './types.js';

export interface ResolvedProvider {
  config: ProviderConfig;
  adapter: ProviderAdapter;
  /** The provider key; never logged, never returned by the admin API. */
  credential: string | undefined;
  /** keychain | file | env:NAME | none */
  keySource: string;
  origin: 'store' | 'config' | 'env';
}

/** A provider declared in config.yaml (`providers:`). */
export type ConfigProvider = ProviderEntry;


export function secretNameFor(provider: string): string {
  return `provider:${provider}`;
}

export function isProviderType(t: string): t is ProviderType {
  return (PROVIDER_TYPES as readonly string[]).includes(t);
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}

/**
 * Stored providers win over config providers of the same name; the built-in `openai` and
 * `anthropic` providers exist whenever OPENAI_API_KEY / ANTHROPIC_API_KEY are set and no provider
 * of that name was configured.
 */
export async function resolveProviders(input: {
  rows: ProviderRow[];
  configProviders: Record<string, ConfigProvider>;
  env: Env;
  getSecret: (name: string) => Promise<string | undefined>;
}): Promise<ResolvedProvider[]> {
  const out = new Map<string, ResolvedProvider>();
  for (const [name, cp] of Object.entries(input.configProviders)) {
    if (!isProviderType(cp.type)) continue;
    const adapter = getAdapter(cp.type);
    const base = cp.baseUrl ?? adapter.defaultBaseUrl;
    if (!base) continue;
    const envName = cp.apiKeyEnv ?? adapter.envKey;
    const credential = envName ? input.env.get(envName) : undefined;
    out.set(name, {
      config: { name, type: cp.type, baseUrl: trimSlash(base), apiVersion: cp.apiVersion },
      adapter,
      credential,
      keySource: credential !== undefined && envName ? `env:${envName}` : 'none',
      origin: 'config',
    });
  }
  for (const row of input.rows) {
    if (!isProviderType(row.type)) continue;
    const adapter = getAdapter(row.type);
    const base = row.base_url ?? adapter.defaultBaseUrl;
    if (!base) continue;
    let credential: string | undefined;
    let keySource = 'none';
    if (row.secret_store) {
      credential = await input.getSecret(secretNameFor(row.name));
      keySource = credential !== undefined ? row.secret_store : `${row.secret_store} (missing)`;
    }
    if (credential === undefined && adapter.envKey && input.env.get(adapter.envKey) !== undefined) {
      credential = input.env.get(adapter.envKey);
      keySource = `env:${adapter.envKey}`;
    }
    out.set(row.name, {
      config: { name: row.name, type: row.type, baseUrl: trimSlash(base), apiVersion: row.api_version ?? undefined },
      adapter,
      credential,
      keySource,
      origin: 'store',
    });
  }
  for (const type of ['openai', 'anthropic'] as const) {
    const adapter = getAdapter(type);
    const key = adapter.envKey ? input.env.get(adapter.envKey) : undefined;
    if (!out.has(type) && key && adapter.defaultBaseUrl) {
      out.set(type, {
        config: { name: type, type, baseUrl: adapter.defaultBaseUrl },
        adapter,
        credential: key,
        keySource: `env:${adapter.envKey}`,
        origin: 'env',
      });
    }
  }
  return [...out.values()];
}

export { globToRegExp };

export type RouteResult =
  | { ok: true; provider: ResolvedProvider }
  | { ok: false; reason: 'no_route' | 'unknown_provider' | 'unsupported_endpoint'; message: string };

/** Routes a model to a provider: first matching rule; with no match, the only provider when there is one. */
export class Router {
  private readonly rules: { re: RegExp; provider: string; glob: string }[];
  private readonly byName: Map<string, ResolvedProvider>;
  private readonly cache = new Map<string, RouteResult>();

  constructor(
    private readonly providers: ResolvedProvider[],
    rules: RouteRule[],
  ) {
    this.rules = rules.map((r) => ({ re: globToRegExp(r.match), provider: r.provider, glob: r.match }));
    this.byName = new Map(providers.map((p) => [p.config.name, p]));
  }

  route(model: string, endpoint: Endpoint): RouteResult {
    const k = `${endpoint}\u0000${model}`;
    let r = this.cache.get(k);
    if (!r) {
      r = this.compute(model, endpoint);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(k, r);
    }
    return r;
  }

  private compute(model: string, endpoint: Endpoint): RouteResult {
    let chosen: ResolvedProvider | undefined;
    for (const rule of this.rules) {
      if (!rule.re.test(model)) continue;
      chosen = this.byName.get(rule.provider);
      if (!chosen) {
        // A default rule naming an unconfigured provider is skipped; keep looking.
        continue;
      }
      break;
    }
    // With exactly one provider configured there is nothing to choose: every model goes to it.
    if (!chosen && this.providers.length === 1) chosen = this.providers[0];
    if (!chosen) {
      return {
        ok: false,
        reason: 'no_route',
        message: `no provider is configured for model "${model}"`,
      };
    }
    if (!chosen.adapter.endpoints.includes(endpoint)) {
      return {
        ok: false,
        reason: 'unsupported_endpoint',
        message: `provider "${chosen.config.name}" (${chosen.config.type}) does not serve ${endpoint}`,
      };
    }
    return { ok: true, provider: chosen };
  }

  get all(): ResolvedProvider[] {
    return this.providers;
  }
}
