// `warden policy list`: the policies the proxy would load (built-in, global, repository), with
// their type, enforcement, scope, version and source file; load errors go to stderr.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { findRepoRoot } from '../../core/config/load.js';
import { ExitCode, type WardenError } from '../../core/errors.js';
import { ciPolicyDirs } from '../../core/policy/ci.js';
import { formatLoadError, loadPolicySet, policyDirs, type PolicySet } from '../../core/policy/packs/loader.js';
import { scopeText, summarizePolicy, type PolicySummary } from '../../core/policy/packs/summary.js';

export interface PolicyListResult {
  policies: PolicySummary[];
  errors: ReturnType<WardenError['toJSON']>[];
  overridden: PolicySet['overridden'];
  dirs: PolicySet['dirs'];
}

export const dirFlag = Flags.string({
  description: 'also load policies from this directory or file (highest precedence); repeatable',
  multiple: true,
});

export const builtinFlag = Flags.boolean({
  description: 'load the built-in packs shipped with Warden (--no-builtin leaves them out)',
  default: true,
  allowNo: true,
});

/** The set a command sees: built-in, global, the current repository's, and any --dir. */
export function loadCommandPolicySet(configDir: string, extra: readonly string[] | undefined, builtin: boolean): PolicySet {
  return loadPolicySet(policyDirs({ configDir, repoRoot: findRepoRoot(process.cwd()), extra, builtin }));
}

export default class PolicyList extends BaseCommand<typeof PolicyList> {
  static override summary = 'List the request policies Warden loads: name, type, enforcement, scope, version, source.';

  static override description = `Policies come from, in increasing precedence: the built-in packs shipped with Warden, the global
policies/ directory (\`$WARDEN_HOME/policies\` when WARDEN_HOME is set), the current repository's
.warden/policies/, and any --dir. A policy replaces one of the same name from an earlier source,
which is how a built-in pack is changed or turned off. Files are *.yaml (docs/policies.md) and
*.rego (\`package warden.request\` with deny/warn/mutate rules).

The version is the SHA-256 of the file (the first 12 hex digits here). Files that fail to load are
reported on stderr with file:line:col, and the exit code is then 2.`;

  static override examples = ['<%= config.bin %> policy list', '<%= config.bin %> policy list --ci', '<%= config.bin %> policy list --dir ./candidate-policies --json'];

  static override flags = {
    dir: dirFlag,
    builtin: builtinFlag,
    ci: Flags.boolean({ description: 'list the CI policies `warden ci` evaluates (package warden.ci, YAML phase: ci) instead of the request policies', default: false }),
  };

  public override async run(): Promise<PolicyListResult> {
    const { flags } = this;
    const set = flags.ci
      ? loadPolicySet(ciPolicyDirs({ root: findRepoRoot(process.cwd()) ?? process.cwd(), configDir: this.deps.paths.configDir, extraPolicyPaths: flags.dir ?? [], builtin: flags.builtin }), { phases: ['ci'] })
      : loadCommandPolicySet(this.deps.paths.configDir, flags.dir, flags.builtin);
    const policies = set.policies.map(summarizePolicy);
    if (!this.jsonEnabled()) {
      if (policies.length === 0) this.log('No policies loaded.');
      else {
        this.log(
          this.table(
            ['Name', 'Type', 'Enforcement', 'Scope', 'Version', 'Source'],
            policies.map((p) => [p.name, p.type, p.enabled ? p.enforcement : `${p.enforcement} (disabled)`, scopeText(p.scope === 'global' ? {} : p.scope), p.version_short, p.source]),
          ),
        );
      }
      for (const o of set.overridden) this.note(`warden: ${o.by} replaces ${o.name} from ${o.source}`);
      for (const e of set.errors) this.note(`warden: ${formatLoadError(e)}`);
    }
    if (set.errors.length > 0) process.exitCode = ExitCode.usage;
    return { policies, errors: set.errors.map((e) => e.toJSON()), overridden: set.overridden, dirs: set.dirs };
  }
}
