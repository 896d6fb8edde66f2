// The daemon's lifecycle as a user drives it: up/down/status, one daemon per data dir, stale
// pidfiles, crash recovery, graceful drain, `warden run` and `warden env`, config errors.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { isProcessAlive } from '../../src/core/lifecycle/daemon-files.js';
import { BIN, ROOT, cli, cliJson, homeEnv, makeHome, openDb, settledRow, startWarden, stopWarden, waitFor, type Warden } from './harness.js';

let fake: FakeUpstream;
const homes: string[] = [];
const home = () => {
  const h = makeHome();
  homes.push(h);
  return h;
};

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterAll(async () => {
  for (const h of homes) {
    await cli(h, ['down']).catch(() => undefined);
    fs.rmSync(h, { recursive: true, force: true });
  }
  await fake?.close();
});

/** Gone means exited: a zombie not yet reaped by init counts as gone. */
const alive = isProcessAlive;

async function withProvider(w: Warden): Promise<string> {
  const set = await cli(w.home, ['providers', 'set', 'openai', '--type', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key-stdin'], {
    input: fake.keys.openai,
  });
  expect(set.code, set.stderr).toBe(0);
  return (await cliJson<{ key: string }>(w.home, ['keys', 'create', '--project', 'life'])).key;
}

describe('daemon lifecycle', () => {
  it('up, status, up again (no-op), down, status (exit 3), down again (no-op)', async () => {
    const h = home();
    const w = await startWarden(h);
    expect(alive(w.pid)).toBe(true);
    const st = await cliJson<{ status: string; pid: number; port: number; data_dir: string; today: { requests: number } }>(h, ['status']);
    expect(st).toMatchObject({ status: 'ok', pid: w.pid, port: w.port, data_dir: h });
    expect(st.today.requests).toBe(0);
    const again = await cliJson<{ started: boolean; pid: number }>(h, ['up']);
    expect(again).toMatchObject({ started: false, pid: w.pid });
    const human = await cli(h, ['status']);
    expect(human.stdout).toMatch(/running/);
    expect(human.stdout).toContain(h);

    const down = await cliJson<{ stopped: boolean }>(h, ['down']);
    expect(down.stopped).toBe(true);
    expect(alive(w.pid)).toBe(false);
    expect(fs.existsSync(path.join(h, 'daemon.pid'))).toBe(false);
    const stopped = await cli(h, ['status']);
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toMatch(/warden: daemon_not_running: /);
    const down2 = await cli(h, ['down']);
    expect(down2.code).toBe(0);
    expect(down2.stdout).toMatch(/was not running/);
  });

  it('refuses a second daemon on the same data dir, naming the first one\'s pid', async () => {
    const h = home();
    const w = await startWarden(h);
    const second = spawn(process.execPath, [path.join(ROOT, 'bin', 'daemon.js'), '--port', '0'], { env: homeEnv(h), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number>((r) => second.on('exit', (c) => r(c ?? -1)));
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`daemon_already_running: another Warden daemon \\(pid ${w.pid}\\)`));
    expect(alive(w.pid)).toBe(true);
    await stopWarden(w);
  });

  it('detects and cleans a stale pidfile and lock left by a dead daemon', async () => {
    const h = home();
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    fs.writeFileSync(path.join(h, 'daemon.pid'), `${deadPid}\n`);
    fs.writeFileSync(path.join(h, 'daemon.lock'), `${deadPid}\n`);
    fs.writeFileSync(path.join(h, 'daemon.json'), JSON.stringify({ pid: deadPid, host: '127.0.0.1', port: 1, startedAt: 0, version: 'x', dataDir: h }));
    const st = await cli(h, ['status']);
    expect(st.code).toBe(3);
    expect(st.stderr).toMatch(new RegExp(`stale pidfile for pid ${deadPid}`));
    expect(fs.existsSync(path.join(h, 'daemon.pid'))).toBe(false);
    fs.writeFileSync(path.join(h, 'daemon.lock'), `${deadPid}\n`);
    const w = await startWarden(h);
    expect(w.pid).not.toBe(deadPid);
    expect(fs.readFileSync(path.join(h, 'daemon.lock'), 'utf8').trim()).toBe(String(w.pid));
    await stopWarden(w);
  });

  it('a crash mid-request leaves an interrupted row, never nothing; the restart records it', async () => {
    const h = home();
    const w = await startWarden(h);
    const key = await withProvider(w);
    fake.setBehavior({ replyText: 'slow '.repeat(50), chunkIntervalMs: 100 });
    const res = await fetch(`${w.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const id = res.headers.get('x-warden-request-id')!;
    await waitFor(() => {
      const db = openDb(h);
      try {
        return db.prepare("SELECT 1 FROM requests WHERE id = ? AND status = 'started'").get(id);
      } finally {
        db.close();
      }
    }, 'the started row on disk');
    process.kill(w.pid, 'SIGKILL');
    await res.text().catch(() => '');
    await waitFor(() => !alive(w.pid), 'the daemon to die');
    fake.reset();
    const w2 = await startWarden(h);
    const row = await settledRow(h, id);
    expect(row).toMatchObject({ status: 'interrupted', error_code: 'interrupted' });
    const db = openDb(h);
    const started = db.prepare("SELECT data FROM audit_events WHERE type = 'daemon.started' ORDER BY seq DESC LIMIT 1").get() as { data: string };
    db.close();
    expect(JSON.parse(started.data).interrupted_requests).toBe(1);
    const verify = await cli(h, ['audit', 'verify']);
    expect(verify.code).toBe(0);
    await stopWarden(w2);
  });

  it('SIGTERM drains in-flight streams to the end and flushes them before exit', async () => {
    const h = home();
    const w = await startWarden(h);
    const key = await withProvider(w);
    fake.setBehavior({ replyText: 'a b c d e f g h', chunkIntervalMs: 60, usage: { inputTokens: 11, outputTokens: 8 } });
    const res = await fetch(`${w.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const id = res.headers.get('x-warden-request-id')!;
    const body = res.text();
    const down = cli(h, ['down']);
    const text = await body;
    expect(text).toContain('data: [DONE]');
    expect((await down).code).toBe(0);
    expect(alive(w.pid)).toBe(false);
    const row = await settledRow(h, id);
    expect(row).toMatchObject({ status: 'ok', input_tokens: 11, output_tokens: 8 });
    const db = openDb(h);
    const last = db.prepare('SELECT type FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { type: string };
    db.close();
    expect(last.type).toBe('daemon.stopped');
    fake.reset();
  });

  it('a bad config.yaml stops start-up with the file, line and key, exit 2', async () => {
    const h = home();
    fs.writeFileSync(path.join(h, 'config.yaml'), 'server:\n  port: "abc"\n');
    const up = await cli(h, ['up']);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain(`${path.join(h, 'config.yaml')}:2:`);
    expect(up.stderr).toMatch(/server\.port/);
  });

  it('the admin API refuses requests without the admin token', async () => {
    const h = home();
    const w = await startWarden(h);
    const r = await fetch(`${w.url}/_warden/v1/keys`, { method: 'POST', body: '{"project":"x"}' });
    expect(r.status).toBe(401);
    const r2 = await fetch(`${w.url}/_warden/v1/status`, { headers: { authorization: 'Bearer wrong' } });
    expect(r2.status).toBe(401);
    const ok = await fetch(`${w.url}/_warden/v1/status`, { headers: { authorization: `Bearer ${w.token}` } });
    expect(ok.status).toBe(200);
    expect((fs.statSync(path.join(h, 'admin.token')).mode & 0o777).toString(8)).toBe('600');
    expect((fs.statSync(path.join(h, 'warden.db')).mode & 0o777).toString(8)).toBe('600');
    await stopWarden(w);
  });

  it('provider keys land in the 0600 encrypted store and nowhere else in the data dir', async () => {
    const h = home();
    const w = await startWarden(h);
    const secret = 'sk-very-secret-provider-key-0123456789';
    const set = await cli(h, ['providers', 'set', 'p1', '--type', 'openai-compatible', '--base-url', fake.openaiBaseUrl, '--api-key-stdin'], { input: secret });
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/encrypted file/);
    const list = await cliJson<{ name: string; key_source: string }[]>(h, ['providers', 'list']);
    expect(list).toEqual([expect.objectContaining({ name: 'p1', key_source: 'file' })]);
    await stopWarden(w);
    for (const f of fs.readdirSync(h, { recursive: true }) as string[]) {
      const p = path.join(h, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes(secret), `${f} holds the key in clear`).toBe(false);
    }
    expect((fs.statSync(path.join(h, 'secrets.enc.json')).mode & 0o777).toString(8)).toBe('600');
  });
});

describe('bodies', () => {
  it('are not stored by default; store_bodies: true keeps the prompt and the response', async () => {
    const call = async (w: Warden, key: string) => {
      fake.setBehavior({ replyText: 'the secret reply' });
      const r = await fetch(`${w.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'the secret prompt' }] }),
      });
      expect(r.status).toBe(200);
      await r.text();
      const db = openDb(w.home);
      const id = r.headers.get('x-warden-request-id')!;
      await settledRow(w.home, id);
      const row = db.prepare('SELECT request_body, response_body FROM requests WHERE id = ?').get(id) as { request_body: string | null; response_body: string | null };
      db.close();
      return row;
    };
    const plain = await startWarden(home());
    const plainRow = await call(plain, await withProvider(plain));
    expect(plainRow).toEqual({ request_body: null, response_body: null });
    await stopWarden(plain);

    const h = home();
    fs.writeFileSync(path.join(h, 'config.yaml'), 'store_bodies: true\n');
    const w = await startWarden(h);
    const row = await call(w, await withProvider(w));
    expect(row.request_body).toContain('the secret prompt');
    expect(row.response_body).toContain('the secret reply');
    const shown = await cliJson<Record<string, unknown>>(h, ['requests', 'show', (await cliJson<{ requests: { id: string }[] }>(h, ['requests', 'list'])).requests[0].id]);
    expect(JSON.stringify(shown)).toContain('the secret prompt');
    await stopWarden(w);
    fake.reset();
  });
});

describe('provider keys from the environment', () => {
  it('a stored provider without a key uses OPENAI_API_KEY from the daemon\'s environment', async () => {
    const h = home();
    const w = await startWarden(h, { env: { OPENAI_API_KEY: fake.keys.openai } });
    const set = await cli(h, ['providers', 'set', 'openai', '--type', 'openai', '--base-url', fake.openaiBaseUrl, '--no-key']);
    expect(set.code, set.stderr).toBe(0);
    const list = await cliJson<{ name: string; key_source: string }[]>(h, ['providers', 'list']);
    expect(list).toEqual([expect.objectContaining({ name: 'openai', key_source: 'env:OPENAI_API_KEY' })]);
    const test = await cli(h, ['providers', 'test', 'openai']);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/openai: ok/);
    await stopWarden(w);
  });

  it('providers test fails with exit 1 and the upstream\'s reason when the key is wrong', async () => {
    const h = home();
    const w = await startWarden(h);
    await cli(h, ['providers', 'set', 'openai', '--type', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key-stdin'], { input: 'sk-wrong' });
    const test = await cli(h, ['providers', 'test', 'openai']);
    expect(test.code).toBe(1);
    expect(test.stdout).toMatch(/FAILED \(HTTP 401\)/);
    await stopWarden(w);
  });
});

describe('warden run and warden env', () => {
  let w: Warden;
  let repo: string;
  beforeAll(async () => {
    const h = home();
    w = await startWarden(h);
    await withProvider(w);
    repo = fs.mkdtempSync(path.join(h, 'repo-'));
    execFileSync('git', ['init', '-q', '-b', 'feature-x'], { cwd: repo });
    execFileSync('git', ['remote', 'add', 'origin', 'https://user:tok@git.example.com/acme/shop.git'], { cwd: repo });
  });

  it('runs the command with the proxy env, tags its requests, exits with its code and revokes the session key', async () => {
    fake.reset();
    const script = `
      const r = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'content-type': 'application/json', 'user-agent': 'codex_cli_rs/0.20.0' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      });
      console.log(JSON.stringify({ id: r.headers.get('x-warden-request-id'), status: r.status, env: {
        OPENAI_BASE_URL: process.env.OPENAI_BASE_URL, ANTHROPIC_BASE_URL: process.env.ANTHROPIC_BASE_URL,
        same: process.env.OPENAI_API_KEY === process.env.ANTHROPIC_API_KEY && process.env.ANTHROPIC_API_KEY === process.env.ANTHROPIC_AUTH_TOKEN,
        key: process.env.OPENAI_API_KEY } }));
      process.exit(7);`;
    const r = await cli(w.home, ['run', '--', process.execPath, '--input-type=module', '-e', script], { cwd: repo });
    expect(r.code).toBe(7);
    const out = JSON.parse(r.stdout.trim()) as { id: string; status: number; env: Record<string, unknown> };
    expect(out.status).toBe(200);
    expect(out.env).toMatchObject({ OPENAI_BASE_URL: `${w.url}/v1`, ANTHROPIC_BASE_URL: w.url, same: true });
    const row = await settledRow(w.home, out.id);
    expect(row).toMatchObject({ project: path.basename(repo), tool: 'codex', branch: 'feature-x', repo: 'https://git.example.com/acme/shop.git' });
    expect(row.session_id).toMatch(/^ses_/);
    const after = await fetch(`${w.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${out.env.key as string}` },
      body: '{}',
    });
    expect(after.status).toBe(401);
  });

  it('env prints exports a shell can eval, with a working session key', async () => {
    const r = await cli(w.home, ['env', '--shell', 'bash', '--project', 'shell-proj']);
    expect(r.code).toBe(0);
    const vars = execFileSync('bash', ['-c', `${r.stdout}\nprintf '%s\\n%s' "$OPENAI_BASE_URL" "$OPENAI_API_KEY"`], { encoding: 'utf8' }).split('\n');
    expect(vars[0]).toBe(`${w.url}/v1`);
    const res = await fetch(`${vars[0]}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${vars[1]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    const row = await settledRow(w.home, res.headers.get('x-warden-request-id')!);
    expect(row.project).toBe('shell-proj');
    const fish = await cli(w.home, ['env', '--shell', 'fish']);
    expect(fish.stdout).toMatch(/^set -gx OPENAI_BASE_URL '/m);
  });

  it('run without a command is a usage error', async () => {
    const r = await cli(w.home, ['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no command to run/);
  });

  it('keys list/rotate: the old key stops working, the new one works', async () => {
    const k = await cliJson<{ id: string; key: string }>(w.home, ['keys', 'create', '--project', 'rot', '--name', 'ci']);
    const rotated = await cliJson<{ id: string; key: string; replaces: string }>(w.home, ['keys', 'rotate', k.id]);
    expect(rotated.replaces).toBe(k.id);
    const call = (key: string) =>
      fetch(`${w.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      }).then((r) => r.status);
    expect(await call(k.key)).toBe(401);
    expect(await call(rotated.key)).toBe(200);
    const list = await cliJson<{ id: string; state: string; name: string | null }[]>(w.home, ['keys', 'list', '--project', 'rot']);
    expect(list.map((x) => [x.id, x.state, x.name])).toEqual(
      expect.arrayContaining([
        [k.id, 'revoked', 'ci'],
        [rotated.id, 'active', 'ci'],
      ]),
    );
    const human = await cli(w.home, ['keys', 'list']);
    expect(human.stdout).not.toContain(rotated.key);
  });

  it('daemon logs -f follows new lines as the daemon writes them', async () => {
    const follow = spawn(process.execPath, [BIN, 'daemon', 'logs', '-f', '-n', '0'], { env: homeEnv(w.home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follow.stdout.on('data', (d) => (out += d));
    try {
      // Give the follower a moment to start watching, then make the daemon log something new.
      await waitFor(() => follow.pid !== undefined, 'the follower to start');
      const seen = waitFor(async () => {
        await fetch(`${w.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer wk_followme' }, body: '{}' });
        return out.includes('rejected request: authentication') ? true : undefined;
      }, 'a followed log line', 10_000);
      expect(await seen).toBe(true);
    } finally {
      follow.kill('SIGTERM');
    }
  });

  it('daemon logs shows what the daemon did', async () => {
    const r = await cli(w.home, ['daemon', 'logs', '-n', '100']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/daemon started/);
  });
});

