// Where Warden keeps its files: $WARDEN_HOME if set, else env-paths' per-user dirs for "warden".
import path from 'node:path';
import envPaths from 'env-paths';
import type { Env } from './deps.js';

export interface WardenPaths {
  /** Holds the SQLite database, pidfile, lock, admin token, encrypted secrets. */
  dataDir: string;
  /** Holds config.yaml and policies/. */
  configDir: string;
  /** Holds daemon.log. */
  logDir: string;
  dbFile: string;
  pidFile: string;
  lockFile: string;
  tokenFile: string;
  /** Written by the daemon once it listens: {pid, port, host, startedAt, version}. */
  stateFile: string;
  logFile: string;
  configFile: string;
  secretsFile: string;
  secretsKeyFile: string;
}

export function resolvePaths(env: Env): WardenPaths {
  const home = env.get('WARDEN_HOME');
  let dataDir: string;
  let configDir: string;
  let logDir: string;
  if (home && home.trim() !== '') {
    dataDir = path.resolve(home);
    configDir = dataDir;
    logDir = path.join(dataDir, 'logs');
  } else {
    const p = envPaths('warden', { suffix: '' });
    dataDir = p.data;
    configDir = p.config;
    logDir = p.log;
  }
  return {
    dataDir,
    configDir,
    logDir,
    dbFile: path.join(dataDir, 'warden.db'),
    pidFile: path.join(dataDir, 'daemon.pid'),
    lockFile: path.join(dataDir, 'daemon.lock'),
    tokenFile: path.join(dataDir, 'admin.token'),
    stateFile: path.join(dataDir, 'daemon.json'),
    logFile: path.join(logDir, 'daemon.log'),
    configFile: path.join(configDir, 'config.yaml'),
    secretsFile: path.join(dataDir, 'secrets.enc.json'),
    secretsKeyFile: path.join(dataDir, 'secrets.key'),
  };
}
