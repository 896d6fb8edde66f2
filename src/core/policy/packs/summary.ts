// How a loaded policy is described to people and to --json: the fields `warden policy list` and
// `show` print, and a lookup by name with a helpful error.
import { WardenError } from '../../errors.js';
import { SCOPE_KEYS, type DetectorNeeds, type LoadedPolicy, type PolicyMeta, type PolicyScope } from '../decision.js';
import type { PolicySet } from './loader.js';

export interface PolicySummary {
  name: string;
  title: string | null;
  description: string | null;
  type: PolicyMeta['type'];
  enforcement: PolicyMeta['enforcement'];
  enabled: boolean;
  /** `global`, or the scope's lists. */
  scope: 'global' | PolicyScope;
  phase: PolicyMeta['phase'];
  format: PolicyMeta['format'];
  origin: PolicyMeta['origin'];
  version: string;
  version_short: string;
  source: string;
  /** Detectors whose output the policy reads. */
  detectors: DetectorNeeds;
}

export const shortVersion = (v: string): string => v.slice(0, 12);

export function isGlobalScope(scope: PolicyScope): boolean {
  return SCOPE_KEYS.every((k) => !scope[k] || scope[k].length === 0);
}

/** `global`, or `projects=web,api teams=core`. */
export function scopeText(scope: PolicyScope): string {
  if (isGlobalScope(scope)) return 'global';
  return SCOPE_KEYS.filter((k) => scope[k] && scope[k].length > 0)
    .map((k) => `${k}=${scope[k]!.join(',')}`)
    .join(' ');
}

export function summarizePolicy(p: LoadedPolicy): PolicySummary {
  const m = p.meta;
  return {
    name: m.name,
    title: m.title ?? null,
    description: m.description ?? null,
    type: m.type,
    enforcement: m.enforcement,
    enabled: m.enabled,
    scope: isGlobalScope(m.scope) ? 'global' : m.scope,
    phase: m.phase,
    format: m.format,
    origin: m.origin,
    version: m.version,
    version_short: shortVersion(m.version),
    source: m.source,
    detectors: { ...p.needs },
  };
}

/** The policy named `name` in the set; `policy_not_found` (listing the names) otherwise. */
export function findPolicy(set: PolicySet, name: string): LoadedPolicy {
  const p = set.policies.find((x) => x.meta.name === name);
  if (p) return p;
  const names = set.policies.map((x) => x.meta.name);
  throw new WardenError('policy_not_found', `no loaded policy is named ${JSON.stringify(name)}`, {
    hint: names.length > 0 ? `loaded policies: ${names.join(', ')}` : 'no policies are loaded; see `warden policy list`',
  });
}
