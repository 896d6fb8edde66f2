// Any server speaking OpenAI's wire format at a configured base URL (vLLM, Ollama, LM Studio,
// OpenRouter, ...): the base URL is required and the key optional.
import { buildOpenAIStyleRequest } from '../openai/adapter.js';
import { OPENAI_ENDPOINTS, openaiStreamTap, openaiUsageFromJson, parseOpenAIModels } from '../openai/wire.js';
import type { ProviderAdapter } from '../types.js';

export const openaiCompatibleAdapter: ProviderAdapter = {
  type: 'openai-compatible',
  family: 'openai',
  defaultBaseUrl: undefined,
  envKey: undefined,
  endpoints: OPENAI_ENDPOINTS,
  buildRequest(input) {
    return buildOpenAIStyleRequest(openaiCompatibleAdapter, input);
  },
  usageFromJson: openaiUsageFromJson,
  createStreamTap: openaiStreamTap,
  parseModels: parseOpenAIModels,
};
