// `warden scan` on a terminal, checked under tmux as a person would see it: a progress line on
// stderr while files are scanned (done/total, files/s, findings so far), gone once the table is
// printed; and no progress at all when stderr is not a terminal.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, makeHome } from './harness.js';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const SESSION = `warden-scan-tty-${process.pid}`;
let home: string;
let tree: string;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SESSION, ...args], { encoding: 'utf8' });
}

/** Polls `fn` until it returns a value (no fixed sleeps); fails after `ms`. */
async function until<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  home = makeHome('warden-scan-tty-');
  tree = path.join(home, 'tree');
  for (let i = 0; i < 400; i++) {
    fs.mkdirSync(path.join(tree, `pkg${i % 20}`), { recursive: true });
    fs.writeFileSync(path.join(tree, `pkg${i % 20}`, `m${i}.js`), `export function f${i}(x) {\n  return ${i % 50 === 0 ? 'eval(x)' : 'x + 1'};\n}\n`);
  }
});

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SESSION, 'kill-server']);
  fs.rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!hasTmux)('warden scan in a terminal (tmux)', () => {
  it('draws a progress line while scanning and leaves only the table on screen', async () => {
    const raw = path.join(home, 'raw.log');
    const done = path.join(home, 'done');
    tmux('new-session', '-d', '-s', 'scan', '-x', '160', '-y', '50', 'sh');
    tmux('pipe-pane', '-o', '-t', 'scan', `cat >> ${raw}`);
    const cmd = `WARDEN_HOME=${home} NO_COLOR=1 ${process.execPath} ${BIN} scan ${tree} --no-cache --pack security --fail-on none -j 1; echo exit=$? > ${done}`;
    tmux('send-keys', '-t', 'scan', cmd, 'Enter');
    await until(() => (fs.existsSync(done) ? true : undefined), 90_000, 'the scan to finish');
    expect(fs.readFileSync(done, 'utf8').trim()).toBe('exit=0');

    // The stream the terminal received: progress redrawn in place with carriage returns.
    const stream = await until(() => {
      const s = fs.existsSync(raw) ? fs.readFileSync(raw, 'utf8') : '';
      return s.includes('exit=') || s.includes('security.eval') ? s : undefined;
    }, 10_000, 'the pane output');
    const progress = [...stream.matchAll(/scanning (\d+)\/(\d+) files · \d+ files\/s · (\d+) findings?/g)];
    expect(progress.length).toBeGreaterThan(0);
    const last = progress[progress.length - 1];
    expect(last[1]).toBe('400');
    expect(last[2]).toBe('400');
    expect(last[3]).toBe('8');

    // What a person sees: the findings table and no leftover progress line.
    const screen = tmux('capture-pane', '-p', '-t', 'scan', '-S', '-200');
    expect(screen).toMatch(/security\.eval/);
    expect(screen).not.toMatch(/scanning \d+\/\d+ files/);
  }, 120_000);

  it('prints no progress when stderr is not a terminal', async () => {
    const r = await cli(home, ['scan', tree, '--pack', 'security', '--fail-on', 'none', '-j', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/scanning/);
    expect(r.stdout).toMatch(/security\.eval/);
  }, 120_000);
});
