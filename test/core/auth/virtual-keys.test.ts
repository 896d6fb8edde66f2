import { describe, expect, it } from 'vitest';
import {
  displayPrefix,
  extractPresentedKey,
  generateVirtualKey,
  hashVirtualKey,
  looksLikeVirtualKey,
  newId,
} from '../../../src/core/auth/virtual-keys.js';
import { detectClientTool } from '../../../src/core/auth/client-tool.js';
import { KeyCache } from '../../../src/core/auth/key-cache.js';
import type { KeyRow } from '../../../src/core/store/repos/keys.js';

describe('virtual keys', () => {
  it('are wk_ plus 32 base62 characters, distinct each time', () => {
    const keys = new Set(Array.from({ length: 500 }, () => generateVirtualKey()));
    expect(keys.size).toBe(500);
    for (const k of keys) {
      expect(k).toMatch(/^wk_[0-9A-Za-z]{32}$/);
      expect(looksLikeVirtualKey(k)).toBe(true);
    }
  });

  it('carry at least 128 bits of entropy: every base62 character appears with similar frequency', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of generateVirtualKey().slice(3)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = (2000 * 32) / 62;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.25);
    expect(32 * Math.log2(62)).toBeGreaterThan(128);
  });

  it('hash to hex SHA-256 and show only a short prefix', () => {
    const k = generateVirtualKey();
    expect(hashVirtualKey(k)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashVirtualKey(k)).toBe(hashVirtualKey(k));
    expect(displayPrefix(k)).toBe(k.slice(0, 9));
  });

  it('are read from whichever header the SDK sends', () => {
    expect(extractPresentedKey({ authorization: 'Bearer wk_abc' })).toBe('wk_abc');
    expect(extractPresentedKey({ authorization: 'bearer   wk_abc  ' })).toBe('wk_abc');
    expect(extractPresentedKey({ 'x-api-key': 'wk_x' })).toBe('wk_x');
    expect(extractPresentedKey({ 'api-key': 'wk_az' })).toBe('wk_az');
    expect(extractPresentedKey({ authorization: 'Basic Zm9v' })).toBeUndefined();
    expect(extractPresentedKey({})).toBeUndefined();
  });

  it('ids sort by creation time', () => {
    const a = newId('req', 1_700_000_000_000);
    const b = newId('req', 1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a.startsWith('req_')).toBe(true);
  });
});

describe('client tool detection', () => {
  it.each([
    ['claude-cli/1.0.83 (external, cli)', 'claude-code'],
    ['codex_cli_rs/0.20.0 (Mac OS 14.5.0; arm64)', 'codex'],
    ['OpenAI/JS 6.49.0', 'openai-node'],
    ['OpenAI/Python 1.99.1', 'openai-python'],
    ['Anthropic/JS 0.60.0', 'anthropic-sdk'],
    ['Anthropic/Python 0.60.0', 'anthropic-python'],
    ['curl/8.5.0', 'curl'],
    ['MyAgent/2.0', 'myagent'],
    [undefined, 'unknown'],
  ])('%s → %s', (ua, tool) => {
    expect(detectClientTool(ua)).toBe(tool);
  });

  it('prefers an explicit x-warden-tool header', () => {
    expect(detectClientTool('curl/8', 'my-bot')).toBe('my-bot');
    expect(detectClientTool('curl/8', 'bad value!')).toBe('curl');
  });
});

function row(over: Partial<KeyRow>): KeyRow {
  return {
    id: 'key_1',
    name: null,
    project: 'p',
    prefix: 'wk_abcdef',
    hash: 'h1',
    created_at: 0,
    expires_at: null,
    revoked_at: null,
    replaced_by: null,
    session_id: null,
    user: null,
    team: null,
    tags: null,
    last_used_at: null,
    ...over,
  };
}

describe('key cache', () => {
  it('tells missing, unknown, expired and revoked keys apart', () => {
    const c = new KeyCache();
    c.load([row({ hash: 'ok' }), row({ id: 'key_2', hash: 'old', expires_at: 1000 }), row({ id: 'key_3', hash: 'gone', revoked_at: 5 })], new Map());
    expect(c.authenticate(undefined, 0)).toEqual({ ok: false, reason: 'missing' });
    expect(c.authenticate('nope', 0)).toEqual({ ok: false, reason: 'unknown' });
    expect(c.authenticate('old', 999).ok).toBe(true);
    expect(c.authenticate('old', 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(c.authenticate('gone', 0)).toEqual({ ok: false, reason: 'revoked' });
    const r = c.authenticate('ok', 0);
    expect(r.ok && r.principal.project).toBe('p');
  });

  it('refuses a key from the moment it is revoked', () => {
    const c = new KeyCache();
    c.add(row({ hash: 'k' }));
    expect(c.authenticate('k', 0).ok).toBe(true);
    c.revoke('k');
    expect(c.authenticate('k', 0)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('tags session keys with the session\'s repo and branch', () => {
    const c = new KeyCache();
    c.load([row({ hash: 's', session_id: 'ses_1' })], new Map([['ses_1', { repo: 'git@x:o/r.git', branch: 'main' }]]));
    const r = c.authenticate('s', 0);
    expect(r.ok && r.principal.repo).toBe('git@x:o/r.git');
    expect(r.ok && r.principal.branch).toBe('main');
  });
});
