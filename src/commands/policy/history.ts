// `warden policy history NAME`: every version of a policy the daemon has loaded, newest first.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { shortVersion } from '../../core/policy/packs/summary.js';
import { policyHistory } from '../../core/store/repos/policies.js';
import { dirFlag, loadCommandPolicySet } from './list.js';

export interface PolicyHistoryEntry {
  version: string;
  version_short: string;
  change: string;
  first_seen: string;
  actor: string;
  source: string;
  format: string;
  origin: string;
  /** The version the policy file has now. */
  current: boolean;
}

export interface PolicyHistoryResult {
  name: string;
  /** The version of the file loaded now, or null when no loaded policy has this name. */
  current_version: string | null;
  versions: PolicyHistoryEntry[];
}

export default class PolicyHistory extends BaseCommand<typeof PolicyHistory> {
  static override summary = 'Show the version history of a policy: which version was loaded, when, from where and by whom.';

  static override description = `Each time the daemon loads a policy at a version it has not recorded for that name, it writes a
history row and a policy.added or policy.changed audit event. This lists those rows, newest first,
marking the version the policy file has now. The version is the SHA-256 of the file.`;

  static override examples = ['<%= config.bin %> policy history secrets-in-prompts', '<%= config.bin %> policy history my-policy --json'];

  static override args = { name: Args.string({ description: 'policy name', required: true }) };

  static override flags = {
    dir: dirFlag,
    limit: Flags.integer({ description: 'show at most this many versions', default: 100, min: 1, max: 100_000 }),
  };

  public override async run(): Promise<PolicyHistoryResult> {
    const name = this.args.name;
    const set = loadCommandPolicySet(this.deps.paths.configDir, this.flags.dir, true);
    const current = set.policies.find((p) => p.meta.name === name)?.meta.version ?? null;
    const store = await this.readStore();
    const rows = await policyHistory(store.db, name, this.flags.limit);
    const versions: PolicyHistoryEntry[] = rows.map((r) => ({
      version: r.version,
      version_short: shortVersion(r.version),
      change: r.change,
      first_seen: new Date(r.first_seen).toISOString(),
      actor: r.actor,
      source: r.source,
      format: r.format,
      origin: r.origin,
      current: r.version === current,
    }));
    if (!this.jsonEnabled()) {
      if (versions.length === 0) this.log(`No recorded versions of ${name}.`);
      else {
        this.log(
          this.table(
            ['Version', 'Change', 'First seen (UTC)', 'Actor', 'Source'],
            versions.map((v) => [`${v.version_short}${v.current ? ' *' : ''}`, v.change, v.first_seen.replace('T', ' ').slice(0, 19), v.actor, v.source]),
          ),
        );
        if (versions.some((v) => v.current)) this.note('* the version the policy file has now');
      }
    }
    return { name, current_version: current, versions };
  }
}
