// The provider registry: one line per adapter, plus the proxy-path → Endpoint table and the
// Endpoint → API family mapping. The only place that knows provider types by name.
import { WardenError } from '../errors.js';
import { anthropicAdapter } from './anthropic/adapter.js';
import { azureOpenAIAdapter } from './azure-openai/adapter.js';
import { openaiAdapter } from './openai/adapter.js';
import { openaiCompatibleAdapter } from './openai-compatible/adapter.js';
import type { ApiFamily, Endpoint, ProviderAdapter, ProviderType } from './types.js';

export type * from './types.js';
export { errorBody, errorEvent, errorType, ProviderRequestError } from './errors.js';
export type { ErrorBodyOptions, ProviderErrorBody } from './errors.js';

const ADAPTERS: Readonly<Record<ProviderType, ProviderAdapter>> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  'openai-compatible': openaiCompatibleAdapter,
  'azure-openai': azureOpenAIAdapter,
};

export const PROVIDER_TYPES: readonly ProviderType[] = Object.freeze(Object.keys(ADAPTERS) as ProviderType[]);

export function isProviderType(value: string): value is ProviderType {
  return Object.prototype.hasOwnProperty.call(ADAPTERS, value);
}

/** The adapter for a provider type; a type from config that is not registered is a config error. */
export function getAdapter(type: ProviderType): ProviderAdapter {
  if (!isProviderType(type)) {
    throw new WardenError('unknown_provider_type', `unknown provider type "${String(type)}"`, {
      hint: `expected one of: ${PROVIDER_TYPES.join(', ')}`,
    });
  }
  return ADAPTERS[type];
}

const ENDPOINT_FAMILY: Readonly<Record<Endpoint, ApiFamily>> = {
  'chat.completions': 'openai',
  responses: 'openai',
  completions: 'openai',
  embeddings: 'openai',
  models: 'openai',
  messages: 'anthropic',
  'messages.count_tokens': 'anthropic',
};

/**
 * The wire format a client speaks on an endpoint. `GET /v1/models` is shared by both families:
 * pass the client's (lower-cased) headers and an `anthropic-version` header, which every
 * Anthropic SDK sends, selects Anthropic; without headers it is OpenAI.
 */
export function familyForEndpoint(
  endpoint: Endpoint,
  clientHeaders?: Record<string, string | string[] | undefined>,
): ApiFamily {
  if (endpoint === 'models' && clientHeaders?.['anthropic-version'] !== undefined) return 'anthropic';
  return ENDPOINT_FAMILY[endpoint];
}

const ROUTES: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  ['POST /v1/chat/completions', 'chat.completions'],
  ['POST /v1/responses', 'responses'],
  ['POST /v1/completions', 'completions'],
  ['POST /v1/embeddings', 'embeddings'],
  ['POST /v1/messages', 'messages'],
  ['POST /v1/messages/count_tokens', 'messages.count_tokens'],
  ['GET /v1/models', 'models'],
]);

/**
 * The endpoint a proxy request targets, or undefined when Warden does not proxy it. `pathname`
 * excludes the query string; one trailing slash is tolerated.
 */
export function matchEndpoint(method: string, pathname: string): Endpoint | undefined {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return ROUTES.get(`${method.toUpperCase()} ${path}`);
}
