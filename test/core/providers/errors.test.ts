import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, errorEvent, errorType } from '../../../src/core/providers/errors.js';
import { SseParser } from '../../../src/core/providers/sse.js';
import { startFakeUpstream, type FakeUpstream } from '../../fixtures/fake-upstream.js';

describe('errorBody', () => {
  it('builds the OpenAI envelope with type, null param and a status-derived code', () => {
    expect(errorBody('openai', 401, 'bad key')).toEqual({
      error: { message: 'bad key', type: 'authentication_error', param: null, code: 'invalid_api_key' },
    });
    expect(errorBody('openai', 429, 'slow down', { code: 'budget_exceeded' })).toEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'budget_exceeded' },
    });
    expect(errorBody('openai', 400, 'nope', { param: 'model' })).toEqual({
      error: { message: 'nope', type: 'invalid_request_error', param: 'model', code: null },
    });
  });

  it('builds the Anthropic envelope, with request_id only when given', () => {
    expect(errorBody('anthropic', 413, 'too big')).toEqual({ type: 'error', error: { type: 'request_too_large', message: 'too big' } });
    expect(errorBody('anthropic', 403, 'denied', { requestId: 'req_1' })).toEqual({
      type: 'error',
      error: { type: 'permission_error', message: 'denied' },
      request_id: 'req_1',
    });
  });

  it('maps statuses to each family’s error types', () => {
    const statuses = [400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529];
    expect(statuses.map((s) => errorType('openai', s))).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'rate_limit_error',
      'api_error',
      'api_error',
      'api_error',
      'api_error',
      'api_error',
    ]);
    expect(statuses.map((s) => errorType('anthropic', s))).toEqual([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'request_too_large',
      'rate_limit_error',
      'api_error',
      'api_error',
      'overloaded_error',
      'timeout_error',
      'overloaded_error',
    ]);
  });

  it('frames a mid-stream error as the SSE event each family uses', () => {
    const [a] = new SseParser().push(errorEvent('anthropic', 529, 'Overloaded'));
    expect(a.event).toBe('error');
    expect(JSON.parse(a.data)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const [o] = new SseParser().push(errorEvent('openai', 500, 'boom'));
    expect(o.event).toBeUndefined();
    expect(JSON.parse(o.data).error.type).toBe('api_error');
  });
});

describe('error bodies as the official SDKs see them', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(() => fake.close());

  it('OpenAI SDK raises the status-specific class carrying our type and code', async () => {
    fake.setBehavior({ failWith: { status: 429, body: errorBody('openai', 429, 'warden: budget exhausted', { code: 'budget_exceeded' }) } });
    const client = new OpenAI({ apiKey: fake.keys.openai, baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('budget_exceeded');
    expect(e.type).toBe('rate_limit_error');
    expect(e.message).toContain('warden: budget exhausted');
  });

  it('Anthropic SDK raises the status-specific class carrying our error object', async () => {
    fake.setBehavior({ failWith: { status: 403, body: errorBody('anthropic', 403, 'warden: denied by policy') } });
    const client = new Anthropic({ apiKey: fake.keys.anthropic, baseURL: fake.anthropicBaseUrl, maxRetries: 0 });
    const err = await client.messages
      .create({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const e = err as InstanceType<typeof Anthropic.PermissionDeniedError>;
    expect(e.status).toBe(403);
    expect(e.error).toEqual({ type: 'error', error: { type: 'permission_error', message: 'warden: denied by policy' } });
  });
});
