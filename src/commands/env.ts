import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import type { SessionCreated } from '../core/protocol/api.js';
import { daemonUrl } from '../core/protocol/client.js';
import { gitInfo } from '../core/scm/git-info.js';
import { detectShell, proxyEnv, renderEnv, SHELLS, type Shell } from '../core/session/proxy-env.js';
import { parseDuration } from '../core/util/duration.js';
import { ensureDaemon } from '../core/lifecycle/spawn-daemon.js';
import { WardenError } from '../core/errors.js';
import { looksLikeVirtualKey } from '../core/auth/virtual-keys.js';

export interface EnvResult {
  shell: Shell;
  session_id: string | null;
  vars: Record<string, string>;
}

export default class Env extends BaseCommand<typeof Env> {
  static summary = 'Print shell exports that point SDKs and tools at Warden.';
  static description = `Makes a session key (valid for --expires, default 7d) unless --key gives one, and prints exports for
your shell. Use it to route a whole shell through Warden:

  eval "$(warden env)"              # bash, zsh
  warden env --shell fish | source  # fish`;
  static examples = ['eval "$(<%= config.bin %> env)"', '<%= config.bin %> env --shell powershell | Invoke-Expression', '<%= config.bin %> env --key wk_… --json'];
  static flags = {
    shell: Flags.string({ description: 'syntax of the exports (default: from $SHELL)', options: [...SHELLS] }),
    project: Flags.string({ description: 'project to bill (default: the git repo\'s directory name)' }),
    key: Flags.string({ description: 'use this virtual key instead of making a session key' }),
    expires: Flags.string({ description: 'lifetime of the session key', default: '7d' }),
  };

  async run(): Promise<EnvResult> {
    const shell = (this.flags.shell as Shell | undefined) ?? detectShell(process.env.SHELL);
    const expiresInMs = parseDuration(this.flags.expires, '--expires');
    if (this.flags.key && !looksLikeVirtualKey(this.flags.key)) {
      throw new WardenError('invalid_key', '--key is not a Warden virtual key (wk_…)');
    }
    const { state, started } = await ensureDaemon(this.deps.paths);
    const url = daemonUrl(state);
    if (started) this.note(`warden: started the daemon at ${url} (pid ${state.pid})`);
    let key = this.flags.key;
    let sessionId: string | null = null;
    if (!key) {
      const cwd = process.cwd();
      const git = await gitInfo(cwd);
      const s = await this.client().request<SessionCreated>('POST', '/sessions', {
        project: this.flags.project ?? path.basename(git.root ?? cwd),
        repo: git.repo,
        branch: git.branch,
        cwd,
        command: 'warden env',
        expires_in_ms: expiresInMs,
      });
      key = s.key;
      sessionId = s.session_id;
    }
    const vars = proxyEnv(url, key, sessionId ?? undefined);
    if (!this.jsonEnabled()) process.stdout.write(renderEnv(vars, shell));
    return { shell, session_id: sessionId, vars };
  }
}
