// Starting and stopping the background daemon from the CLI: spawn bin/daemon.js detached, wait until
// it answers, or ask it to stop and wait until its process is gone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, WardenError } from '../errors.js';
import type { WardenPaths } from '../paths.js';
import type { DaemonState } from '../protocol/api.js';
import { DaemonClient, readDaemonState } from '../protocol/client.js';
import { checkPidfile, isProcessAlive } from './daemon-files.js';

export const DAEMON_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/daemon.js');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface EnsureResult {
  state: DaemonState;
  /** False when a daemon was already running. */
  started: boolean;
}

export interface StartOptions {
  port?: number;
  host?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Returns the running daemon, starting one in the background if none answers. */
export async function ensureDaemon(paths: WardenPaths, opts: StartOptions = {}): Promise<EnsureResult> {
  const client = new DaemonClient(paths);
  const st = readDaemonState(paths);
  if (st && isProcessAlive(st.pid) && (await client.ping(2000))) return { state: st, started: false };
  const pid = checkPidfile(paths);
  if (pid.alive) {
    // Alive but not answering yet (starting up): wait for it instead of racing a second daemon.
    const ready = await waitForReady(paths, pid.pid as number, opts.timeoutMs ?? 15_000);
    if (ready) return { state: ready, started: false };
    throw new WardenError('daemon_unresponsive', `the daemon (pid ${pid.pid}) is running but does not answer`, {
      hint: 'see `warden daemon logs`; `warden daemon restart` may help',
      exitCode: ExitCode.daemonUnreachable,
    });
  }
  return { state: await startDaemon(paths, opts), started: true };
}

async function waitForReady(paths: WardenPaths, pid: number, timeoutMs: number): Promise<DaemonState | null> {
  const client = new DaemonClient(paths);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const st = readDaemonState(paths);
    if (st && st.pid === pid && (await client.ping(1000))) return st;
    if (!isProcessAlive(pid)) return null;
    await sleep(50);
  }
  return null;
}

export async function startDaemon(paths: WardenPaths, opts: StartOptions = {}): Promise<DaemonState> {
  fs.mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const outFile = path.join(paths.dataDir, 'daemon.out');
  const out = fs.openSync(outFile, 'w', 0o600);
  const args = [DAEMON_ENTRY, '--background'];
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  if (opts.host !== undefined) args.push('--host', opts.host);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: opts.cwd ?? process.cwd(),
    // Without an explicit env the daemon inherits this process's (child_process's default).
    ...(opts.env ? { env: opts.env } : {}),
  });
  fs.closeSync(out);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const deadline = performance.now() + (opts.timeoutMs ?? 15_000);
  const client = new DaemonClient(paths);
  while (performance.now() < deadline) {
    if (exited !== null) break;
    const st = readDaemonState(paths);
    if (st && st.pid === child.pid && (await client.ping(1000))) return st;
    await sleep(40);
  }
  const output = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8').trim() : '';
  // The daemon prints `warden: <code>: <message>` (bin/daemon.js); its first line names the problem.
  const firstLine = output.split('\n').find((l) => l.trim() !== '') ?? '';
  if (exited === null && child.pid) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  throw new WardenError(
    'daemon_start_failed',
    exited !== null
      ? `the daemon exited during start-up (code ${exited})${firstLine ? `: ${firstLine.replace(/^warden:\s*/, '')}` : ''}`
      : 'the daemon did not become ready in time',
    // The daemon exits 2 for a usage or config error (a bad config.yaml): keep that meaning.
    { hint: `full output in ${outFile}`, exitCode: exited === ExitCode.usage ? ExitCode.usage : ExitCode.daemonUnreachable },
  );
}

export interface StopResult {
  wasRunning: boolean;
  pid: number | null;
  cleanedStale: boolean;
}

/** Asks the daemon to drain and exit (admin API, else SIGTERM) and waits until it is gone. */
export async function stopDaemon(paths: WardenPaths, timeoutMs = 40_000): Promise<StopResult> {
  const pidStatus = checkPidfile(paths);
  if (!pidStatus.alive || pidStatus.pid === null) {
    return { wasRunning: false, pid: pidStatus.pid, cleanedStale: pidStatus.cleanedStale };
  }
  const pid = pidStatus.pid;
  const client = new DaemonClient(paths);
  try {
    await client.request('POST', '/shutdown');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!isProcessAlive(pid)) return { wasRunning: true, pid, cleanedStale: false };
    await sleep(50);
  }
  throw new WardenError('daemon_stop_timeout', `the daemon (pid ${pid}) did not stop within ${Math.round(timeoutMs / 1000)}s`, {
    hint: `it may still be draining long requests; \`kill ${pid}\` forces it`,
  });
}
