import { BaseCommand } from '../base-command.js';
import { ExitCode, WardenError } from '../core/errors.js';
import { checkPidfile } from '../core/lifecycle/daemon-files.js';
import type { StatusResponse } from '../core/protocol/api.js';
import { formatUsd } from '../ui/format.js';

function fmtUptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

export default class Status extends BaseCommand<typeof Status> {
  static summary = 'Show whether the daemon runs, where, and today\'s requests and spend.';
  static description = `Exit code 0 when the daemon answers, 3 when it does not (so scripts can test it).`;
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];

  async run(): Promise<StatusResponse> {
    const pid = checkPidfile(this.deps.paths);
    if (!pid.alive) {
      throw new WardenError('daemon_not_running', `the Warden daemon is not running${pid.cleanedStale ? ` (removed a stale pidfile for pid ${pid.pid})` : ''}`, {
        hint: 'start it with `warden up`',
        exitCode: ExitCode.daemonUnreachable,
      });
    }
    const s = await this.client().request<StatusResponse>('GET', '/status');
    if (!this.jsonEnabled()) {
      const spend = `${formatUsd(s.today.spend_usd)}${s.today.price_unknown ? ` (+ ${s.today.price_unknown} request(s) with unknown price)` : ''}`;
      this.log(`Warden ${s.version}: running`);
      this.log(`  url:       ${s.url}`);
      this.log(`  pid:       ${s.pid}   uptime: ${fmtUptime(s.uptime_s)}`);
      this.log(`  data dir:  ${s.data_dir}`);
      this.log(`  config:    ${s.config_files.length ? s.config_files.join(', ') : '(defaults)'}`);
      this.log(`  today:     ${s.today.requests} request(s), ${s.today.errors} error(s), spend ${spend}`);
      this.log(
        `  providers: ${s.providers.length ? s.providers.map((p) => `${p.name} (${p.type}, key: ${p.key_source})`).join(', ') : 'none — `warden providers set`'}`,
      );
      const pol = s.policies;
      this.log(`  policies:  ${pol.loaded} loaded${pol.repos.length ? ` (+ repository sets: ${pol.repos.join(', ')})` : ''}`);
      for (const e of pol.errors) this.log(`    error (last good set kept): ${e}`);
      for (const b of s.budget_alerts) {
        this.log(`  budget:    ${b.scope} ${b.name} ${b.period}: ${b.used_pct}% of ${formatUsd(b.limit_usd)} (${b.state})`);
      }
    }
    return s;
  }
}
