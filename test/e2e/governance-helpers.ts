// Shared set-up for the governance e2e suites: a fresh WARDEN_HOME whose config.yaml points the
// openai and anthropic providers at the fake upstream (keys from the environment, so no CLI round
// trips), the real daemon, and the admin API called directly with the admin token.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { KeyCreated, SessionCreated, StatusResponse } from '../../src/core/protocol/api.js';
import type { FakeUpstream } from '../fixtures/fake-upstream.js';
import { makeHome, openDb, settledRow, startWarden, type RequestRowView, type Warden } from './harness.js';

export interface GovernanceDaemon {
  warden: Warden;
  /** $WARDEN_HOME/policies: the global policy directory. */
  policyDir: string;
}

/** Starts a daemon whose config.yaml is `configYaml` plus the fake providers; `policies` are written to the global dir first. */
export async function startGovernedWarden(
  fake: FakeUpstream,
  opts: { configYaml?: string; policies?: Record<string, string>; prefix?: string } = {},
): Promise<GovernanceDaemon> {
  const home = makeHome(opts.prefix ?? 'warden-gov-');
  const policyDir = path.join(home, 'policies');
  fs.mkdirSync(policyDir, { recursive: true });
  for (const [name, text] of Object.entries(opts.policies ?? {})) fs.writeFileSync(path.join(policyDir, name), text);
  fs.writeFileSync(
    path.join(home, 'config.yaml'),
    [
      'providers:',
      `  openai: { type: openai, base_url: "${fake.openaiBaseUrl}", api_key_env: WARDEN_TEST_OPENAI_KEY }`,
      `  anthropic: { type: anthropic, base_url: "${fake.anthropicBaseUrl}", api_key_env: WARDEN_TEST_ANTHROPIC_KEY }`,
      opts.configYaml ?? '',
    ].join('\n'),
  );
  const warden = await startWarden(home, {
    env: { WARDEN_TEST_OPENAI_KEY: fake.keys.openai, WARDEN_TEST_ANTHROPIC_KEY: fake.keys.anthropic },
  });
  return { warden, policyDir };
}

export async function admin<T>(w: Warden, method: string, route: string, body?: unknown): Promise<T> {
  const r = await fetch(`${w.url}/_warden/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${w.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`admin ${method} ${route}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

export function createKey(w: Warden, project: string): Promise<KeyCreated> {
  return admin<KeyCreated>(w, 'POST', '/keys', { project });
}

/** What `warden run` does first: a session with its own virtual key. */
export function createSession(w: Warden, project: string): Promise<SessionCreated> {
  return admin<SessionCreated>(w, 'POST', '/sessions', { project, command: 'agent --loop' });
}

export function daemonStatus(w: Warden): Promise<StatusResponse> {
  return admin<StatusResponse>(w, 'GET', '/status');
}

/** Writes a policy file atomically (write aside, rename), so a reload never sees half a file. */
export function writePolicy(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return file;
}

export function auditOfType(home: string, type: string): { seq: number; subject: string | null; data: Record<string, unknown> }[] {
  const db = openDb(home);
  try {
    const rows = db.prepare('SELECT seq, subject, data FROM audit_events WHERE type = ? ORDER BY seq').all(type) as { seq: number; subject: string | null; data: string }[];
    return rows.map((r) => ({ seq: r.seq, subject: r.subject, data: JSON.parse(r.data) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

/** Every file of the data dir (database, WAL, logs), as bytes: for "this value was never written anywhere". */
export function dataDirFiles(home: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile()) out.push({ file: full, bytes: fs.readFileSync(full) });
    }
  };
  visit(home);
  return out;
}

/** The settled request row with its policy columns. */
export async function policyRow(home: string, id: string): Promise<RequestRowView & { policy_verdict: string | null; policy_input: string | null; risk_score: number | null }> {
  return (await settledRow(home, id)) as RequestRowView & { policy_verdict: string | null; policy_input: string | null; risk_score: number | null };
}

/** The error a call rejected with, checked to be of `type` (the SDK's own error classes). */
export async function rejection<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
