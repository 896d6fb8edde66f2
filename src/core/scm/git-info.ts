// The git repository and branch a command runs in, for tagging sessions. Never throws.
import { execFile } from 'node:child_process';

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 3000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

/** Removes credentials from a remote URL (https://user:token@host/…). */
export function redactRemote(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url; // scp-style git@host:org/repo carries no secret
  }
}

export interface GitInfo {
  root: string | null;
  repo: string | null;
  branch: string | null;
}

export async function gitInfo(cwd: string): Promise<GitInfo> {
  const root = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!root) return { root: null, repo: null, branch: null };
  const [remote, branch] = await Promise.all([
    git(cwd, ['config', '--get', 'remote.origin.url']),
    // symbolic-ref also names the branch of a repository with no commit yet; detached HEAD → null.
    git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
  ]);
  return { root, repo: remote ? redactRemote(remote) : root, branch };
}
