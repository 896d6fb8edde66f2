// Real git repositories in temp dirs for tests. The user's global and system git config are switched
// off, and identity comes from the repository's own config, so results never depend on the machine.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GIT_ENV: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

export class GitRepo {
  constructor(readonly dir: string) {}

  /** A new repository on branch main with a test identity. */
  static init(prefix = 'warden-git-'): GitRepo {
    const repo = new GitRepo(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix))));
    repo.git('init', '-q');
    repo.git('config', 'user.name', 'Warden Test');
    repo.git('config', 'user.email', 'test@warden.invalid');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd: this.dir, env: GIT_ENV, encoding: 'utf8' });
  }

  write(rel: string, text: string): this {
    fs.mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(this.dir, rel), text);
    return this;
  }

  /** Stages everything and commits; returns the new commit id. */
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `n` numbered lines, each `${tag} line i`, newline-terminated. */
export function numberedLines(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}`).join('\n') + '\n';
}
