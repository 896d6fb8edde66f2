// Runs the built CLI (`node bin/run.js ...`) against a database populated in a temp WARDEN_HOME.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Insertable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvents } from '../../src/core/audit/chain.js';
import { openStore } from '../../src/core/store/db.js';
import type { RequestsTable } from '../../src/core/store/schema.js';
import { BIN, ROOT, runCliSync } from '../helpers/cli.js';


let home: string;
const NOW = Date.now();
const H = 3_600_000;

function cli(args: string[], wardenHome = home) {
  return runCliSync(args, { home: wardenHome, cwd: ROOT });
}

function json(args: string[]) {
  const r = cli([...args, '--json']);
  try {
    return { ...r, body: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

function req(id: string, started_at: number, over: Partial<RequestsTable> = {}): Insertable<RequestsTable> {
  return {
    id,
    started_at,
    status: 'ok',
    http_status: 200,
    method: 'POST',
    path: '/v1/messages',
    provider: 'anthropic',
    model: 'claude-sonnet-4',
    stream: 1,
    project: 'billing',
    tool: 'claude-code',
    input_tokens: 1000,
    output_tokens: 200,
    usage_source: 'reported',
    cost_usd: 0.006,
    price_unknown: 0,
    ...over,
  };
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist/commands/requests/list.js'))) {
    throw new Error('dist/ is missing: build first (npm run build, or npx tsc -p tsconfig.build.json)');
  }
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-reports-'));
  const store = await openStore(path.join(home, 'warden.db'), { migrate: true });
  await store.db
    .insertInto('requests')
    .values([
      req('req_01HX0AAA', NOW - 50 * H, { project: 'search' }),
      req('req_01HX0BBB', NOW - 3 * H, { request_body: '{"model":"claude-sonnet-4","max_tokens":16}' }),
      req('req_01HX0BBC', NOW - 2 * H, { model: 'gpt-9-preview', provider: 'openai', cost_usd: null, price_unknown: 1 }),
      req('req_01HX0CCC', NOW - 1 * H, { status: 'upstream_error', http_status: 529, input_tokens: null, output_tokens: null, cost_usd: null, usage_source: 'none' }),
    ])
    .execute();
  store.sqlite
    .transaction(() =>
      appendAuditEvents(store.sqlite, [
        { ts: NOW - 5 * H, type: 'key.created', actor: 'cli:alice', subject: 'key_1', data: { project: 'billing', note: 'has, "commas"\nand lines' } },
        { ts: NOW - 4 * H, type: 'request.denied', actor: 'daemon', subject: 'req_01HX0BBC', data: { policy: 'no-preview-models' } },
        { ts: NOW - 3 * H, type: 'key.revoked', actor: 'cli:bob', subject: 'key_1', data: {} },
      ]),
    )
    .immediate();
  await store.close();
});

afterAll(() => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('warden requests', () => {
  it('list --json returns requests newest first, filtered by --since and --model', () => {
    const all = json(['requests', 'list']);
    expect(all.code).toBe(0);
    expect(all.body.count).toBe(4);
    expect(all.body.requests.map((r: { id: string }) => r.id)).toEqual(['req_01HX0CCC', 'req_01HX0BBC', 'req_01HX0BBB', 'req_01HX0AAA']);
    expect(all.body.requests[0]).not.toHaveProperty('request_body');

    const recent = json(['requests', 'list', '--since', '24h', '--model', 'claude-sonnet-4']);
    expect(recent.body.requests.map((r: { id: string }) => r.id)).toEqual(['req_01HX0CCC', 'req_01HX0BBB']);
    expect(recent.body.since).toBeGreaterThan(NOW - 25 * H);
  });

  it('list prints a table that marks an unknown price as unknown', () => {
    const r = cli(['requests', 'list', '--status', 'ok']);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('req_01HX0BBC'));
    expect(line).toMatch(/unknown/);
    expect(r.stdout).not.toContain('req_01HX0CCC');
  });

  it('list rejects a bad --status or --since as a usage error', () => {
    expect(cli(['requests', 'list', '--status', 'nope']).code).toBe(2);
    const bad = cli(['requests', 'list', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_duration');
  });

  it('show finds a request by unique prefix with its stored body, and fails clearly otherwise', () => {
    const one = json(['requests', 'show', 'req_01HX0BBB']);
    expect(one.code).toBe(0);
    expect(one.body.request).toMatchObject({ id: 'req_01HX0BBB', stream: 1, request_body: '{"model":"claude-sonnet-4","max_tokens":16}' });
    expect(json(['requests', 'show', 'req_01HX0C']).body.request.id).toBe('req_01HX0CCC');

    const ambiguous = json(['requests', 'show', 'req_01HX0BB']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.body.error.code).toBe('request_ambiguous');
    const missing = cli(['requests', 'show', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('request_not_found');
  });
});

describe('warden cost report', () => {
  it('--json groups by model with totals, counting unpriced requests instead of pricing them at $0', () => {
    const r = json(['cost', 'report', '--by', 'model']);
    expect(r.code).toBe(0);
    expect(r.body.by).toBe('model');
    const byKey = Object.fromEntries(r.body.rows.map((x: { key: string }) => [x.key, x]));
    expect(byKey['claude-sonnet-4']).toMatchObject({ requests: 3, input_tokens: 2000, output_tokens: 400, price_unknown: 0, cost_complete: true });
    expect(byKey['claude-sonnet-4'].cost_usd).toBeCloseTo(0.012, 10);
    expect(byKey['gpt-9-preview']).toMatchObject({ requests: 1, cost_usd: 0, price_unknown: 1, cost_complete: false });
    expect(r.body.totals).toMatchObject({ requests: 4, price_unknown: 1, cost_complete: false });
  });

  it('--since narrows the window and --by project groups by project', () => {
    const r = json(['cost', 'report', '--by', 'project', '--since', '24h']);
    expect(r.body.rows.map((x: { key: string }) => x.key)).toEqual(['billing']);
    expect(r.body.totals.requests).toBe(3);
  });

  it('prints unpriced groups as unknown and flags an incomplete total', () => {
    const r = cli(['cost', 'report']);
    expect(r.code).toBe(0);
    const rowOf = (label: string) => r.stdout.split('\n').find((l) => l.includes(label)) ?? '';
    expect(rowOf('gpt-9-preview')).toMatch(/unknown/);
    expect(rowOf('gpt-9-preview')).not.toMatch(/\$0/);
    expect(rowOf('Total')).toMatch(/\$0\.0120 \+ 1 unpriced/);
  });

  it('rejects an unknown --by', () => {
    expect(cli(['cost', 'report', '--by', 'colour']).code).toBe(2);
  });
});

describe('warden audit', () => {
  it('list and show return decoded events', () => {
    const list = json(['audit', 'list', '--type', 'key.*']);
    expect(list.code).toBe(0);
    expect(list.body.events.map((e: { seq: number }) => e.seq)).toEqual([3, 1]);
    expect(list.body.events[1].data).toEqual({ project: 'billing', note: 'has, "commas"\nand lines' });

    const show = json(['audit', 'show', '2']);
    expect(show.code).toBe(0);
    expect(show.body).toMatchObject({ hash_ok: true, event: { seq: 2, type: 'request.denied', data: { policy: 'no-preview-models' } } });
    expect(show.body.event.prev_hash).toBe(list.body.events[1].hash);

    expect(cli(['audit', 'show', '99']).code).toBe(2);
    expect(cli(['audit', 'show', 'x']).code).toBe(2);
  });

  it('export writes every field needed to re-verify, in csv, json and jsonl', () => {
    const csv = cli(['audit', 'export', '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('seq,ts,ts_ms,type,actor,subject,data,prev_hash,hash');
    expect(csv.stdout).toContain(`1,${new Date(NOW - 5 * H).toISOString()},${NOW - 5 * H},key.created,cli:alice,key_1,"{""note"":""has, \\""commas\\""\\nand lines"",""project"":""billing""}",${'0'.repeat(64)},`);

    const file = path.join(home, 'audit.json');
    const r = json(['audit', 'export', '--format', 'json', '--output', file]);
    expect(r.code).toBe(0);
    expect(r.body).toMatchObject({ format: 'json', output: file, count: 3, firstSeq: 1, lastSeq: 3 });
    const events = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(Object.keys(events[0])).toEqual(['seq', 'ts', 'ts_ms', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash']);
    expect(events[2].ts).toBe(new Date(NOW - 3 * H).toISOString());
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const jsonl = cli(['audit', 'export']);
    expect(jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);

    expect(cli(['audit', 'export', '--json']).code).toBe(2);
  });

  it('verify exits 0 on an intact log and re-verifies an export; exits 1 naming the first broken seq after tampering', () => {
    const intact = json(['audit', 'verify']);
    expect(intact.code).toBe(0);
    expect(intact.body).toMatchObject({ ok: true, count: 3, firstSeq: 1, lastSeq: 3, source: 'database' });

    const exported = path.join(home, 'before.jsonl');
    expect(cli(['audit', 'export', '--output', exported]).code).toBe(0);
    const fromFile = json(['audit', 'verify', '--file', exported]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.body).toMatchObject({ ok: true, headHash: intact.body.headHash });

    const segment = path.join(home, 'segment.jsonl');
    expect(cli(['audit', 'export', '--since', new Date(NOW - 4 * H).toISOString(), '--output', segment]).code).toBe(0);
    expect(json(['audit', 'verify', '--file', segment]).code).toBe(1);
    expect(json(['audit', 'verify', '--file', segment, '--partial']).body).toMatchObject({ ok: true, firstSeq: 2, partial: true });

    // An attacker with the file: drop the append-only guard and rewrite history.
    const db = new SQLite(path.join(home, 'warden.db'));
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare(`UPDATE audit_events SET data = '{"policy":"none"}' WHERE seq = 2`).run();
    db.close();

    const broken = json(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.body).toMatchObject({ ok: false, count: 3, broken: { seq: 2, reason: 'hash_mismatch' } });
    const text = cli(['audit', 'verify']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('BROKEN at seq 2 (hash_mismatch)');
    expect(json(['audit', 'show', '2']).body.hash_ok).toBe(false);

    // The export taken before the edit still verifies and still holds the original data.
    expect(cli(['audit', 'verify', '--file', exported]).code).toBe(0);
  });
});

describe('without a database', () => {
  it('says so and exits 2 instead of creating one', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-empty-'));
    try {
      const r = cli(['requests', 'list'], empty);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('store_missing');
      expect(r.stderr).toContain('warden up');
      const j = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json'], {
        cwd: ROOT,
        env: { ...process.env, WARDEN_HOME: empty },
        encoding: 'utf8',
      });
      expect(j.status).toBe(2);
      expect(JSON.parse(j.stdout).error.code).toBe('store_missing');
      expect(fs.existsSync(path.join(empty, 'warden.db'))).toBe(false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
