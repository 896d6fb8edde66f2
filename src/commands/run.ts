import { spawn } from 'node:child_process';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { WardenError } from '../core/errors.js';
import type { SessionCreated } from '../core/protocol/api.js';
import { daemonUrl } from '../core/protocol/client.js';
import { gitInfo } from '../core/scm/git-info.js';
import { proxyEnv } from '../core/session/proxy-env.js';
import { ensureDaemon } from '../core/lifecycle/spawn-daemon.js';

export default class Run extends BaseCommand<typeof Run> {
  static summary = 'Run a command with its LLM traffic going through Warden.';
  static description = `Sets OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN for
the command, pointing at the daemon (started if needed) with a virtual key made for this run. Every
request is tagged with the project, this session, the client tool and the git repo and branch.
The key is revoked when the command ends; Warden exits with the command's exit code.`;
  static examples = [
    '<%= config.bin %> run -- claude',
    '<%= config.bin %> run --project checkout -- codex',
    '<%= config.bin %> run -- python agent.py --fast',
  ];
  static strict = false;
  static enableJsonFlag = false;
  static flags = {
    project: Flags.string({ description: 'project to bill (default: the git repo\'s directory name, else the current directory\'s)' }),
  };

  async run(): Promise<void> {
    // Everything after `--` is the command, flags included; without `--`, the words oclif left over.
    const dd = this.argv.indexOf('--');
    const cmd = dd >= 0 ? this.argv.slice(dd + 1) : this.rest;
    if (cmd.length === 0) {
      throw new WardenError('missing_command', 'no command to run', { hint: 'warden run -- <command> [args…]' });
    }
    const cwd = process.cwd();
    const git = await gitInfo(cwd);
    const project = this.flags.project ?? path.basename(git.root ?? cwd);
    const { state, started } = await ensureDaemon(this.deps.paths);
    const url = daemonUrl(state);
    if (started) this.note(`warden: started the daemon at ${url} (pid ${state.pid})`);
    const session = await this.client().request<SessionCreated>('POST', '/sessions', {
      project,
      repo: git.repo,
      branch: git.branch,
      cwd,
      command: cmd.join(' ').slice(0, 4000),
    });
    const child = spawn(cmd[0], cmd.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, ...proxyEnv(url, session.key, session.session_id) },
    });
    const forward = (sig: NodeJS.Signals) => () => {
      if (child.exitCode === null) child.kill(sig);
    };
    // Ctrl-C reaches the child through the terminal's process group; stay alive to report its exit.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', forward('SIGTERM'));
    process.on('SIGHUP', forward('SIGHUP'));
    const code = await new Promise<number>((resolve) => {
      child.on('error', (err) => {
        this.note(`warden: cannot run ${cmd[0]}: ${err.message}`);
        resolve(127);
      });
      child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }) as Record<string, number>)[sig] || 128 : 1)));
    });
    try {
      await this.client().request('POST', `/sessions/${session.session_id}/end`, { exit_code: code });
    } catch (e) {
      this.note(`warden: could not close session ${session.session_id}: ${(e as Error).message}`);
    }
    this.exit(code);
  }
}
