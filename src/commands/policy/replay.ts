// `warden policy replay`: dry-run a candidate policy set over recorded traffic before deploying it.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, WardenError } from '../../core/errors.js';
import { PolicyEngine } from '../../core/policy/decision.js';
import { formatLoadError } from '../../core/policy/packs/loader.js';
import { replay, type ReplayReport } from '../../core/policy/replay.js';
import { listRecordedPolicyInputs } from '../../core/store/repos/requests.js';
import { parseSince } from '../../core/util/duration.js';
import { builtinFlag, loadCommandPolicySet } from './list.js';

export interface PolicyReplayResult extends ReplayReport {
  since: number;
  policies: string[];
}

export default class PolicyReplay extends BaseCommand<typeof PolicyReplay> {
  static override summary = 'Judge recorded requests again with a candidate policy set and show what would change.';

  static override description = `Every request the proxy judged is recorded with the policy input it was judged on (model, tokens,
principal, detector results, spend, time; the prompt text itself only when store_bodies is on).
replay evaluates those inputs with the policies Warden would load now (built-in, global, this
repository's) plus each --policies directory or file (highest precedence: a file there replaces a
policy of the same name), and compares the verdicts with the recorded ones:

  allow → deny   requests the candidate set would newly block
  deny → allow   requests it would newly let through
  ...            with example request ids (see \`warden requests show ID\`)

and, per policy, how many requests it would flag. When a candidate policy reads a detector that did
not run at the time, it can be run again only on stored bodies; the report says how many requests
lacked one. Exit code 0 (the report is information, not a gate); 2 when a policy fails to load.`;

  static override examples = [
    '<%= config.bin %> policy replay --since 7d --policies ./candidate/',
    '<%= config.bin %> policy replay --since 2025-03-01 --policies new-limits.yaml --json',
  ];

  static override flags = {
    since: Flags.string({ description: 'replay requests since this long ago (7d, 24h) or this date (2025-03-01)', default: '7d' }),
    policies: Flags.string({ description: 'candidate policy directory or file, loaded over the current ones; repeatable', multiple: true }),
    builtin: builtinFlag,
    limit: Flags.integer({ description: 'replay at most this many requests (oldest first)', default: 100_000, min: 1, max: 10_000_000 }),
    examples: Flags.integer({ description: 'example request ids to show per change', default: 5, min: 0, max: 100 }),
  };

  public override async run(): Promise<PolicyReplayResult> {
    const { flags } = this;
    const now = this.deps.clock.now();
    const since = parseSince(flags.since, now);
    const set = loadCommandPolicySet(this.deps.paths.configDir, flags.policies, flags.builtin);
    if (set.errors.length > 0) {
      throw new WardenError('policy_load_failed', `${set.errors.length} policy file(s) failed to load:\n  ${set.errors.map(formatLoadError).join('\n  ')}`, {
        hint: 'fix them (warden policy list shows the same errors) before replaying',
        exitCode: ExitCode.usage,
      });
    }
    const engine = new PolicyEngine(set.policies, { clock: this.deps.clock });
    const store = await this.readStore();
    const rows = await listRecordedPolicyInputs(store.db, since, flags.limit);
    const report = replay(engine, rows, { examples: flags.examples });
    const result: PolicyReplayResult = { since, policies: set.policies.filter((p) => p.meta.enabled).map((p) => p.meta.name), ...report };
    if (!this.jsonEnabled()) this.render(result);
    return result;
  }

  private render(r: PolicyReplayResult): void {
    this.log(`Replayed ${r.replayed} of ${r.total} request(s) since ${new Date(r.since).toISOString()} with ${r.policies.length} policies.`);
    if (r.total > r.replayed) this.log(`  ${r.total - r.replayed} had no recorded policy input (judged before policies were on) and were skipped.`);
    if (r.detectorsUnavailable > 0) {
      this.log(`  ${r.detectorsUnavailable} lacked a stored body for a detector the candidate set reads (turn on store_bodies to replay content rules fully).`);
    }
    if (r.transitions.length === 0) this.log('No verdict would change.');
    else {
      this.log(
        this.table(
          ['Change', 'Requests', 'Examples'],
          r.transitions.map((t) => [`${t.from} → ${t.to}`, t.count, t.examples.join(', ')]),
        ),
      );
    }
    this.log(`${r.unchanged} unchanged.`);
    if (r.byPolicy.length > 0) {
      this.log(
        this.table(
          ['Policy', 'Enforcement', 'Requests flagged', 'Examples'],
          r.byPolicy.map((p) => [p.policy, p.enforcement, p.violations, p.examples.join(', ')]),
        ),
      );
    }
  }
}
