// Test harness for end-to-end tests: the real CLI (bin/run.js on the compiled build) and the real
// daemon it spawns, in a temp WARDEN_HOME; read-back of the real SQLite file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = path.join(ROOT, 'bin', 'run.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function makeHome(prefix = 'warden-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function homeEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WARDEN_HOME: home, WARDEN_SECRETS_BACKEND: 'file', NO_COLOR: '1' };
  // The daemon inherits the CLI's env: never let a developer's real provider keys leak into tests.
  delete env.OPENAI_API_KEY;
  delete env.ANTHROPIC_API_KEY;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function cli(
  home: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: homeEnv(home, opts.env),
      cwd: opts.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`warden ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export async function cliJson<T>(home: string, args: string[], opts: Parameters<typeof cli>[2] = {}): Promise<T> {
  const r = await cli(home, [...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`warden ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Warden {
  home: string;
  url: string;
  port: number;
  pid: number;
  token: string;
}

/** `warden up --port 0` in a fresh home; the daemon's port comes from its state file. */
export async function startWarden(home: string, opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Warden> {
  const up = await cli(home, ['up', '--port', '0', '--json'], opts);
  if (up.code !== 0) throw new Error(`warden up failed: ${up.stdout}\n${up.stderr}`);
  const r = JSON.parse(up.stdout) as { pid: number; url: string };
  const state = JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as { port: number };
  const token = fs.readFileSync(path.join(home, 'admin.token'), 'utf8').trim();
  return { home, url: r.url, port: state.port, pid: r.pid, token };
}

export async function stopWarden(w: Warden | undefined): Promise<void> {
  if (!w) return;
  await cli(w.home, ['down']);
}

export function openDb(home: string): Database.Database {
  return new Database(path.join(home, 'warden.db'), { readonly: true, fileMustExist: true });
}

export interface RequestRowView {
  id: string;
  status: string;
  http_status: number | null;
  endpoint: string | null;
  provider: string | null;
  model: string | null;
  stream: number;
  project: string | null;
  session_id: string | null;
  tool: string | null;
  repo: string | null;
  branch: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_5m_tokens: number | null;
  cache_write_1h_tokens: number | null;
  reasoning_tokens: number | null;
  usage_source: string | null;
  cost_usd: number | null;
  price_unknown: number;
  overhead_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  request_body: string | null;
}

/** The request row once it has settled (the writer flushes within a few ms; poll, never sleep-assert). */
export async function settledRow(home: string, id: string, timeoutMs = 5000): Promise<RequestRowView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const db = openDb(home);
    try {
      const row = db.prepare('SELECT * FROM requests WHERE id = ?').get(id) as RequestRowView | undefined;
      if (row && row.status !== 'started') return row;
    } finally {
      db.close();
    }
    if (Date.now() > deadline) throw new Error(`request ${id} did not settle within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function auditEventsFor(home: string, subject: string): { seq: number; type: string; data: string }[] {
  const db = openDb(home);
  try {
    return db.prepare('SELECT seq, type, data FROM audit_events WHERE subject = ? ORDER BY seq').all(subject) as {
      seq: number;
      type: string;
      data: string;
    }[];
  } finally {
    db.close();
  }
}
