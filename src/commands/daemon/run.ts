import { spawn } from 'node:child_process';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { DAEMON_ENTRY } from '../../core/lifecycle/spawn-daemon.js';

export default class DaemonRun extends BaseCommand<typeof DaemonRun> {
  static summary = 'Run the daemon in the foreground, printing a live line per request (for systemd, launchd, containers).';
  static description = `Stops on Ctrl-C or SIGTERM after draining in-flight requests and flushing every record.
Only one daemon may use a data dir at a time; a second one is refused.`;
  static examples = ['<%= config.bin %> daemon run', '<%= config.bin %> daemon run --port 8080 --quiet'];
  static enableJsonFlag = false;
  static flags = {
    port: Flags.integer({ description: 'port to listen on (default: server.port in config, 4141)', min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to bind (default 127.0.0.1)' }),
    quiet: Flags.boolean({ description: 'do not print a line per request' }),
  };

  async run(): Promise<void> {
    const args = [DAEMON_ENTRY];
    if (this.flags.port !== undefined) args.push('--port', String(this.flags.port));
    if (this.flags.host) args.push('--host', this.flags.host);
    if (this.flags.quiet) args.push('--quiet');
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    // The terminal sends Ctrl-C to the whole group; forwarding SIGTERM/SIGHUP covers service managers.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', forward('SIGTERM'));
    process.on('SIGHUP', forward('SIGHUP'));
    const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
    process.exitCode = code;
  }
}
