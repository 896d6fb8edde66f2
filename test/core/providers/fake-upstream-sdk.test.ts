// The official SDKs, pointed straight at the fake upstream: they parse its JSON and SSE, so these
// tests prove the fake speaks each provider's real wire format.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.js';

let fake: FakeUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  fake = await startFakeUpstream();
  openai = new OpenAI({ apiKey: fake.keys.openai, baseURL: fake.openaiBaseUrl, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: fake.keys.anthropic, baseURL: fake.anthropicBaseUrl, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const REPLY = 'Four score and seven years ago.';
const MESSAGES = [{ role: 'user' as const, content: 'Say something.' }];

describe('OpenAI SDK against the fake', () => {
  it('chat completions (JSON) with configured usage and reported model', async () => {
    fake.setBehavior({
      replyText: REPLY,
      reportedModel: { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' },
      usageByModel: { 'gpt-4o-mini': { inputTokens: 2000, cachedTokens: 1536, outputTokens: 300, reasoningTokens: 100 } },
    });
    const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-4o-mini-2024-07-18');
    expect(r.choices[0].message.content).toBe(REPLY);
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({
      prompt_tokens: 2000,
      completion_tokens: 300,
      total_tokens: 2300,
      prompt_tokens_details: { cached_tokens: 1536 },
      completion_tokens_details: { reasoning_tokens: 100 },
    });
    expect(fake.requests[0]).toMatchObject({ api: 'openai', endpoint: 'chat.completions', method: 'POST', path: '/v1/chat/completions' });
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${fake.keys.openai}`);
    expect(fake.requests[0].body.messages).toEqual(MESSAGES);
  });

  it('chat completions stream: a usage chunk only when include_usage is set', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 11, outputTokens: 7 } });
    const plain = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true });
    const plainChunks = [];
    for await (const c of plain) plainChunks.push(c);
    expect(plainChunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(REPLY);
    expect(plainChunks.every((c) => c.usage === undefined)).toBe(true);
    expect(plainChunks.at(-1)?.choices[0].finish_reason).toBe('stop');

    const withUsage = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of withUsage) chunks.push(c);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('chat completions stream helper assembles the final completion', async () => {
    fake.setBehavior({ replyText: REPLY });
    const stream = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages: MESSAGES, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.content).toBe(REPLY);
    expect(final.usage?.completion_tokens).toBe(REPLY.split(' ').length);
  });

  it('responses (JSON) with output_text and usage', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 900, cachedTokens: 512, outputTokens: 40, reasoningTokens: 16 } });
    const r = await openai.responses.create({ model: 'gpt-4.1', input: 'Say something.' });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.output_text).toBe(REPLY);
    expect(r.usage).toMatchObject({
      input_tokens: 900,
      input_tokens_details: { cached_tokens: 512 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 16 },
    });
  });

  it('responses stream: the stream helper rebuilds the response from the events', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 5, outputTokens: 6 } });
    const stream = openai.responses.stream({ model: 'gpt-4.1', input: 'Say something.' });
    const types: string[] = [];
    const seqs: number[] = [];
    stream.on('event', (e) => {
      types.push(e.type);
      seqs.push(e.sequence_number);
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(REPLY);
    expect(final.usage?.output_tokens).toBe(6);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('responses stream ends in response.incomplete or response.failed when told to', async () => {
    for (const status of ['incomplete', 'failed'] as const) {
      fake.setBehavior({ responseStatus: status });
      const stream = await openai.responses.create({ model: 'gpt-4.1', input: 'x', stream: true });
      let lastType = '';
      let lastStatus = '';
      for await (const e of stream) {
        lastType = e.type;
        if (e.type === `response.${status}`) lastStatus = (e as { response: { status: string } }).response.status;
      }
      expect(lastType).toBe(`response.${status}`);
      expect(lastStatus).toBe(status);
    }
  });

  it('embeddings, decoding the base64 the SDK asks for by default', async () => {
    fake.setBehavior({ usage: { inputTokens: 6 }, embeddingDimensions: 4 });
    const b64 = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    const floats = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(fake.requests[0].body.encoding_format).toBe('base64');
    expect(b64.data).toHaveLength(2);
    expect(b64.data[0].embedding).toHaveLength(4);
    expect(b64.data.map((d) => Array.from(d.embedding))).toEqual(floats.data.map((d) => d.embedding));
    expect(b64.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
  });

  it('legacy completions, JSON and stream', async () => {
    fake.setBehavior({ replyText: REPLY, usage: { inputTokens: 3, outputTokens: 4 } });
    const r = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say' });
    expect(r.choices[0].text).toBe(REPLY);
    expect(r.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const s = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say', stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const c of s) {
      text += c.choices[0]?.text ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(REPLY);
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it('models list', async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(fake.requests[0].api).toBe('openai');
  });

  it('rejects a wrong key with OpenAI’s 401', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong-key-123456', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    expect(String((err as Error).message)).not.toContain('sk-wrong-key-123456');
  });
});

describe('Anthropic SDK against the fake', () => {
  it('messages (JSON) with cache usage split by TTL', async () => {
    fake.setBehavior({
      replyText: REPLY,
      usage: { inputTokens: 20, outputTokens: 50, cacheReadTokens: 10000, cacheWrite5mTokens: 1000, cacheWrite1hTokens: 2000 },
    });
    const m = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: MESSAGES });
    expect(m.type).toBe('message');
    expect(m.content).toEqual([{ type: 'text', text: REPLY }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage).toMatchObject({
      input_tokens: 20,
      output_tokens: 50,
      cache_read_input_tokens: 10000,
      cache_creation_input_tokens: 3000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
    });
    const rec = fake.requests[0];
    expect(rec).toMatchObject({ api: 'anthropic', endpoint: 'messages', path: '/v1/messages' });
    expect(rec.headers['anthropic-version']).toBeDefined();
  });

  it('messages stream: the SDK accumulates thinking, text and the final cumulative usage', async () => {
    fake.setBehavior({ replyText: REPLY, thinkingText: 'Let me think.', usage: { inputTokens: 12, outputTokens: 77, cacheReadTokens: 4 } });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: MESSAGES });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toMatchObject([
      { type: 'thinking', thinking: 'Let me think.' },
      { type: 'text', text: REPLY },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 77, cache_read_input_tokens: 4 });
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
  });

  it('messages stream with output-only message_delta usage (older API versions)', async () => {
    fake.setBehavior({ usage: { inputTokens: 12, outputTokens: 30 }, anthropicDeltaUsage: 'output_only' });
    const final = await anthropic.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: MESSAGES }).finalMessage();
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 30 });
  });

  it('count_tokens', async () => {
    fake.setBehavior({ usage: { inputTokens: 42 } });
    const r = await anthropic.messages.countTokens({ model: 'claude-sonnet-5-5', messages: MESSAGES });
    expect(r).toEqual({ input_tokens: 42 });
    expect(fake.requests[0].endpoint).toBe('messages.count_tokens');
  });

  it('models list', async () => {
    const models = [];
    for await (const m of anthropic.models.list()) models.push(m);
    expect(models.find((m) => m.id === 'claude-sonnet-5-5')).toMatchObject({ type: 'model', display_name: 'Claude Sonnet 5.5' });
    expect(models.find((m) => m.id === 'claude-haiku-4-5-20251001')?.display_name).toBe('Claude Haiku 4.5');
    expect(fake.requests[0].api).toBe('anthropic');
  });

  it('rejects a wrong key with Anthropic’s 401 and a missing version with its 400', async () => {
    const bad = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: fake.anthropicBaseUrl, maxRetries: 0 });
    const err = await bad.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);

    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': fake.keys.anthropic, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: MESSAGES }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('AzureOpenAI client against the fake', () => {
  const azure = () =>
    new AzureOpenAI({ endpoint: fake.azureEndpoint, apiKey: fake.keys.azure, apiVersion: '2024-10-21', maxRetries: 0 });

  it('chat completions (JSON and stream) through the deployment URL', async () => {
    fake.setBehavior({ replyText: REPLY, reportedModel: { 'my-deployment': 'gpt-4o-2024-08-06' }, usage: { inputTokens: 9, outputTokens: 5 } });
    const client = azure();
    const r = await client.chat.completions.create({ model: 'my-deployment', messages: MESSAGES });
    expect(r.choices[0].message.content).toBe(REPLY);
    expect(r.model).toBe('gpt-4o-2024-08-06');
    expect(fake.requests[0]).toMatchObject({
      api: 'azure',
      path: '/openai/deployments/my-deployment/chat/completions',
      deployment: 'my-deployment',
      query: { 'api-version': '2024-10-21' },
    });
    expect(fake.requests[0].headers['api-key']).toBe(fake.keys.azure);

    const s = await client.chat.completions.create({ model: 'my-deployment', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const c of s) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(REPLY);
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5 });
  });

  it('embeddings and responses', async () => {
    fake.setBehavior({ replyText: REPLY });
    const client = azure();
    const e = await client.embeddings.create({ model: 'emb', input: 'x' });
    expect(e.data[0].embedding).toHaveLength(8);
    const r = await client.responses.create({ model: 'my-deployment', input: 'x' });
    expect(r.output_text).toBe(REPLY);
    expect(fake.requests.map((q) => q.path)).toEqual(['/openai/deployments/emb/embeddings', '/openai/responses']);
  });

  it('rejects a wrong key with Azure’s 401', async () => {
    const bad = new AzureOpenAI({ endpoint: fake.azureEndpoint, apiKey: 'nope', apiVersion: '2024-10-21', maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'd', messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('fake upstream test knobs', () => {
  it('cuts a stream mid-way before usage, which the SDK sees as an error and the fake not as an abort', async () => {
    fake.setBehavior({ replyText: REPLY, cutStreamAfterChunks: 3 });
    const s = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const c of s) seen.push(c);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(seen).toHaveLength(3);
    expect(fake.aborts).toHaveLength(0);
  });

  it('reports a client abort on a hanging request', async () => {
    const aborted: string[] = [];
    fake.setBehavior({ hang: true, onAbort: (r) => aborted.push(r.path) });
    const ctrl = new AbortController();
    const pending = fetch(`${fake.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.keys.openai}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES }),
      signal: ctrl.signal,
    }).catch((e: unknown) => e);
    await fake.waitForRequest();
    ctrl.abort();
    const rec = await fake.waitForAbort();
    expect(rec.aborted).toBe(true);
    expect(aborted).toEqual(['/v1/chat/completions']);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('answers with a configured failure after auth', async () => {
    fake.setBehavior({ failWith: { status: 529 } });
    const err = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('picks behaviour per request when given a function', async () => {
    fake.setBehavior((req) => ({ replyText: req.body?.messages?.[0]?.content === 'a' ? 'reply A' : 'reply B' }));
    const a = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'a' }] });
    const b = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'b' }] });
    expect([a.choices[0].message.content, b.choices[0].message.content]).toEqual(['reply A', 'reply B']);
  });
});
