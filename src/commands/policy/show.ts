// `warden policy show NAME`: one loaded policy's metadata and its source text.
import fs from 'node:fs';
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { formatLoadError } from '../../core/policy/packs/loader.js';
import { findPolicy, scopeText, summarizePolicy, type PolicySummary } from '../../core/policy/packs/summary.js';
import { builtinFlag, dirFlag, loadCommandPolicySet } from './list.js';

export interface PolicyShowResult extends PolicySummary {
  /** Sources of same-named policies this one replaces. */
  replaces: string[];
  text: string;
}

export default class PolicyShow extends BaseCommand<typeof PolicyShow> {
  static override summary = 'Show one policy: its metadata and source.';

  static override description = `Looks NAME up among the loaded policies (see \`warden policy list\`) and prints its name, title,
type, enforcement, scope, whether it is enabled, its version (SHA-256 of the file), its source file,
which detectors it reads (they run only when some policy reads them), then the file itself.`;

  static override examples = ['<%= config.bin %> policy show secrets-in-prompts', '<%= config.bin %> policy show prompt-injection --json'];

  static override args = { name: Args.string({ description: 'policy name', required: true }) };

  static override flags = { dir: dirFlag, builtin: builtinFlag };

  public override async run(): Promise<PolicyShowResult> {
    const set = loadCommandPolicySet(this.deps.paths.configDir, this.flags.dir, this.flags.builtin);
    for (const e of set.errors) if (!this.jsonEnabled()) this.note(`warden: ${formatLoadError(e)}`);
    const policy = findPolicy(set, this.args.name);
    const s = summarizePolicy(policy);
    const text = fs.readFileSync(policy.meta.source, 'utf8');
    const replaces = set.overridden.filter((o) => o.by === s.source).map((o) => o.source);
    if (!this.jsonEnabled()) {
      const detectors = Object.entries(s.detectors)
        .filter(([, on]) => on)
        .map(([k]) => k);
      const lines: [string, string][] = [
        ['name', s.name],
        ['title', s.title ?? ''],
        ['description', s.description ?? ''],
        ['type', s.type],
        ['enforcement', s.enforcement],
        ['enabled', String(s.enabled)],
        ['scope', scopeText(s.scope === 'global' ? {} : s.scope)],
        ['phase', s.phase],
        ['format', s.format],
        ['origin', s.origin],
        ['version', s.version],
        ['source', s.source],
        ['detectors', detectors.length > 0 ? detectors.join(', ') : 'none'],
      ];
      for (const r of replaces) lines.push(['replaces', r]);
      const width = Math.max(...lines.map(([k]) => k.length));
      for (const [k, v] of lines) if (v !== '') this.log(`${k.padEnd(width)}  ${v}`);
      this.log('');
      this.log(text.endsWith('\n') ? text.slice(0, -1) : text);
    }
    return { ...s, replaces, text };
  }
}
