// Adapters end to end against the fake upstream: buildRequest → HTTP → usage from the JSON body or
// through the stream tap, as the proxy will use them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getAdapter } from '../../../src/core/providers/index.js';
import { SseParser } from '../../../src/core/providers/sse.js';
import type { BuildRequestInput, Endpoint, ProviderConfig, ProviderType, StreamTap } from '../../../src/core/providers/types.js';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.js';

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const REPLY = 'The quick brown fox.';

function provider(type: ProviderType): { config: ProviderConfig; key: string } {
  switch (type) {
    case 'openai':
      return { config: { name: 'o', type, baseUrl: fake.openaiBaseUrl }, key: fake.keys.openai };
    case 'openai-compatible':
      return { config: { name: 'c', type, baseUrl: fake.openaiBaseUrl }, key: fake.keys.openai };
    case 'azure-openai':
      return { config: { name: 'az', type, baseUrl: fake.azureEndpoint, apiVersion: '2024-10-21' }, key: fake.keys.azure };
    case 'anthropic':
      return { config: { name: 'a', type, baseUrl: fake.anthropicBaseUrl }, key: fake.keys.anthropic };
  }
}

async function call(type: ProviderType, endpoint: Endpoint, body: Record<string, unknown> | undefined, clientHeaders: BuildRequestInput['clientHeaders'] = {}) {
  const adapter = getAdapter(type);
  const p = provider(type);
  const req = adapter.buildRequest({
    endpoint,
    provider: p.config,
    credential: p.key,
    body,
    rawBody: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    clientHeaders,
    search: '',
  });
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  return { adapter, req, res };
}

/** Streams the response body through the tap the way the proxy does; returns what the client gets. */
async function throughTap(res: Response, tap: StreamTap): Promise<{ client: string; error: unknown }> {
  const out: Buffer[] = [];
  let error: unknown;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      out.push(tap.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    }
  } catch (e) {
    error = e;
  }
  out.push(tap.end());
  return { client: Buffer.concat(out).toString('utf8'), error };
}

describe.each(['openai', 'openai-compatible', 'azure-openai'] as const)('%s adapter against the fake', (type) => {
  it('injects include_usage, reads usage from the stream and hides the usage chunk from the client', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 1200, cachedTokens: 1024, outputTokens: 33, reasoningTokens: 8 } });
    const { adapter, req, res } = await call(type, 'chat.completions', {
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_obfuscation: false },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    expect(req.injectedUsage).toBe(true);
    expect(fake.requests[0].body.stream_options).toEqual({ include_obfuscation: false, include_usage: true });
    const tap = adapter.createStreamTap('chat.completions', { stripUsageChunk: req.injectedUsage });
    const { client } = await throughTap(res, tap);
    const events = new SseParser().push(client);
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.some((c) => Array.isArray(c.choices) && c.choices.length === 0 && 'usage' in c)).toBe(false);
    expect(tap.usage()).toEqual({
      inputTokens: 1200,
      outputTokens: 33,
      cacheReadTokens: 1024,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 8,
    });
    expect(tap.model()).toBe('gpt-4o-mini');
    expect(tap.outcome()).toBe('completed');
    expect(tap.outputText()).toBe(REPLY);
  });

  it('leaves the usage chunk in for a client that asked for it', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 5, outputTokens: 4 } });
    const { adapter, req, res } = await call(type, 'chat.completions', {
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(req.injectedUsage).toBe(false);
    const tap = adapter.createStreamTap('chat.completions', { stripUsageChunk: req.injectedUsage });
    const { client } = await throughTap(res, tap);
    const usageChunks = new SseParser()
      .push(client)
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data))
      .filter((c) => c.usage);
    expect(usageChunks).toHaveLength(1);
    expect(tap.usage()).toMatchObject({ inputTokens: 5, outputTokens: 4 });
  });

  it('reads usage from JSON bodies of chat, embeddings, completions and responses', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 70, cachedTokens: 64, outputTokens: 9, reasoningTokens: 2 } });
    const cases: [Endpoint, Record<string, unknown>, number][] = [
      ['chat.completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, 9],
      ['embeddings', { model: 'text-embedding-3-small', input: 'hi' }, 0],
      ['completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'hi' }, 9],
      ['responses', { model: 'gpt-4.1', input: 'hi' }, 9],
    ];
    for (const [endpoint, body, output] of cases) {
      const { adapter, res } = await call(type, endpoint, body);
      expect(res.status, endpoint).toBe(200);
      const usage = adapter.usageFromJson(endpoint, await res.json());
      expect(usage?.inputTokens, endpoint).toBe(70);
      expect(usage?.outputTokens, endpoint).toBe(output);
    }
  });

  it('reads usage and outcome from a Responses stream', async () => {
    fake.setBehavior({ replyText: REPLY, responseStatus: 'incomplete', usage: { inputTokens: 40, outputTokens: 16 } });
    const { adapter, req, res } = await call(type, 'responses', { model: 'gpt-4.1', input: 'hi', stream: true });
    expect(req.injectedUsage).toBe(false);
    const tap = adapter.createStreamTap('responses', { stripUsageChunk: false });
    await throughTap(res, tap);
    expect(tap.outcome()).toBe('incomplete');
    expect(tap.usage()).toMatchObject({ inputTokens: 40, outputTokens: 16 });
    expect(tap.outputText()).toBe(REPLY);
  });

  it('lists models', async () => {
    const { adapter, res } = await call(type, 'models', undefined);
    expect(res.status).toBe(200);
    expect(adapter.parseModels(await res.json()).map((m) => m.id)).toContain('gpt-4o-mini');
  });
});

describe('anthropic adapter against the fake', () => {
  it('reads cumulative usage with TTL-split cache writes from a message stream', async () => {
    fake.setBehavior({
      replyText: REPLY,
      thinkingText: 'Hmm.',
      usage: { inputTokens: 20, outputTokens: 300, cacheReadTokens: 10000, cacheWrite5mTokens: 1000, cacheWrite1hTokens: 2000 },
    });
    const { adapter, res } = await call(
      'anthropic',
      'messages',
      { model: 'claude-sonnet-5-5', max_tokens: 500, stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { 'anthropic-version': '2026-10-21', 'anthropic-beta': 'extended-cache-ttl-2025-04-11' },
    );
    expect(res.status).toBe(200);
    const rec = fake.requests[0];
    expect(rec.headers['anthropic-version']).toBe('2026-10-21');
    expect(rec.headers['anthropic-beta']).toBe('extended-cache-ttl-2025-04-11');
    expect(rec.headers['x-api-key']).toBe(fake.keys.anthropic);
    const tap = adapter.createStreamTap('messages', { stripUsageChunk: false });
    const { client } = await throughTap(res, tap);
    expect(new SseParser().push(client).map((e) => e.event)).toContain('ping');
    expect(tap.usage()).toEqual({
      inputTokens: 13020,
      outputTokens: 300,
      cacheReadTokens: 10000,
      cacheWrite5mTokens: 1000,
      cacheWrite1hTokens: 2000,
      reasoningTokens: 0,
    });
    expect(tap.outcome()).toBe('completed');
    expect(tap.model()).toBe('claude-sonnet-5-5');
    expect(tap.outputText()).toBe(`Hmm.${REPLY}`);
  });

  it('reads usage from a message body and treats count_tokens as free', async () => {
    fake.setBehavior({ usage: { inputTokens: 10, outputTokens: 4, cacheWrite5mTokens: 100 } });
    const m = await call('anthropic', 'messages', { model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.adapter.usageFromJson('messages', await m.res.json())).toMatchObject({ inputTokens: 110, outputTokens: 4, cacheWrite5mTokens: 100 });
    const c = await call('anthropic', 'messages.count_tokens', { model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] });
    const json = await c.res.json();
    expect(json).toEqual({ input_tokens: 10 });
    expect(c.adapter.usageFromJson('messages.count_tokens', json)).toMatchObject({ inputTokens: 0, outputTokens: 0 });
  });

  it('defaults anthropic-version when the client sent none, and lists models', async () => {
    const { adapter, res } = await call('anthropic', 'models', undefined);
    expect(res.status).toBe(200);
    expect(fake.requests[0].headers['anthropic-version']).toBe('2023-06-01');
    expect(adapter.parseModels(await res.json())).toContainEqual({ id: 'claude-sonnet-5-5', displayName: 'Claude Sonnet 5.5', created: 1759104000 });
  });

  it('leaves usage unknown but keeps the text when the upstream cuts the stream before message_delta', async () => {
    fake.setBehavior({ replyText: REPLY, cutStreamAfterChunks: 5 });
    const { adapter, res } = await call('anthropic', 'messages', {
      model: 'claude-sonnet-5-5',
      max_tokens: 5,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const tap = adapter.createStreamTap('messages', { stripUsageChunk: false });
    const { error } = await throughTap(res, tap);
    expect(error).toBeInstanceOf(Error);
    expect(tap.outcome()).toBeUndefined();
    // message_start's usage is known (input side); the output side never arrived.
    expect(tap.usage()?.outputTokens).toBe(1);
    expect(tap.outputText()).toBe('The quick');
  });
});
