// The official OpenAI and Anthropic SDKs, pointed at the real daemon, against a fake upstream that
// speaks each provider's wire format. Each test asserts what the client received and what Warden
// recorded: the request row (usage, cost, tags) and its audit event.
import fs from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { auditEventsFor, cli, cliJson, makeHome, openDb, settledRow, startWarden, stopWarden, type Warden } from './harness.js';

let fake: FakeUpstream;
let warden: Warden;
let key: string;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const home = makeHome();
  warden = await startWarden(home);
  const setOpenai = await cli(home, ['providers', 'set', 'openai', '--type', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key-stdin'], {
    input: `${fake.keys.openai}\n`,
  });
  expect(setOpenai.code, setOpenai.stderr).toBe(0);
  const setAnthropic = await cli(home, ['providers', 'set', 'anthropic', '--type', 'anthropic', '--base-url', fake.anthropicBaseUrl, '--api-key-stdin'], {
    input: fake.keys.anthropic,
  });
  expect(setAnthropic.code, setAnthropic.stderr).toBe(0);
  key = (await cliJson<{ key: string }>(home, ['keys', 'create', '--project', 'sdk-tests'])).key;
  openai = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: warden.url, apiKey: key, maxRetries: 0 });
});

afterAll(async () => {
  await stopWarden(warden);
  await fake?.close();
  if (warden) fs.rmSync(warden.home, { recursive: true, force: true });
});

const OPENAI_USAGE = { inputTokens: 1000, outputTokens: 500, cachedTokens: 200, reasoningTokens: 50 };
// gpt-4o: $2.50/M input, $1.25/M cached input, $10/M output (reasoning is billed as output).
const GPT4O_COST = (800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6;

describe('OpenAI SDK through Warden', () => {
  it('chat completion: client gets the reply; row has exact usage and cost; provider key never reaches the client', async () => {
    fake.setBehavior({ usage: OPENAI_USAGE, replyText: 'Hi there' });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hi there');
    const id = response.headers.get('x-warden-request-id');
    expect(id).toMatch(/^req_/);
    expect(Number(response.headers.get('x-warden-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const upstreamReq = fake.requests.at(-1)!;
    expect(upstreamReq.headers.authorization).toBe(`Bearer ${fake.keys.openai}`);
    const row = await settledRow(warden.home, id!);
    expect(row).toMatchObject({
      status: 'ok',
      http_status: 200,
      endpoint: 'chat.completions',
      provider: 'openai',
      model: 'gpt-4o',
      project: 'sdk-tests',
      tool: 'openai-node',
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_tokens: 200,
      reasoning_tokens: 50,
      usage_source: 'reported',
      price_unknown: 0,
    });
    expect(row.cost_usd).toBeCloseTo(GPT4O_COST, 10);
    const audit = auditEventsFor(warden.home, id!);
    expect(audit.map((e) => e.type)).toEqual(['request']);
    expect(JSON.parse(audit[0].data)).toMatchObject({ status: 'ok', model: 'gpt-4o', input_tokens: 1000 });
  });

  it('chat stream without include_usage: usage is injected upstream and stripped from what the client sees', async () => {
    fake.setBehavior({ usage: OPENAI_USAGE, replyText: 'one two three' });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'count' }] })
      .withResponse();
    let text = '';
    let sawUsage = false;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) sawUsage = true;
      if (chunk.choices.length === 0) sawUsage = true;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe('one two three');
    expect(chunks).toBeGreaterThan(2);
    expect(sawUsage).toBe(false);
    expect(fake.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', stream: 1, input_tokens: 1000, output_tokens: 500, usage_source: 'reported' });
    expect(row.cost_usd).toBeCloseTo(GPT4O_COST, 10);
  });

  it('chat stream with include_usage: the client keeps its usage chunk', async () => {
    fake.setBehavior({ usage: OPENAI_USAGE });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.prompt_tokens).toBe(1000);
    expect(usage?.completion_tokens).toBe(500);
  });

  it('responses API, streamed and not, with usage from response.completed', async () => {
    fake.setBehavior({ usage: OPENAI_USAGE, replyText: 'resp text' });
    const { data, response } = await openai.responses.create({ model: 'gpt-4o', input: 'hi' }).withResponse();
    expect(data.output_text).toBe('resp text');
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ endpoint: 'responses', input_tokens: 1000, cache_read_tokens: 200, reasoning_tokens: 50, output_tokens: 500 });

    const { data: stream, response: r2 } = await openai.responses.create({ model: 'gpt-4o', input: 'hi', stream: true }).withResponse();
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.delta');
    const row2 = await settledRow(warden.home, r2.headers.get('x-warden-request-id')!);
    expect(row2).toMatchObject({ status: 'ok', stream: 1, input_tokens: 1000, output_tokens: 500, usage_source: 'reported' });
    expect(row2.cost_usd).toBeCloseTo(GPT4O_COST, 10);
  });

  it('legacy completions and embeddings are priced from their usage', async () => {
    fake.setBehavior({ usage: { inputTokens: 40, outputTokens: 10 } });
    const { response } = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' }).withResponse();
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ endpoint: 'completions', input_tokens: 40, output_tokens: 10, price_unknown: 0 });
    expect(row.cost_usd).toBeGreaterThan(0);

    fake.setBehavior({ usage: { inputTokens: 1_000_000 } });
    const { data, response: r2 } = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }).withResponse();
    expect(data.data).toHaveLength(2);
    const row2 = await settledRow(warden.home, r2.headers.get('x-warden-request-id')!);
    expect(row2).toMatchObject({ endpoint: 'embeddings', input_tokens: 1_000_000, output_tokens: 0 });
    // text-embedding-3-small: $0.02 per million tokens.
    expect(row2.cost_usd).toBeCloseTo(0.02, 10);
  });

  it('models: the union of what the configured providers offer', async () => {
    fake.reset();
    const ids: string[] = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'text-embedding-3-small', 'claude-sonnet-4-5-20250929']));
  });

  it('a model with no known price is recorded with cost null and price_unknown, never $0', async () => {
    fake.setBehavior({ usage: { inputTokens: 5, outputTokens: 5 } });
    const { response } = await openai.chat.completions
      .create({ model: 'gpt-warden-imaginary-9', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', input_tokens: 5, cost_usd: null, price_unknown: 1 });
  });
});

describe('Azure OpenAI and OpenAI-compatible upstreams', () => {
  it('routes a model to an Azure deployment with api-key auth and api-version', async () => {
    const set = await cli(warden.home, [
      'providers', 'set', 'azure', '--type', 'azure-openai', '--base-url', fake.azureEndpoint, '--api-version', '2024-10-21', '--api-key-stdin',
    ], { input: fake.keys.azure });
    expect(set.code, set.stderr).toBe(0);
    fs.writeFileSync(`${warden.home}/config.yaml`, 'routes:\n  - { match: "prod-*", provider: azure }\n');
    const restart = await cli(warden.home, ['daemon', 'restart', '--port', String(warden.port)]);
    expect(restart.code, restart.stderr).toBe(0);
    fake.setBehavior({ usage: { inputTokens: 30, outputTokens: 7 } });
    const { data, response } = await openai.chat.completions
      .create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0].message.content).toBeTruthy();
    const up = fake.requests.at(-1)!;
    expect(up.path).toBe('/openai/deployments/prod-gpt4o/chat/completions');
    expect(up.query['api-version']).toBe('2024-10-21');
    expect(up.headers['api-key']).toBe(fake.keys.azure);
    expect(up.headers.authorization).toBeUndefined();
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ provider: 'azure', model: 'prod-gpt4o', input_tokens: 30, output_tokens: 7 });
    // A deployment name is not a model name the catalogue knows: unknown, not $0.
    expect(row).toMatchObject({ cost_usd: null, price_unknown: 1 });
  });

  it('prices a custom model from pricing.overrides in config', async () => {
    fs.writeFileSync(
      `${warden.home}/config.yaml`,
      'routes:\n  - { match: "house-*", provider: openai }\npricing:\n  overrides:\n    "house-*": { input_mtok: 1, output_mtok: 2 }\n',
    );
    const restart = await cli(warden.home, ['daemon', 'restart', '--port', String(warden.port)]);
    expect(restart.code, restart.stderr).toBe(0);
    fake.setBehavior({ usage: { inputTokens: 1_000_000, outputTokens: 500_000 } });
    const { response } = await openai.chat.completions
      .create({ model: 'house-llm', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row.cost_usd).toBeCloseTo(2, 10);
    expect(row.price_unknown).toBe(0);
    // Editing config.yaml between runs is an audit event naming the file.
    const db = openDb(warden.home);
    const changed = db.prepare("SELECT data FROM audit_events WHERE type = 'config.changed' ORDER BY seq").all() as { data: string }[];
    db.close();
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(changed.at(-1)!.data).changes[0].file).toBe(`${warden.home}/config.yaml`);
  });
});

// claude-sonnet-4-5: $3/M input, $3.75/M 5m cache write, $6/M 1h cache write, $0.30/M cache read, $15/M output.
const ANTHROPIC_USAGE = { inputTokens: 100, outputTokens: 50, cacheReadTokens: 1000, cacheWrite5mTokens: 200, cacheWrite1hTokens: 300 };
const SONNET_COST = (100 * 3 + 200 * 3.75 + 300 * 6 + 1000 * 0.3 + 50 * 15) / 1e6;

describe('Anthropic SDK through Warden', () => {
  it('messages: x-api-key auth, anthropic-version and -beta forwarded, cache-aware cost', async () => {
    fake.setBehavior({ usage: ANTHROPIC_USAGE, replyText: 'Bonjour' });
    const { data, response } = await anthropic.messages
      .create(
        { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' } },
      )
      .withResponse();
    expect(data.content[0].type === 'text' && data.content[0].text).toBe('Bonjour');
    const up = fake.requests.at(-1)!;
    expect(up.headers['x-api-key']).toBe(fake.keys.anthropic);
    expect(up.headers['anthropic-version']).toBe('2023-06-01');
    expect(up.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({
      status: 'ok',
      endpoint: 'messages',
      provider: 'anthropic',
      tool: 'anthropic-sdk',
      input_tokens: 1600,
      output_tokens: 50,
      cache_read_tokens: 1000,
      cache_write_5m_tokens: 200,
      cache_write_1h_tokens: 300,
    });
    expect(row.cost_usd).toBeCloseTo(SONNET_COST, 10);
  });

  it('streamed messages: output from the last cumulative message_delta, not a sum', async () => {
    fake.setBehavior({ usage: ANTHROPIC_USAGE, replyText: 'a b c d e f', anthropicDeltaUsage: 'output_only' });
    const { data: stream, response } = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    let text = '';
    for await (const ev of stream) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    expect(text).toBe('a b c d e f');
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', stream: 1, input_tokens: 1600, output_tokens: 50, usage_source: 'reported' });
    expect(row.cost_usd).toBeCloseTo(SONNET_COST, 10);
  });

  it('count_tokens answers with the upstream count and costs nothing', async () => {
    fake.reset();
    const { data, response } = await anthropic.messages
      .countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', endpoint: 'messages.count_tokens', cost_usd: 0, price_unknown: 0 });
  });

  it('models in Anthropic\'s shape for Anthropic clients', async () => {
    const page = await anthropic.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain('claude-sonnet-4-5-20250929');
    expect(page.data[0].type).toBe('model');
  });

  it('reports an upstream error in the provider\'s own shape and records it', async () => {
    fake.setBehavior({ failWith: { status: 529 } });
    const err = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    const id = (err as InstanceType<typeof Anthropic.APIError>).headers?.get('x-warden-request-id');
    const row = await settledRow(warden.home, id!);
    expect(row).toMatchObject({ status: 'upstream_error', http_status: 529, error_code: 'upstream_529' });
  });
});
