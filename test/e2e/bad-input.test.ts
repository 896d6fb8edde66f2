// Every kind of bad input gets a clear error in the provider's own shape, is recorded where it has
// a principal, and leaves the daemon serving.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { cli, cliJson, makeHome, settledRow, startWarden, stopWarden, type Warden } from './harness.js';

let fake: FakeUpstream;
let warden: Warden;
let key: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const home = makeHome();
  fs.writeFileSync(
    path.join(home, 'config.yaml'),
    [
      'server:',
      '  max_body: 64KB',
      '  upstream_timeout: 1s',
      '  stream_idle_timeout: 1s',
      'providers:',
      '  deadend: { type: openai-compatible, base_url: "http://127.0.0.1:9/v1" }',
      'routes:',
      '  - { match: "dead-*", provider: deadend }',
      '',
    ].join('\n'),
  );
  warden = await startWarden(home);
  expect((await cli(home, ['providers', 'set', 'openai', '--type', 'openai', '--base-url', fake.openaiBaseUrl, '--api-key-stdin'], { input: fake.keys.openai })).code).toBe(0);
  expect((await cli(home, ['providers', 'set', 'anthropic', '--type', 'anthropic', '--base-url', fake.anthropicBaseUrl, '--api-key-stdin'], { input: fake.keys.anthropic })).code).toBe(0);
  key = (await cliJson<{ key: string }>(home, ['keys', 'create', '--project', 'bad'])).key;
});

afterAll(async () => {
  await stopWarden(warden);
  await fake?.close();
  if (warden) fs.rmSync(warden.home, { recursive: true, force: true });
});

async function post(p: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${warden.url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });
  return { status: res.status, id: res.headers.get('x-warden-request-id'), json: (await res.json()) as Record<string, any> };
}

const chat = (model = 'gpt-4o') => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('bad input', () => {
  it('malformed JSON → 400 in OpenAI shape on OpenAI paths, Anthropic shape on /v1/messages; recorded as rejected', async () => {
    const o = await post('/v1/chat/completions', '{"model": ');
    expect(o.status).toBe(400);
    expect(o.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(o.json.error.message).toMatch(/JSON/);
    const row = await settledRow(warden.home, o.id!);
    expect(row).toMatchObject({ status: 'rejected', http_status: 400, error_code: 'invalid_json', project: 'bad' });

    const a = await post('/v1/messages', 'not json', { 'x-api-key': key, authorization: '' });
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('a body without a model → 400 naming it', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ messages: [] }));
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/model/);
  });

  it('a body over the limit → 413, and the daemon keeps serving', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] });
    const r = await fetch(`${warden.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: big,
    }).catch((e: Error) => e);
    if (r instanceof Error) throw r;
    expect(r.status).toBe(413);
    const j = (await r.json()) as { error: { message: string } };
    expect(j.error.message).toMatch(/65536 bytes/);
    fake.reset();
    expect((await post('/v1/chat/completions', chat())).status).toBe(200);
  });

  it('an unknown path → 404', async () => {
    const r = await post('/v1/fine-tuning/jobs', '{}');
    expect(r.status).toBe(404);
    expect(r.json.error.message).toMatch(/does not proxy/);
    const r2 = await fetch(`${warden.url}/nothing-here`);
    expect(r2.status).toBe(404);
  });

  it('missing, unknown, expired and revoked virtual keys → 401 in the provider\'s shape', async () => {
    const missing = await fetch(`${warden.url}/v1/chat/completions`, { method: 'POST', body: chat() });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-warden-request-id')).toMatch(/^req_/);
    expect(((await missing.json()) as any).error.message).toMatch(/no virtual key/);

    const unknown = await post('/v1/chat/completions', chat(), { authorization: 'Bearer wk_doesnotexist' });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });

    const anthropicUnknown = await post('/v1/messages', '{}', { authorization: '', 'x-api-key': 'wk_nope' });
    expect(anthropicUnknown.status).toBe(401);
    expect(anthropicUnknown.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const shortLived = await cliJson<{ key: string }>(warden.home, ['keys', 'create', '--project', 'bad', '--expires', '1s']);
    expect((await post('/v1/chat/completions', chat(), { authorization: `Bearer ${shortLived.key}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await post('/v1/chat/completions', chat(), { authorization: `Bearer ${shortLived.key}` });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toMatch(/expired/);

    const doomed = await cliJson<{ key: string; id: string }>(warden.home, ['keys', 'create', '--project', 'bad']);
    expect((await post('/v1/chat/completions', chat(), { authorization: `Bearer ${doomed.key}` })).status).toBe(200);
    expect((await cli(warden.home, ['keys', 'revoke', doomed.id])).code).toBe(0);
    const revoked = await post('/v1/chat/completions', chat(), { authorization: `Bearer ${doomed.key}` });
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.message).toMatch(/revoked/);
  });

  it('an unreachable upstream → 502 naming it', async () => {
    const r = await post('/v1/chat/completions', chat('dead-model'));
    expect(r.status).toBe(502);
    expect(r.json.error.message).toMatch(/deadend \(http:\/\/127\.0\.0\.1:9\/v1\) is unreachable/);
    const row = await settledRow(warden.home, r.id!);
    expect(row).toMatchObject({ status: 'error', http_status: 502, error_code: 'upstream_unreachable' });
  });

  it('an upstream that never answers → 504 after upstream_timeout', async () => {
    fake.setBehavior({ hang: true });
    const r = await post('/v1/chat/completions', chat());
    expect(r.status).toBe(504);
    expect(r.json.error.message).toMatch(/openai .* did not answer in time/);
    const row = await settledRow(warden.home, r.id!);
    expect(row).toMatchObject({ status: 'error', error_code: 'upstream_timeout' });
    fake.reset();
  });

  it('a model no provider serves → 404 with a hint', async () => {
    const r = await post('/v1/chat/completions', chat('mistral-large'));
    expect(r.status).toBe(404);
    expect(r.json.error.message).toMatch(/no provider is configured for model "mistral-large"/);
  });

  it('a client that disconnects mid-stream aborts the upstream request; the row says client_aborted', async () => {
    fake.setBehavior({ replyText: 'w '.repeat(200), chunkIntervalMs: 20 });
    const client = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 0 });
    const ac = new AbortController();
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'long' }] }, { signal: ac.signal })
      .withResponse();
    const id = response.headers.get('x-warden-request-id')!;
    let n = 0;
    try {
      for await (const _ of stream) {
        if (++n === 3) {
          ac.abort();
          break;
        }
      }
    } catch {
      /* the SDK may surface the abort as an error; either way the client is gone */
    }
    expect(n).toBe(3);
    const aborted = await fake.waitForAbort(1);
    expect(aborted.path).toBe('/v1/chat/completions');
    const row = await settledRow(warden.home, id);
    expect(row).toMatchObject({ status: 'client_aborted', usage_source: 'estimated' });
    expect(row.input_tokens).toBeGreaterThan(0);
    fake.reset();
  });

  it('a stream cut before usage arrives is estimated, never a silent 0', async () => {
    fake.setBehavior({ replyText: 'alpha beta gamma delta', cutStreamAfterChunks: 3 });
    const r = await fetch(`${warden.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'tell me a story' }] }),
    });
    const id = r.headers.get('x-warden-request-id')!;
    await r.text().catch(() => '');
    const row = await settledRow(warden.home, id);
    expect(row.usage_source).toBe('estimated');
    expect(row.input_tokens).toBeGreaterThan(0);
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.cost_usd).toBeGreaterThan(0);
    fake.reset();
  });

  it('garbage on the socket gets a 400 and the daemon keeps serving', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(warden.port, '127.0.0.1', () => s.write('THIS IS NOT HTTP\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const st = await cliJson<{ status: string }>(warden.home, ['status']);
    expect(st.status).toBe('ok');
  });
});
