// The provider extension point: one adapter per upstream type, registered in ./index.ts.
// Adapters own wire formats: upstream URL and auth, usage extraction from JSON and SSE, error shapes.

export type ProviderType = 'openai' | 'anthropic' | 'openai-compatible' | 'azure-openai';

/** Which wire format a client speaks (and so which error shape it expects). */
export type ApiFamily = 'openai' | 'anthropic';

export type Endpoint =
  | 'chat.completions'
  | 'responses'
  | 'completions'
  | 'embeddings'
  | 'models'
  | 'messages'
  | 'messages.count_tokens';

/**
 * Token usage in the genai-prices convention: `inputTokens` is the whole prompt, including
 * cache reads and cache writes; `outputTokens` includes reasoning tokens.
 */
export interface NormalizedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
}

/** A configured upstream, as the daemon resolved it from the store, config and env. */
export interface ProviderConfig {
  name: string;
  type: ProviderType;
  /** Base URL without a trailing slash. OpenAI-style bases include `/v1`; Anthropic's does not. */
  baseUrl: string;
  /** Azure OpenAI: the `api-version` query parameter. */
  apiVersion?: string;
}

export interface BuildRequestInput {
  endpoint: Endpoint;
  provider: ProviderConfig;
  /** The provider API key; undefined for keyless upstreams (a local Ollama). */
  credential: string | undefined;
  /** The parsed client JSON body (undefined for GET). Adapters may return a modified copy. */
  body: Record<string, unknown> | undefined;
  /**
   * The exact bytes the client sent, forwarded untouched when the adapter does not modify the body.
   * A caller that changed `body` (policy mutations) must pass undefined here so `body` is sent.
   */
  rawBody: Buffer | undefined;
  /** Client request headers, lower-cased (node:http). */
  clientHeaders: Record<string, string | string[] | undefined>;
  /** The query string of the client request, including the leading '?', or ''. */
  search: string;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /**
   * True when the adapter asked the upstream for usage the client did not request
   * (OpenAI `stream_options.include_usage`): the stream tap must then strip the extra
   * usage-only chunk before the client sees it.
   */
  injectedUsage: boolean;
}

export type StreamOutcome = 'completed' | 'incomplete' | 'failed';

/** Parses an SSE response as it streams past. One instance per response. */
export interface StreamTap {
  /**
   * Feed bytes from the upstream. Returns the bytes to forward to the client now: the same
   * buffer when the tap does not transform, a rewritten buffer when it strips an event, or
   * an empty buffer while an event is incomplete (only when stripping). Never holds back a
   * complete event. The tap may keep views of `chunk`: do not mutate or reuse it after pushing.
   */
  push(chunk: Buffer): Buffer;
  /** End of upstream stream: any bytes still held back. */
  end(): Buffer;
  /** Usage seen so far (null when the stream carried none). */
  usage(): NormalizedUsage | null;
  /** The model the upstream reported, when it did. */
  model(): string | undefined;
  /** How the stream said it ended, when it did. */
  outcome(): StreamOutcome | undefined;
  /** Concatenated output text seen so far, for estimating when usage never arrives. */
  outputText(): string;
}

export interface ModelEntry {
  id: string;
  /** Unix seconds (Anthropic's ISO `created_at` is converted). */
  created?: number;
  ownedBy?: string;
  displayName?: string;
}

export interface ProviderAdapter {
  type: ProviderType;
  /** The wire format this upstream speaks. */
  family: ApiFamily;
  /** Default base URL when none is configured (undefined: a base URL is required). */
  defaultBaseUrl?: string;
  /** The env var holding this provider type's key when none is stored (OPENAI_API_KEY, ...). */
  envKey?: string;
  /** Endpoints the adapter can serve. */
  endpoints: readonly Endpoint[];
  buildRequest(input: BuildRequestInput): UpstreamRequest;
  /** Usage from a complete (non-streamed) JSON response body; null when it has none. */
  usageFromJson(endpoint: Endpoint, json: unknown): NormalizedUsage | null;
  createStreamTap(endpoint: Endpoint, opts: { stripUsageChunk: boolean }): StreamTap;
  /** Parse the upstream's model-list response into entries. */
  parseModels(json: unknown): ModelEntry[];
}
