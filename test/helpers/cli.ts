// The built CLI (bin/run.js) run synchronously in a temp WARDEN_HOME, for command tests. The e2e
// harness (test/e2e/harness.ts) has the asynchronous twin for tests that start the daemon.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/run.js');

export interface SyncCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCliSync(args: readonly string[], opts: { home: string; cwd: string; input?: string; timeoutMs?: number }): SyncCliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, WARDEN_HOME: opts.home, NO_COLOR: '1' },
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
