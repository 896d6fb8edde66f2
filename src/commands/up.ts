import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ensureDaemon } from '../core/lifecycle/spawn-daemon.js';
import { daemonUrl } from '../core/protocol/client.js';

export interface UpResult {
  started: boolean;
  pid: number;
  url: string;
  data_dir: string;
}

export default class Up extends BaseCommand<typeof Up> {
  static summary = 'Start the Warden daemon in the background (no-op if it is running).';
  static description = `The daemon proxies LLM traffic on localhost (127.0.0.1:4141 by default), applies policy, and records
cost and audit data. It keeps running after this command exits; stop it with \`warden down\`.
For a foreground daemon (systemd, launchd, containers) use \`warden daemon run\`.`;
  static examples = ['<%= config.bin %> up', '<%= config.bin %> up --port 8080', 'WARDEN_HOME=$HOME/.warden-scratch <%= config.bin %> up --json'];
  static flags = {
    port: Flags.integer({ description: 'port to listen on (default: server.port in config, 4141)', min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to bind (default 127.0.0.1; keep it loopback unless you know why)' }),
  };

  async run(): Promise<UpResult> {
    const { state, started } = await ensureDaemon(this.deps.paths, { port: this.flags.port, host: this.flags.host });
    const url = daemonUrl(state);
    if (!this.jsonEnabled()) {
      this.log(started ? `Warden daemon started at ${url} (pid ${state.pid})` : `Warden daemon already running at ${url} (pid ${state.pid})`);
      if (started) this.log('Next: `warden run -- <command>` routes one command through it; `warden status` shows it.');
    }
    return { started, pid: state.pid, url, data_dir: state.dataDir };
  }
}
