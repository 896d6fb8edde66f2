import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ensureDaemon, stopDaemon } from '../../core/lifecycle/spawn-daemon.js';
import { daemonUrl } from '../../core/protocol/client.js';

export default class DaemonRestart extends BaseCommand<typeof DaemonRestart> {
  static summary = 'Stop the daemon (draining in-flight requests) and start it again, e.g. after editing config.yaml.';
  static examples = ['<%= config.bin %> daemon restart'];
  static flags = {
    port: Flags.integer({ description: 'port for the new daemon', min: 0, max: 65535 }),
  };

  async run(): Promise<{ pid: number; url: string; previous_pid: number | null }> {
    const stopped = await stopDaemon(this.deps.paths);
    const { state } = await ensureDaemon(this.deps.paths, { port: this.flags.port });
    const url = daemonUrl(state);
    if (!this.jsonEnabled()) this.log(`Warden daemon restarted at ${url} (pid ${state.pid})`);
    return { pid: state.pid, url, previous_pid: stopped.pid };
  }
}
