import { BaseCommand } from '../base-command.js';
import { stopDaemon } from '../core/lifecycle/spawn-daemon.js';

export interface DownResult {
  stopped: boolean;
  pid: number | null;
  cleaned_stale_pidfile: boolean;
}

export default class Down extends BaseCommand<typeof Down> {
  static summary = 'Stop the background daemon, letting in-flight requests finish first.';
  static description = `Asks the daemon to stop accepting requests, waits for those in flight to finish, flushes every queued
record to the database, and exits. Running it when no daemon runs is not an error.`;
  static examples = ['<%= config.bin %> down'];

  async run(): Promise<DownResult> {
    const r = await stopDaemon(this.deps.paths);
    if (!this.jsonEnabled()) {
      if (r.wasRunning) this.log(`Warden daemon stopped (pid ${r.pid}).`);
      else if (r.cleanedStale) this.log(`Warden daemon was not running (removed a stale pidfile for pid ${r.pid}).`);
      else this.log('Warden daemon was not running.');
    }
    return { stopped: r.wasRunning, pid: r.pid, cleaned_stale_pidfile: r.cleanedStale };
  }
}
