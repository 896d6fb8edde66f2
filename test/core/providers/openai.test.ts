import { describe, expect, it } from 'vitest';
import { azureOpenAIAdapter } from '../../../src/core/providers/azure-openai/adapter.js';
import { ProviderRequestError } from '../../../src/core/providers/errors.js';
import { openaiAdapter } from '../../../src/core/providers/openai/adapter.js';
import { openaiCompatibleAdapter } from '../../../src/core/providers/openai-compatible/adapter.js';
import type { BuildRequestInput, Endpoint, NormalizedUsage } from '../../../src/core/providers/types.js';
import { dataEvent, namedEvent, runTap, splitAt, sse } from './tap-helpers.js';

const CHUNK_BASE = {
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion.chunk',
  created: 1741570283,
  model: 'gpt-4o-mini-2024-07-18',
  service_tier: 'default',
  system_fingerprint: 'fp_06737a9306',
};

const CHAT_USAGE = {
  prompt_tokens: 1200,
  completion_tokens: 300,
  total_tokens: 1500,
  prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 128, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

const CHAT_EXPECTED: NormalizedUsage = {
  inputTokens: 1200,
  outputTokens: 300,
  cacheReadTokens: 1024,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  reasoningTokens: 128,
};

/** A chat stream as OpenAI sends it with include_usage on (`"usage":null` on every chunk). */
function chatStream(): { body: string[]; usageEvent: string; done: string } {
  const chunk = (choices: unknown[]) => dataEvent({ ...CHUNK_BASE, choices, usage: null });
  return {
    body: [
      chunk([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: ', "usage": {world}' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    ],
    usageEvent: dataEvent({ ...CHUNK_BASE, choices: [], usage: CHAT_USAGE }),
    done: 'data: [DONE]\n\n',
  };
}

function input(over: Partial<BuildRequestInput> & { endpoint: Endpoint }): BuildRequestInput {
  return {
    provider: { name: 'p', type: 'openai', baseUrl: 'https://api.openai.com/v1' },
    credential: 'sk-real',
    body: undefined,
    rawBody: undefined,
    clientHeaders: {},
    search: '',
    ...over,
  };
}

function jsonInput(endpoint: Endpoint, body: Record<string, unknown>, over: Partial<BuildRequestInput> = {}): BuildRequestInput {
  return input({ endpoint, body, rawBody: Buffer.from(JSON.stringify(body)), ...over });
}

describe('openai usage from JSON bodies', () => {
  it('reads chat completions usage with cached and reasoning tokens (prompt_tokens already includes cached)', () => {
    const json = { id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [], usage: CHAT_USAGE };
    expect(openaiAdapter.usageFromJson('chat.completions', json)).toEqual(CHAT_EXPECTED);
  });

  it('reads Responses API usage', () => {
    const json = {
      object: 'response',
      usage: {
        input_tokens: 5000,
        input_tokens_details: { cached_tokens: 4096 },
        output_tokens: 700,
        output_tokens_details: { reasoning_tokens: 512 },
        total_tokens: 5700,
      },
    };
    expect(openaiAdapter.usageFromJson('responses', json)).toEqual({
      inputTokens: 5000,
      outputTokens: 700,
      cacheReadTokens: 4096,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 512,
    });
  });

  it('reads embeddings usage as input only', () => {
    const json = { object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } };
    expect(openaiAdapter.usageFromJson('embeddings', json)).toEqual({
      inputTokens: 8,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('reads legacy completions usage without details', () => {
    const json = { object: 'text_completion', usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } };
    expect(openaiAdapter.usageFromJson('completions', json)).toMatchObject({ inputTokens: 5, outputTokens: 7, cacheReadTokens: 0 });
  });

  it('returns null when a body carries no usage', () => {
    expect(openaiAdapter.usageFromJson('chat.completions', { id: 'x', choices: [] })).toBeNull();
    expect(openaiAdapter.usageFromJson('chat.completions', { usage: null })).toBeNull();
    expect(openaiAdapter.usageFromJson('models', { object: 'list', data: [] })).toBeNull();
    expect(openaiAdapter.usageFromJson('chat.completions', 'not an object')).toBeNull();
  });
});

describe('openai chat stream tap', () => {
  it('returns every chunk unchanged (same buffer) when not stripping, and parses usage on the side', () => {
    const s = chatStream();
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    for (const e of [...s.body, s.usageEvent, s.done]) {
      const chunk = Buffer.from(e);
      expect(tap.push(chunk)).toBe(chunk);
    }
    expect(tap.end().length).toBe(0);
    expect(tap.usage()).toEqual(CHAT_EXPECTED);
    expect(tap.model()).toBe('gpt-4o-mini-2024-07-18');
    expect(tap.outcome()).toBe('completed');
    expect(tap.outputText()).toBe('Hello, "usage": {world}');
  });

  it('strips the usage-only chunk wherever the stream is split, keeping every other byte and [DONE]', () => {
    const s = chatStream();
    const full = sse(...s.body, s.usageEvent, s.done);
    const expected = sse(...s.body, s.done);
    for (let i = 0; i <= full.length; i++) {
      const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
      const out = runTap(tap, splitAt(full, i));
      expect(out.toString(), `split at ${i}`).toBe(expected.toString());
      expect(tap.usage(), `split at ${i}`).toEqual(CHAT_EXPECTED);
    }
  });

  it('strips the usage chunk when fed one byte at a time', () => {
    const s = chatStream();
    const full = sse(...s.body, s.usageEvent, s.done);
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    const bytes = [...full].map((b) => Buffer.from([b]));
    expect(runTap(tap, bytes).toString()).toBe(sse(...s.body, s.done).toString());
    expect(tap.outcome()).toBe('completed');
  });

  it('forwards each complete event immediately while stripping and holds only a partial one', () => {
    const s = chatStream();
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    const first = Buffer.from(s.body[0]);
    expect(tap.push(first)).toBe(first);
    const twoAndHalf = Buffer.from(s.body[1] + s.body[2] + s.body[3].slice(0, 30));
    expect(tap.push(twoAndHalf).toString()).toBe(s.body[1] + s.body[2]);
    expect(tap.push(Buffer.from(s.body[3].slice(30))).toString()).toBe(s.body[3].slice(0, 30) + s.body[3].slice(30));
    expect(tap.push(Buffer.from(s.usageEvent)).length).toBe(0);
    expect(tap.push(Buffer.from(s.done)).toString()).toBe(s.done);
    expect(tap.end().length).toBe(0);
  });

  it('keeps the usage chunk for a client that asked for it', () => {
    const s = chatStream();
    const full = sse(...s.body, s.usageEvent, s.done);
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    expect(runTap(tap, [full]).toString()).toBe(full.toString());
    expect(tap.usage()).toEqual(CHAT_EXPECTED);
  });

  it("does not strip Azure's leading prompt_filter_results chunk, which also has empty choices", () => {
    const azureFirst = dataEvent({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
    const s = chatStream();
    const full = sse(azureFirst, ...s.body, s.usageEvent, s.done);
    const tap = azureOpenAIAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    expect(runTap(tap, [full]).toString()).toBe(sse(azureFirst, ...s.body, s.done).toString());
    expect(tap.model()).toBe('gpt-4o-mini-2024-07-18');
  });

  it('reports completed on finish_reason even when the stream ends before [DONE]', () => {
    const s = chatStream();
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    runTap(tap, [sse(...s.body)]);
    expect(tap.outcome()).toBe('completed');
    expect(tap.usage()).toBeNull();
  });

  it('reports no outcome and no usage for a stream cut mid-way, but keeps the text seen', () => {
    const s = chatStream();
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    const cut = sse(s.body[0], s.body[1], s.body[2].slice(0, 20));
    const out = runTap(tap, [cut]);
    expect(out.toString()).toBe(cut.toString());
    expect(tap.outcome()).toBeUndefined();
    expect(tap.usage()).toBeNull();
    expect(tap.outputText()).toBe('Hello');
  });

  it('reports failed when the stream carries an error object', () => {
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    runTap(tap, [sse(chatStream().body[0], dataEvent({ error: { message: 'boom', type: 'server_error', param: null, code: null } }))]);
    expect(tap.outcome()).toBe('failed');
  });

  it('accumulates tool-call arguments as output text', () => {
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    runTap(tap, [
      sse(
        dataEvent({ ...CHUNK_BASE, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] }),
        dataEvent({ ...CHUNK_BASE, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] } }] }),
        dataEvent({ ...CHUNK_BASE, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }] }),
      ),
    ]);
    expect(tap.outputText()).toBe('{"q":1}');
  });

  it('caps accumulated output text at about 1 MB', () => {
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: false });
    const piece = 'x'.repeat(10_000);
    const ev = Buffer.from(dataEvent({ ...CHUNK_BASE, choices: [{ index: 0, delta: { content: piece } }] }));
    for (let i = 0; i < 150; i++) tap.push(ev);
    tap.end();
    expect(tap.outputText().length).toBe(1024 * 1024);
  });

  it('survives malformed JSON without breaking the stream', () => {
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    const bad = sse('data: {"usage": {not json\n\n', chatStream().done);
    expect(runTap(tap, [bad]).toString()).toBe(bad.toString());
    expect(tap.usage()).toBeNull();
  });
});

describe('openai legacy completions stream tap', () => {
  it('strips the injected usage chunk and reads its usage', () => {
    const base = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct' };
    const body = [
      dataEvent({ ...base, choices: [{ text: 'Hi', index: 0, logprobs: null, finish_reason: null }], usage: null }),
      dataEvent({ ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }], usage: null }),
    ];
    const usage = dataEvent({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
    const tap = openaiAdapter.createStreamTap('completions', { stripUsageChunk: true });
    expect(runTap(tap, [sse(...body, usage, 'data: [DONE]\n\n')]).toString()).toBe(sse(...body, 'data: [DONE]\n\n').toString());
    expect(tap.usage()).toMatchObject({ inputTokens: 3, outputTokens: 1 });
    expect(tap.outputText()).toBe('Hi');
  });
});

describe('openai Responses stream tap', () => {
  const response = (status: string, usage: unknown) => ({
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    status,
    model: 'gpt-4.1-2025-04-14',
    output: [],
    usage,
  });
  const USAGE = {
    input_tokens: 900,
    input_tokens_details: { cached_tokens: 512 },
    output_tokens: 40,
    output_tokens_details: { reasoning_tokens: 16 },
    total_tokens: 940,
  };
  const stream = (terminal: string) =>
    sse(
      namedEvent('response.created', { type: 'response.created', sequence_number: 0, response: response('in_progress', null) }),
      namedEvent('response.in_progress', { type: 'response.in_progress', sequence_number: 1, response: response('in_progress', null) }),
      namedEvent('response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel', logprobs: [] }),
      namedEvent('response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'lo', logprobs: [] }),
      namedEvent(`response.${terminal}`, { type: `response.${terminal}`, sequence_number: 4, response: response(terminal, USAGE) }),
    );

  for (const [terminal, outcome] of [
    ['completed', 'completed'],
    ['incomplete', 'incomplete'],
    ['failed', 'failed'],
  ] as const) {
    it(`reads usage and outcome ${outcome} from response.${terminal}`, () => {
      const tap = openaiAdapter.createStreamTap('responses', { stripUsageChunk: false });
      const full = stream(terminal);
      for (let i = 0; i <= full.length; i += 7) {
        const t = openaiAdapter.createStreamTap('responses', { stripUsageChunk: false });
        runTap(t, splitAt(full, i));
        expect(t.usage()?.inputTokens, `split at ${i}`).toBe(900);
      }
      expect(runTap(tap, [full]).toString()).toBe(full.toString());
      expect(tap.outcome()).toBe(outcome);
      expect(tap.usage()).toEqual({
        inputTokens: 900,
        outputTokens: 40,
        cacheReadTokens: 512,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        reasoningTokens: 16,
      });
      expect(tap.model()).toBe('gpt-4.1-2025-04-14');
      expect(tap.outputText()).toBe('Hello');
    });
  }

  it('understands servers that omit the event: lines', () => {
    const tap = openaiAdapter.createStreamTap('responses', { stripUsageChunk: false });
    runTap(tap, [sse(dataEvent({ type: 'response.completed', sequence_number: 0, response: response('completed', USAGE) }))]);
    expect(tap.outcome()).toBe('completed');
    expect(tap.usage()?.outputTokens).toBe(40);
  });

  it('reports failed on an error event', () => {
    const tap = openaiAdapter.createStreamTap('responses', { stripUsageChunk: false });
    runTap(tap, [sse(namedEvent('error', { type: 'error', code: 'server_error', message: 'x', param: null, sequence_number: 1 }))]);
    expect(tap.outcome()).toBe('failed');
    expect(tap.usage()).toBeNull();
  });
});

describe('openai buildRequest', () => {
  it('injects stream_options.include_usage into a streamed chat request, keeping other stream_options', () => {
    const req = openaiAdapter.buildRequest(
      jsonInput('chat.completions', { model: 'gpt-4o', stream: true, stream_options: { include_obfuscation: false }, messages: [] }),
    );
    expect(req.injectedUsage).toBe(true);
    expect(JSON.parse(req.body!.toString())).toEqual({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
      messages: [],
    });
  });

  it('overrides an explicit include_usage: false (and so strips the chunk later)', () => {
    const req = openaiAdapter.buildRequest(jsonInput('completions', { model: 'm', prompt: 'p', stream: true, stream_options: { include_usage: false } }));
    expect(req.injectedUsage).toBe(true);
    expect(JSON.parse(req.body!.toString()).stream_options).toEqual({ include_usage: true });
  });

  it("forwards the client's exact bytes when nothing needs injecting", () => {
    for (const body of [
      { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] },
      { model: 'gpt-4o', messages: [] },
    ]) {
      const inp = jsonInput('chat.completions', body);
      const req = openaiAdapter.buildRequest(inp);
      expect(req.injectedUsage).toBe(false);
      expect(req.body).toBe(inp.rawBody);
    }
    const resp = jsonInput('responses', { model: 'gpt-4o', stream: true, input: 'hi' });
    expect(openaiAdapter.buildRequest(resp)).toMatchObject({ injectedUsage: false, body: resp.rawBody });
  });

  it('serialises the body when the caller passes no raw bytes (a mutated body)', () => {
    const req = openaiAdapter.buildRequest(input({ endpoint: 'embeddings', body: { model: 'e', input: 'x' } }));
    expect(JSON.parse(req.body!.toString())).toEqual({ model: 'e', input: 'x' });
  });

  it('builds URL, method and headers, replacing client credentials with the provider key', () => {
    const req = openaiAdapter.buildRequest(
      jsonInput('chat.completions', { model: 'gpt-4o', messages: [] }, {
        provider: { name: 'p', type: 'openai', baseUrl: 'https://api.openai.com/v1/' },
        clientHeaders: {
          authorization: 'Bearer wk_virtual',
          'x-api-key': 'wk_virtual',
          'api-key': 'wk_virtual',
          'openai-beta': 'assistants=v2',
          'user-agent': 'OpenAI/JS 6.0',
          accept: 'application/json',
          'openai-organization': 'org-client',
          cookie: 'a=b',
        },
        search: '?foo=1',
      }),
    );
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://api.openai.com/v1/chat/completions?foo=1');
    expect(req.headers).toEqual({
      authorization: 'Bearer sk-real',
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      'openai-beta': 'assistants=v2',
      'user-agent': 'OpenAI/JS 6.0',
      accept: 'application/json',
    });
  });

  it('uses the default base URL and GET for models', () => {
    const req = openaiAdapter.buildRequest(input({ endpoint: 'models', provider: { name: 'p', type: 'openai', baseUrl: '' } }));
    expect(req).toMatchObject({ method: 'GET', url: 'https://api.openai.com/v1/models', body: undefined });
  });

  it('refuses Anthropic endpoints', () => {
    expect(() => openaiAdapter.buildRequest(jsonInput('messages', { model: 'x' }))).toThrow(ProviderRequestError);
  });
});

describe('openai-compatible buildRequest', () => {
  const provider = { name: 'ollama', type: 'openai-compatible' as const, baseUrl: 'http://127.0.0.1:11434/v1' };

  it('sends no Authorization header for a keyless upstream', () => {
    const req = openaiCompatibleAdapter.buildRequest(jsonInput('chat.completions', { model: 'llama3', messages: [] }, { provider, credential: undefined }));
    expect(req.url).toBe('http://127.0.0.1:11434/v1/chat/completions');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('requires a base URL', () => {
    expect(openaiCompatibleAdapter.defaultBaseUrl).toBeUndefined();
    expect(() =>
      openaiCompatibleAdapter.buildRequest(jsonInput('chat.completions', { model: 'm' }, { provider: { ...provider, baseUrl: '' } })),
    ).toThrow(ProviderRequestError);
  });
});

describe('azure-openai buildRequest', () => {
  const provider = { name: 'az', type: 'azure-openai' as const, baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21' };

  it('routes chat, completions and embeddings to the deployment named by the model, with api-version and api-key', () => {
    const cases: [Endpoint, string][] = [
      ['chat.completions', 'chat/completions'],
      ['completions', 'completions'],
      ['embeddings', 'embeddings'],
    ];
    for (const [endpoint, path] of cases) {
      const req = azureOpenAIAdapter.buildRequest(
        jsonInput(endpoint, { model: 'my gpt/4o' }, { provider, clientHeaders: { authorization: 'Bearer wk_x' }, search: '?api-version=1999-01-01' }),
      );
      expect(req.url).toBe(`https://res.openai.azure.com/openai/deployments/my%20gpt%2F4o/${path}?api-version=2024-10-21`);
      expect(req.headers['api-key']).toBe('sk-real');
      expect(req.headers.authorization).toBeUndefined();
    }
  });

  it('accepts a base URL that already ends in /openai and defaults the api-version', () => {
    const req = azureOpenAIAdapter.buildRequest(
      jsonInput('chat.completions', { model: 'dep' }, { provider: { name: 'az', type: 'azure-openai', baseUrl: 'https://res.openai.azure.com/openai/' } }),
    );
    expect(req.url).toBe('https://res.openai.azure.com/openai/deployments/dep/chat/completions?api-version=2024-10-21');
  });

  it('sends the Responses API to the v1 surface, with api-version only for preview/latest', () => {
    const dated = azureOpenAIAdapter.buildRequest(jsonInput('responses', { model: 'dep', input: 'x' }, { provider }));
    expect(dated.url).toBe('https://res.openai.azure.com/openai/v1/responses');
    const preview = azureOpenAIAdapter.buildRequest(jsonInput('responses', { model: 'dep', input: 'x' }, { provider: { ...provider, apiVersion: 'preview' } }));
    expect(preview.url).toBe('https://res.openai.azure.com/openai/v1/responses?api-version=preview');
  });

  it('injects include_usage like OpenAI', () => {
    const req = azureOpenAIAdapter.buildRequest(jsonInput('chat.completions', { model: 'dep', stream: true, messages: [] }, { provider }));
    expect(req.injectedUsage).toBe(true);
    expect(JSON.parse(req.body!.toString()).stream_options).toEqual({ include_usage: true });
  });

  it('needs a model to name the deployment', () => {
    expect(() => azureOpenAIAdapter.buildRequest(jsonInput('chat.completions', { messages: [] }, { provider }))).toThrow(/deployment/);
  });
});

describe('openai parseModels', () => {
  it('reads the OpenAI model list', () => {
    const json = { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' }, { bogus: true }] };
    expect(openaiAdapter.parseModels(json)).toEqual([{ id: 'gpt-4o', created: 1715367049, ownedBy: 'system' }]);
  });

  it("reads Azure's created_at", () => {
    const json = { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created_at: 1721260800, status: 'succeeded' }] };
    expect(azureOpenAIAdapter.parseModels(json)).toEqual([{ id: 'gpt-4o', created: 1721260800 }]);
    expect(azureOpenAIAdapter.parseModels({ error: {} })).toEqual([]);
  });
});
