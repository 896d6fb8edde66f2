// The OpenAI platform adapter (api.openai.com): Bearer auth, the OpenAI wire format as-is.
import { assertServes, baseHeaders, bodyBytes, resolveBase } from '../request.js';
import type { BuildRequestInput, ProviderAdapter, UpstreamRequest } from '../types.js';
import {
  OPENAI_ENDPOINTS,
  OPENAI_PATHS,
  openaiStreamTap,
  openaiUsageFromJson,
  parseOpenAIModels,
  withInjectedUsage,
} from './wire.js';

/** Client headers that select API behaviour and carry no credentials. */
export const OPENAI_FORWARDED_HEADERS = ['openai-beta'] as const;

/**
 * Builds a request for any upstream that speaks OpenAI's wire format at `{base}{/path}` with
 * Bearer auth (the key is optional: keyless local servers).
 */
export function buildOpenAIStyleRequest(adapter: ProviderAdapter, input: BuildRequestInput): UpstreamRequest {
  assertServes(adapter, input.endpoint);
  const base = resolveBase(adapter, input);
  const rewritten = withInjectedUsage(input);
  const headers = baseHeaders(input, OPENAI_FORWARDED_HEADERS);
  if (input.credential !== undefined && input.credential !== '') {
    headers.authorization = `Bearer ${input.credential}`;
  }
  return {
    method: input.endpoint === 'models' ? 'GET' : 'POST',
    url: `${base}${OPENAI_PATHS[input.endpoint]}${input.search}`,
    headers,
    body: input.endpoint === 'models' ? undefined : bodyBytes(input, rewritten),
    injectedUsage: rewritten !== undefined,
  };
}

export const openaiAdapter: ProviderAdapter = {
  type: 'openai',
  family: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  envKey: 'OPENAI_API_KEY',
  endpoints: OPENAI_ENDPOINTS,
  buildRequest(input) {
    return buildOpenAIStyleRequest(openaiAdapter, input);
  },
  usageFromJson: openaiUsageFromJson,
  createStreamTap: openaiStreamTap,
  parseModels: parseOpenAIModels,
};
