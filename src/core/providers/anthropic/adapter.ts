// The Anthropic Messages API adapter: `x-api-key` auth, the client's `anthropic-version` and
// `anthropic-beta` passed through untouched, usage from message bodies and message streams.
import type { SseRawEvent } from '../sse.js';
import { StreamHandler, count, createSseTap, eventType, InertHandler, isRecord, parseJson, zeroUsage } from '../tap.js';
import { assertServes, baseHeaders, bodyBytes, headerValue, resolveBase } from '../request.js';
import type { BuildRequestInput, Endpoint, ModelEntry, NormalizedUsage, ProviderAdapter, StreamTap, UpstreamRequest } from '../types.js';

/** Sent when the client names no version (every official SDK does). */
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';

const ANTHROPIC_ENDPOINTS = ['messages', 'messages.count_tokens', 'models'] as const satisfies readonly Endpoint[];

const PATHS: Readonly<Partial<Record<Endpoint, string>>> = {
  messages: '/v1/messages',
  'messages.count_tokens': '/v1/messages/count_tokens',
  models: '/v1/models',
};

function buildAnthropicRequest(input: BuildRequestInput): UpstreamRequest {
  assertServes(anthropicAdapter, input.endpoint);
  const base = resolveBase(anthropicAdapter, input);
  const headers = baseHeaders(input, ['anthropic-beta']);
  headers['anthropic-version'] = headerValue(input.clientHeaders, 'anthropic-version') ?? ANTHROPIC_DEFAULT_VERSION;
  if (input.credential !== undefined && input.credential !== '') headers['x-api-key'] = input.credential;
  const isGet = input.endpoint === 'models';
  return {
    method: isGet ? 'GET' : 'POST',
    url: `${base}${PATHS[input.endpoint]}${input.search}`,
    headers,
    body: isGet ? undefined : bodyBytes(input),
    injectedUsage: false,
  };
}

/**
 * Anthropic usage as it accumulates. `input_tokens` excludes cache reads and writes, which the
 * normalised form adds back; message_delta values are cumulative, so every field seen overrides.
 */
export class AnthropicUsage {
  private seen = false;
  private input: number | undefined;
  private output: number | undefined;
  private cacheCreation: number | undefined;
  private cacheRead: number | undefined;
  private split5m: number | undefined;
  private split1h: number | undefined;
  private thinking: number | undefined;

  /** Folds one `usage` object in; absent and null fields leave earlier values standing. */
  apply(u: unknown): void {
    if (!isRecord(u)) return;
    this.seen = true;
    this.input = count(u.input_tokens) ?? this.input;
    this.output = count(u.output_tokens) ?? this.output;
    this.cacheCreation = count(u.cache_creation_input_tokens) ?? this.cacheCreation;
    this.cacheRead = count(u.cache_read_input_tokens) ?? this.cacheRead;
    if (isRecord(u.cache_creation)) {
      this.split5m = count(u.cache_creation.ephemeral_5m_input_tokens) ?? this.split5m;
      this.split1h = count(u.cache_creation.ephemeral_1h_input_tokens) ?? this.split1h;
    }
    if (isRecord(u.output_tokens_details)) {
      this.thinking = count(u.output_tokens_details.thinking_tokens) ?? this.thinking;
    }
  }

  normalized(): NormalizedUsage | null {
    if (!this.seen) return null;
    const hasSplit = this.split5m !== undefined || this.split1h !== undefined;
    const creation = this.cacheCreation ?? (hasSplit ? (this.split5m ?? 0) + (this.split1h ?? 0) : 0);
    // Without the TTL split every cache write is a 5-minute write (the API's default TTL).
    const write1h = hasSplit ? Math.min(this.split1h ?? 0, creation) : 0;
    const read = this.cacheRead ?? 0;
    return {
      inputTokens: (this.input ?? 0) + creation + read,
      outputTokens: this.output ?? 0,
      cacheReadTokens: read,
      cacheWrite5mTokens: creation - write1h,
      cacheWrite1hTokens: write1h,
      reasoningTokens: this.thinking ?? 0,
    };
  }
}

function usageFromJson(endpoint: Endpoint, json: unknown): NormalizedUsage | null {
  if (!isRecord(json)) return null;
  // Token counting is free: a result with zero usage, not "usage unknown".
  if (endpoint === 'messages.count_tokens') return zeroUsage();
  if (endpoint !== 'messages') return null;
  const acc = new AnthropicUsage();
  acc.apply(json.usage);
  return acc.normalized();
}

function deltaText(json: unknown): string {
  if (!isRecord(json) || !isRecord(json.delta)) return '';
  const d = json.delta;
  switch (d.type) {
    case 'text_delta':
      return typeof d.text === 'string' ? d.text : '';
    case 'thinking_delta':
      return typeof d.thinking === 'string' ? d.thinking : '';
    case 'input_json_delta':
      return typeof d.partial_json === 'string' ? d.partial_json : '';
    default:
      return '';
  }
}

/**
 * Message stream events. Only message_start and message_delta are parsed (usage, model);
 * content_block_delta payloads are kept for lazy text extraction; pings are skipped unread.
 */
class MessagesStreamHandler extends StreamHandler {
  private readonly acc = new AnthropicUsage();

  constructor() {
    super(deltaText);
  }

  override usage(): NormalizedUsage | null {
    return this.acc.normalized();
  }

  onEvent(ev: SseRawEvent): boolean {
    let { type, json } = eventType(ev);
    switch (type) {
      case 'content_block_delta':
        this.text.add(ev.data);
        return false;
      case 'message_start': {
        json ??= parseJson(ev.data);
        const msg = isRecord(json) ? json.message : undefined;
        if (isRecord(msg)) {
          this.noteModel(msg.model);
          this.acc.apply(msg.usage);
        }
        return false;
      }
      case 'message_delta':
        json ??= parseJson(ev.data);
        if (isRecord(json)) this.acc.apply(json.usage);
        return false;
      case 'message_stop':
        if (this.outcomeValue === undefined) this.outcomeValue = 'completed';
        return false;
      case 'error':
        this.outcomeValue = 'failed';
        return false;
      default:
        return false;
    }
  }
}

function createStreamTap(endpoint: Endpoint, _opts: { stripUsageChunk: boolean }): StreamTap {
  // Anthropic streams always carry usage, so there is never an injected chunk to strip.
  return createSseTap(endpoint === 'messages' ? new MessagesStreamHandler() : new InertHandler(), false);
}

/** `{data:[{type:'model', id, display_name, created_at}], has_more, first_id, last_id}`. */
function parseModels(json: unknown): ModelEntry[] {
  if (!isRecord(json) || !Array.isArray(json.data)) return [];
  const out: ModelEntry[] = [];
  for (const m of json.data) {
    if (!isRecord(m) || typeof m.id !== 'string') continue;
    const entry: ModelEntry = { id: m.id };
    if (typeof m.display_name === 'string') entry.displayName = m.display_name;
    if (typeof m.created_at === 'string') {
      const ms = Date.parse(m.created_at);
      if (Number.isFinite(ms)) entry.created = Math.floor(ms / 1000);
    }
    out.push(entry);
  }
  return out;
}

export const anthropicAdapter: ProviderAdapter = {
  type: 'anthropic',
  family: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  envKey: 'ANTHROPIC_API_KEY',
  endpoints: ANTHROPIC_ENDPOINTS,
  buildRequest: buildAnthropicRequest,
  usageFromJson,
  createStreamTap,
  parseModels,
};
