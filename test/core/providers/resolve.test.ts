import { describe, expect, it } from 'vitest';
import { envFrom } from '../../../src/core/deps.js';
import { DEFAULT_ROUTES } from '../../../src/core/config/schema.js';
import { globToRegExp, resolveProviders, Router } from '../../../src/core/providers/resolve.js';
import type { ProviderRow } from '../../../src/core/store/repos/providers.js';

function row(over: Partial<ProviderRow>): ProviderRow {
  return { name: 'x', type: 'openai', base_url: null, api_version: null, secret_store: null, created_at: 0, updated_at: 0, ...over };
}

describe('provider resolution', () => {
  it('offers openai and anthropic from env keys when none are configured', async () => {
    const ps = await resolveProviders({
      rows: [],
      configProviders: {},
      env: envFrom({ OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'sk-ant-1' }),
      getSecret: async () => undefined,
    });
    expect(ps.map((p) => [p.config.name, p.keySource, p.origin])).toEqual([
      ['openai', 'env:OPENAI_API_KEY', 'env'],
      ['anthropic', 'env:ANTHROPIC_API_KEY', 'env'],
    ]);
    expect(ps[0].credential).toBe('sk-1');
  });

  it('prefers a stored provider and its stored key over config and env', async () => {
    const ps = await resolveProviders({
      rows: [row({ name: 'openai', base_url: 'http://127.0.0.1:9/v1/', secret_store: 'file' })],
      configProviders: { openai: { type: 'openai', baseUrl: 'http://config/v1' } },
      env: envFrom({ OPENAI_API_KEY: 'sk-env' }),
      getSecret: async (n) => (n === 'provider:openai' ? 'sk-stored' : undefined),
    });
    expect(ps).toHaveLength(1);
    expect(ps[0].config.baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(ps[0].credential).toBe('sk-stored');
    expect(ps[0].keySource).toBe('file');
  });

  it('skips a config provider without a base URL when its type has no default', async () => {
    const ps = await resolveProviders({
      rows: [],
      configProviders: { local: { type: 'openai-compatible' } },
      env: envFrom({}),
      getSecret: async () => undefined,
    });
    expect(ps).toEqual([]);
  });
});

describe('routing', () => {
  it('compiles globs with * and ? and escapes the rest', () => {
    expect(globToRegExp('gpt-4.1*').test('gpt-4.1-mini')).toBe(true);
    expect(globToRegExp('gpt-4.1*').test('gpt-4x1')).toBe(false);
    expect(globToRegExp('o?-mini').test('o3-mini')).toBe(true);
  });

  it('routes by the first matching rule, skipping rules for providers that do not exist', async () => {
    const ps = await resolveProviders({
      rows: [row({ name: 'anthropic', type: 'anthropic' }), row({ name: 'local', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' })],
      configProviders: {},
      env: envFrom({}),
      getSecret: async () => undefined,
    });
    const r = new Router(ps, [{ match: 'llama*', provider: 'local' }, ...DEFAULT_ROUTES]);
    const claude = r.route('claude-sonnet-4-5', 'messages');
    expect(claude.ok && claude.provider.config.name).toBe('anthropic');
    const llama = r.route('llama3.1', 'chat.completions');
    expect(llama.ok && llama.provider.config.name).toBe('local');
    const gpt = r.route('gpt-4o', 'chat.completions');
    expect(gpt.ok).toBe(false);
    expect(!gpt.ok && gpt.reason).toBe('no_route');
  });

  it('refuses an endpoint the routed provider does not speak', async () => {
    const ps = await resolveProviders({
      rows: [row({ name: 'anthropic', type: 'anthropic' })],
      configProviders: {},
      env: envFrom({}),
      getSecret: async () => undefined,
    });
    const r = new Router(ps, [...DEFAULT_ROUTES]);
    const res = r.route('claude-3-5-haiku', 'embeddings');
    expect(!res.ok && res.reason).toBe('unsupported_endpoint');
  });

  it('sends every model to the only provider there is', async () => {
    const ps = await resolveProviders({
      rows: [row({ name: 'ollama', type: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1' })],
      configProviders: {},
      env: envFrom({}),
      getSecret: async () => undefined,
    });
    const res = new Router(ps, [...DEFAULT_ROUTES]).route('qwen2.5', 'chat.completions');
    expect(res.ok && res.provider.config.name).toBe('ollama');
  });
});
