// Daemon lifecycle files (shared by the daemon and the CLI): the exclusive lock (one daemon per data dir), pidfile, state file, admin token.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { ExitCode, WardenError } from '../errors.js';
import type { WardenPaths } from '../paths.js';
import type { DaemonState } from '../protocol/api.js';

/** True while `pid` runs. A zombie (exited, not yet reaped by its parent or init) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces or parens, so read after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS, Windows): kill(0) is the answer
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Takes the data dir's lock by creating the lock file exclusively. A lock whose owner is dead
 * is stale: it is removed and taken again. Returns a release function.
 */
export function acquireLock(paths: WardenPaths): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(paths.lockFile, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => {
        if (readPid(paths.lockFile) === process.pid) fs.rmSync(paths.lockFile, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readPid(paths.lockFile);
      if (owner !== null && owner !== process.pid && isProcessAlive(owner)) {
        throw new WardenError(
          'daemon_already_running',
          `another Warden daemon (pid ${owner}) is already using the data dir ${paths.dataDir}`,
          { hint: 'stop it with `warden down`, or set WARDEN_HOME to use a different data dir', exitCode: ExitCode.usage },
        );
      }
      // Stale: the owner died without cleaning up (or wrote nothing). Remove and retry.
      fs.rmSync(paths.lockFile, { force: true });
    }
  }
  throw new WardenError('daemon_lock_failed', `could not take the lock ${paths.lockFile}`);
}

export function writePrivateFile(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
}

/** The admin token: created once (256 random bits, 0600) and reused across restarts. */
export function ensureAdminToken(paths: WardenPaths): string {
  try {
    const t = fs.readFileSync(paths.tokenFile, 'utf8').trim();
    if (t.length >= 32) {
      fs.chmodSync(paths.tokenFile, 0o600);
      return t;
    }
  } catch {
    /* create below */
  }
  const token = randomBytes(32).toString('base64url');
  writePrivateFile(paths.tokenFile, `${token}\n`);
  return token;
}

export function writeRuntimeFiles(paths: WardenPaths, state: DaemonState): void {
  writePrivateFile(paths.pidFile, `${state.pid}\n`);
  writePrivateFile(paths.stateFile, `${JSON.stringify(state)}\n`);
}

/** Removes the pidfile and state file if they are this process's own. */
export function removeRuntimeFiles(paths: WardenPaths): void {
  if (readPid(paths.pidFile) === process.pid) fs.rmSync(paths.pidFile, { force: true });
  try {
    const st = JSON.parse(fs.readFileSync(paths.stateFile, 'utf8')) as DaemonState;
    if (st.pid === process.pid) fs.rmSync(paths.stateFile, { force: true });
  } catch {
    /* already gone */
  }
}

export interface PidStatus {
  pid: number | null;
  alive: boolean;
  /** True when a pidfile named a dead process and was removed. */
  cleanedStale: boolean;
}

/** Reads the pidfile; a pidfile naming a dead process is stale and is removed with the state file. */
export function checkPidfile(paths: WardenPaths): PidStatus {
  const pid = readPid(paths.pidFile);
  if (pid === null) return { pid: null, alive: false, cleanedStale: false };
  if (isProcessAlive(pid)) return { pid, alive: true, cleanedStale: false };
  fs.rmSync(paths.pidFile, { force: true });
  fs.rmSync(paths.stateFile, { force: true });
  if (readPid(paths.lockFile) === pid) fs.rmSync(paths.lockFile, { force: true });
  return { pid, alive: false, cleanedStale: true };
}
