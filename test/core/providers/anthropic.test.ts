import { describe, expect, it } from 'vitest';
import { anthropicAdapter } from '../../../src/core/providers/anthropic/adapter.js';
import type { BuildRequestInput } from '../../../src/core/providers/types.js';
import { namedEvent, runTap, splitAt, sse } from './tap-helpers.js';

const MODEL = 'claude-sonnet-4-5-20250929';

function messageStart(usage: Record<string, unknown>): string {
  return namedEvent('message_start', {
    type: 'message_start',
    message: { model: MODEL, id: 'msg_01', type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage },
  });
}

function messageDelta(usage: Record<string, unknown>): string {
  return namedEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage });
}

const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const STOP = namedEvent('message_stop', { type: 'message_stop' });

function textBlock(...texts: string[]): string[] {
  return [
    namedEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    PING,
    ...texts.map((t) => namedEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } })),
    namedEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
  ];
}

const START_USAGE = {
  input_tokens: 20,
  cache_creation_input_tokens: 3000,
  cache_read_input_tokens: 10000,
  cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
  output_tokens: 1,
  service_tier: 'standard',
};

describe('anthropic usage from JSON', () => {
  it('adds cache reads and writes to input_tokens and splits writes by TTL', () => {
    const json = { id: 'msg', type: 'message', model: MODEL, content: [], usage: { ...START_USAGE, output_tokens: 500 } };
    expect(anthropicAdapter.usageFromJson('messages', json)).toEqual({
      inputTokens: 13020,
      outputTokens: 500,
      cacheReadTokens: 10000,
      cacheWrite5mTokens: 1000,
      cacheWrite1hTokens: 2000,
      reasoningTokens: 0,
    });
  });

  it('counts every cache write as 5-minute when the TTL split is absent', () => {
    const json = { usage: { input_tokens: 10, cache_creation_input_tokens: 400, cache_read_input_tokens: 0, output_tokens: 5 } };
    expect(anthropicAdapter.usageFromJson('messages', json)).toMatchObject({
      inputTokens: 410,
      cacheWrite5mTokens: 400,
      cacheWrite1hTokens: 0,
    });
  });

  it('tolerates null cache fields (older API versions)', () => {
    const json = { usage: { input_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: null, output_tokens: 5 } };
    expect(anthropicAdapter.usageFromJson('messages', json)).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('reads thinking tokens from output_tokens_details', () => {
    const json = { usage: { input_tokens: 1, output_tokens: 90, output_tokens_details: { thinking_tokens: 60 } } };
    expect(anthropicAdapter.usageFromJson('messages', json)).toMatchObject({ outputTokens: 90, reasoningTokens: 60 });
  });

  it('reports zero usage for count_tokens (free) and none for a body without usage', () => {
    expect(anthropicAdapter.usageFromJson('messages.count_tokens', { input_tokens: 42 })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    });
    expect(anthropicAdapter.usageFromJson('messages', { type: 'error', error: {} })).toBeNull();
  });
});

describe('anthropic message stream tap', () => {
  it('reads input from message_start and the final cumulative output from message_delta', () => {
    const full = sse(messageStart(START_USAGE), ...textBlock('Hel', 'lo'), messageDelta({ output_tokens: 250 }), STOP);
    for (let i = 0; i <= full.length; i++) {
      const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: false });
      const out = runTap(tap, splitAt(full, i));
      expect(out.toString(), `split at ${i}`).toBe(full.toString());
      expect(tap.usage(), `split at ${i}`).toEqual({
        inputTokens: 13020,
        outputTokens: 250,
        cacheReadTokens: 10000,
        cacheWrite5mTokens: 1000,
        cacheWrite1hTokens: 2000,
        reasoningTokens: 0,
      });
      expect(tap.outputText()).toBe('Hello');
      expect(tap.model()).toBe(MODEL);
      expect(tap.outcome()).toBe('completed');
    }
  });

  it('takes the last message_delta usage instead of summing them', () => {
    const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: false });
    runTap(tap, [
      sse(messageStart({ input_tokens: 10, output_tokens: 1 }), messageDelta({ output_tokens: 40 }), messageDelta({ output_tokens: 75 }), STOP),
    ]);
    expect(tap.usage()).toMatchObject({ inputTokens: 10, outputTokens: 75 });
  });

  it('lets input and cache fields in message_delta override message_start', () => {
    const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: false });
    runTap(tap, [
      sse(
        messageStart({ input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 }),
        messageDelta({ input_tokens: 12, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 30 }),
        STOP,
      ),
    ]);
    expect(tap.usage()).toEqual({
      inputTokens: 162,
      outputTokens: 30,
      cacheReadTokens: 50,
      cacheWrite5mTokens: 100,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('keeps message_start input when message_delta carries nulls', () => {
    const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: false });
    runTap(tap, [sse(messageStart(START_USAGE), messageDelta({ input_tokens: null, cache_read_input_tokens: null, output_tokens: 9 }))]);
    expect(tap.usage()).toMatchObject({ inputTokens: 13020, outputTokens: 9, cacheWrite1hTokens: 2000 });
    expect(tap.outcome()).toBeUndefined();
  });

  it('accumulates thinking and text, and returns every chunk unchanged', () => {
    const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: true });
    const events = [
      messageStart({ input_tokens: 5, output_tokens: 1 }),
      namedEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      namedEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm. ' } }),
      namedEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } }),
      namedEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
      ...textBlock('Answer'),
      messageDelta({ output_tokens: 20 }),
      STOP,
    ];
    for (const e of events) {
      const b = Buffer.from(e);
      expect(tap.push(b)).toBe(b);
    }
    tap.end();
    expect(tap.outputText()).toBe('hmm. Answer');
  });

  it('reports failed on an error event', () => {
    const tap = anthropicAdapter.createStreamTap('messages', { stripUsageChunk: false });
    runTap(tap, [
      sse(messageStart({ input_tokens: 5, output_tokens: 1 }), namedEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })),
    ]);
    expect(tap.outcome()).toBe('failed');
    expect(tap.usage()).toMatchObject({ inputTokens: 5, outputTokens: 1 });
  });
});

describe('anthropic buildRequest', () => {
  const base: BuildRequestInput = {
    endpoint: 'messages',
    provider: { name: 'a', type: 'anthropic', baseUrl: '' },
    credential: 'sk-ant-real',
    body: { model: MODEL, max_tokens: 10, messages: [] },
    rawBody: Buffer.from('{"model":"x"}'),
    clientHeaders: {},
    search: '',
  };

  it('uses x-api-key, forwards anthropic-version and anthropic-beta untouched and keeps the query', () => {
    const req = anthropicAdapter.buildRequest({
      ...base,
      clientHeaders: {
        'x-api-key': 'wk_virtual',
        authorization: 'Bearer wk_virtual',
        'anthropic-version': '2024-01-01',
        'anthropic-beta': 'prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11',
      },
      search: '?beta=true',
    });
    expect(req).toMatchObject({ method: 'POST', url: 'https://api.anthropic.com/v1/messages?beta=true', injectedUsage: false });
    expect(req.body).toBe(base.rawBody);
    expect(req.headers).toEqual({
      'x-api-key': 'sk-ant-real',
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11',
      'content-type': 'application/json',
      'accept-encoding': 'identity',
    });
  });

  it('defaults anthropic-version to 2023-06-01', () => {
    expect(anthropicAdapter.buildRequest(base).headers['anthropic-version']).toBe('2023-06-01');
  });

  it('maps count_tokens and models', () => {
    expect(anthropicAdapter.buildRequest({ ...base, endpoint: 'messages.count_tokens' }).url).toBe('https://api.anthropic.com/v1/messages/count_tokens');
    const models = anthropicAdapter.buildRequest({ ...base, endpoint: 'models', body: undefined, rawBody: undefined, search: '?limit=20' });
    expect(models).toMatchObject({ method: 'GET', url: 'https://api.anthropic.com/v1/models?limit=20', body: undefined });
    expect(models.headers['content-type']).toBeUndefined();
  });

  it('refuses OpenAI endpoints', () => {
    expect(() => anthropicAdapter.buildRequest({ ...base, endpoint: 'chat.completions' })).toThrow();
  });
});

describe('anthropic parseModels', () => {
  it('reads id, display name and created_at as unix seconds', () => {
    const json = {
      data: [{ type: 'model', id: MODEL, display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' }],
      has_more: false,
      first_id: MODEL,
      last_id: MODEL,
    };
    expect(anthropicAdapter.parseModels(json)).toEqual([{ id: MODEL, displayName: 'Claude Sonnet 4.5', created: 1759104000 }]);
  });
});
