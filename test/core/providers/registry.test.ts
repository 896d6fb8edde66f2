import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/core/errors.js';
import {
  PROVIDER_TYPES,
  familyForEndpoint,
  getAdapter,
  isProviderType,
  matchEndpoint,
  type Endpoint,
  type ProviderType,
} from '../../../src/core/providers/index.js';

describe('provider registry', () => {
  it('registers every provider type under its own name with the right family, default base and env key', () => {
    expect([...PROVIDER_TYPES].sort()).toEqual(['anthropic', 'azure-openai', 'openai', 'openai-compatible']);
    const expected: Record<ProviderType, [string, string | undefined, string | undefined]> = {
      openai: ['openai', 'https://api.openai.com/v1', 'OPENAI_API_KEY'],
      'openai-compatible': ['openai', undefined, undefined],
      'azure-openai': ['openai', undefined, 'AZURE_OPENAI_API_KEY'],
      anthropic: ['anthropic', 'https://api.anthropic.com', 'ANTHROPIC_API_KEY'],
    };
    for (const type of PROVIDER_TYPES) {
      const a = getAdapter(type);
      expect(a.type).toBe(type);
      expect([a.family, a.defaultBaseUrl, a.envKey]).toEqual(expected[type]);
    }
  });

  it('only lets an adapter serve endpoints of its own family (models is shared)', () => {
    for (const type of PROVIDER_TYPES) {
      const a = getAdapter(type);
      for (const e of a.endpoints) {
        if (e !== 'models') expect(familyForEndpoint(e), `${type} ${e}`).toBe(a.family);
      }
      expect(a.endpoints).toContain('models');
    }
  });

  it('rejects unknown provider types from config with a coded error', () => {
    expect(isProviderType('bedrock')).toBe(false);
    expect(isProviderType('toString')).toBe(false);
    expect(() => getAdapter('bedrock' as ProviderType)).toThrow(WardenError);
  });
});

describe('matchEndpoint', () => {
  it('maps the proxied /v1 paths', () => {
    const table: [string, string, Endpoint][] = [
      ['POST', '/v1/chat/completions', 'chat.completions'],
      ['POST', '/v1/responses', 'responses'],
      ['POST', '/v1/completions', 'completions'],
      ['POST', '/v1/embeddings', 'embeddings'],
      ['POST', '/v1/messages', 'messages'],
      ['POST', '/v1/messages/count_tokens', 'messages.count_tokens'],
      ['GET', '/v1/models', 'models'],
      ['post', '/v1/messages/', 'messages'],
    ];
    for (const [method, path, endpoint] of table) expect(matchEndpoint(method, path), `${method} ${path}`).toBe(endpoint);
  });

  it('rejects other methods, unprefixed paths and unknown paths', () => {
    for (const [method, path] of [
      ['GET', '/v1/chat/completions'],
      ['POST', '/v1/models'],
      ['POST', '/chat/completions'],
      ['POST', '/messages'],
      ['POST', '/v1/chat/completions/extra'],
      ['POST', '/v2/messages'],
      ['DELETE', '/v1/models'],
    ]) {
      expect(matchEndpoint(method, path), `${method} ${path}`).toBeUndefined();
    }
  });
});

describe('familyForEndpoint', () => {
  it('maps endpoints to the wire format clients speak, telling Anthropic model listings by their version header', () => {
    expect(familyForEndpoint('chat.completions')).toBe('openai');
    expect(familyForEndpoint('responses')).toBe('openai');
    expect(familyForEndpoint('embeddings')).toBe('openai');
    expect(familyForEndpoint('messages')).toBe('anthropic');
    expect(familyForEndpoint('messages.count_tokens')).toBe('anthropic');
    expect(familyForEndpoint('models')).toBe('openai');
    expect(familyForEndpoint('models', { authorization: 'Bearer x' })).toBe('openai');
    expect(familyForEndpoint('models', { 'anthropic-version': '2023-06-01', 'x-api-key': 'k' })).toBe('anthropic');
  });
});
