// The OpenAI wire format shared by the openai, openai-compatible and azure-openai adapters: the
// stream_options.include_usage injection, usage from JSON bodies and SSE streams, and model lists.
import type { SseRawEvent } from '../sse.js';
import {
  InertHandler,
  KeyProbe,
  OBJECT_VALUE,
  STRING_VALUE,
  StreamHandler,
  count,
  createSseTap,
  eventType,
  isRecord,
  parseJson,
} from '../tap.js';
import type { BuildRequestInput, Endpoint, ModelEntry, NormalizedUsage, StreamTap } from '../types.js';

export const OPENAI_ENDPOINTS = ['chat.completions', 'responses', 'completions', 'embeddings', 'models'] as const satisfies readonly Endpoint[];

/** Path under an OpenAI-style base (which already ends in /v1). */
export const OPENAI_PATHS: Readonly<Partial<Record<Endpoint, string>>> = {
  'chat.completions': '/chat/completions',
  responses: '/responses',
  completions: '/completions',
  embeddings: '/embeddings',
  models: '/models',
};

/**
 * A streamed chat/legacy completion only reports usage when the client set
 * stream_options.include_usage. When it did not, returns a copy of the body that asks for it
 * (other stream_options keys kept); the tap must then strip the extra usage-only chunk.
 */
export function withInjectedUsage(input: BuildRequestInput): Record<string, unknown> | undefined {
  const { endpoint, body } = input;
  if (endpoint !== 'chat.completions' && endpoint !== 'completions') return undefined;
  if (body === undefined || body.stream !== true) return undefined;
  const so = body.stream_options;
  if (isRecord(so) && so.include_usage === true) return undefined;
  return { ...body, stream_options: { ...(isRecord(so) ? so : {}), include_usage: true } };
}

/** Chat/legacy completions and embeddings usage (`prompt_tokens` already includes cached tokens). */
export function chatUsage(u: unknown): NormalizedUsage | null {
  if (!isRecord(u)) return null;
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  if (prompt === undefined && completion === undefined) {
    return u.input_tokens !== undefined ? responsesUsage(u) : null;
  }
  const pd = isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details : undefined;
  const cd = isRecord(u.completion_tokens_details) ? u.completion_tokens_details : undefined;
  return {
    inputTokens: prompt ?? 0,
    outputTokens: completion ?? 0,
    cacheReadTokens: count(pd?.cached_tokens) ?? 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: count(cd?.reasoning_tokens) ?? 0,
  };
}

/** Responses API usage (`input_tokens` already includes cached tokens). */
export function responsesUsage(u: unknown): NormalizedUsage | null {
  if (!isRecord(u)) return null;
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  if (input === undefined && output === undefined) {
    return u.prompt_tokens !== undefined ? chatUsage(u) : null;
  }
  const id = isRecord(u.input_tokens_details) ? u.input_tokens_details : undefined;
  const od = isRecord(u.output_tokens_details) ? u.output_tokens_details : undefined;
  return {
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    cacheReadTokens: count(id?.cached_tokens) ?? 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: count(od?.reasoning_tokens) ?? 0,
  };
}

export function openaiUsageFromJson(endpoint: Endpoint, json: unknown): NormalizedUsage | null {
  if (!isRecord(json)) return null;
  switch (endpoint) {
    case 'chat.completions':
    case 'completions':
    case 'embeddings':
      return chatUsage(json.usage);
    case 'responses':
      return responsesUsage(json.usage);
    default:
      return null;
  }
}

/** OpenAI `{object:'list', data:[{id, created, owned_by}]}`; Azure's `created_at` is accepted too. */
export function parseOpenAIModels(json: unknown): ModelEntry[] {
  if (!isRecord(json) || !Array.isArray(json.data)) return [];
  const out: ModelEntry[] = [];
  for (const m of json.data) {
    if (!isRecord(m) || typeof m.id !== 'string') continue;
    const entry: ModelEntry = { id: m.id };
    const created = count(m.created) ?? count(m.created_at);
    if (created !== undefined) entry.created = created;
    if (typeof m.owned_by === 'string') entry.ownedBy = m.owned_by;
    out.push(entry);
  }
  return out;
}

export function openaiStreamTap(endpoint: Endpoint, opts: { stripUsageChunk: boolean }): StreamTap {
  switch (endpoint) {
    case 'chat.completions':
    case 'completions':
      return createSseTap(new ChatStreamHandler(), opts.stripUsageChunk);
    case 'responses':
      return createSseTap(new ResponsesStreamHandler(), false);
    default:
      return createSseTap(new InertHandler(), false);
  }
}

const K_USAGE = new KeyProbe('usage');
const K_ERROR = new KeyProbe('error');
const K_FINISH_REASON = new KeyProbe('finish_reason');
const DONE = Buffer.from('[DONE]');

/**
 * Chat and legacy completion chunks. Only the first chunk (model), chunks with a `usage` object and
 * error chunks (`{"error": ...}`, as OpenAI sends them mid-stream) are parsed; text deltas are
 * parsed lazily by LazyText.
 */
class ChatStreamHandler extends StreamHandler {
  constructor() {
    super(chatDeltaText);
  }

  onEvent(ev: SseRawEvent): boolean {
    const d = ev.data;
    if (d.length === DONE.length && d.equals(DONE)) {
      this.outcomeValue ??= 'completed';
      return false;
    }
    let json: unknown;
    let parsed = false;
    if (this.modelValue === undefined) {
      json = parseJson(d);
      parsed = true;
      if (isRecord(json)) this.noteModel(json.model);
    }
    if (K_USAGE.hasValue(d, OBJECT_VALUE)) {
      if (!parsed) json = parseJson(d);
      parsed = true;
      if (isRecord(json) && isRecord(json.usage)) {
        const u = chatUsage(json.usage);
        if (u) this.usageValue = u;
        // The usage-only chunk include_usage adds: no choices, just usage.
        if (Array.isArray(json.choices) && json.choices.length === 0) return true;
      }
    }
    if (K_ERROR.isFirstKey(d)) {
      if (!parsed) json = parseJson(d);
      parsed = true;
      if (isRecord(json) && isRecord(json.error)) {
        this.outcomeValue = 'failed';
        return false;
      }
    }
    if (this.outcomeValue === undefined && K_FINISH_REASON.hasValue(d, STRING_VALUE)) {
      this.outcomeValue = 'completed';
    }
    this.text.add(d);
    return false;
  }
}

function chatDeltaText(json: unknown): string {
  if (!isRecord(json) || !Array.isArray(json.choices)) return '';
  let out = '';
  for (const c of json.choices) {
    if (!isRecord(c)) continue;
    if (typeof c.text === 'string') out += c.text;
    const d = c.delta;
    if (!isRecord(d)) continue;
    if (typeof d.content === 'string') out += d.content;
    if (typeof d.refusal === 'string') out += d.refusal;
    // Reasoning text some OpenAI-compatible servers stream separately; it is billed as output.
    if (typeof d.reasoning_content === 'string') out += d.reasoning_content;
    if (Array.isArray(d.tool_calls)) {
      for (const tc of d.tool_calls) {
        if (isRecord(tc) && isRecord(tc.function) && typeof tc.function.arguments === 'string') {
          out += tc.function.arguments;
        }
      }
    }
  }
  return out;
}

/** Events whose `delta` string is model output. */
const RESPONSES_TEXT_EVENTS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
]);

/**
 * Responses API events. The event name decides what to parse: usage comes only on the terminal
 * response.completed / response.incomplete / response.failed events, the model on response.created.
 */
class ResponsesStreamHandler extends StreamHandler {
  constructor() {
    super((json) => (isRecord(json) && typeof json.delta === 'string' ? json.delta : ''));
  }

  onEvent(ev: SseRawEvent): boolean {
    // Servers that omit `event:` lines still put the type in the payload.
    let { type, json } = eventType(ev);
    if (type === undefined) return false;
    if (RESPONSES_TEXT_EVENTS.has(type)) {
      this.text.add(ev.data);
      return false;
    }
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        if (this.modelValue === undefined) {
          json ??= parseJson(ev.data);
          if (isRecord(json) && isRecord(json.response)) this.noteModel(json.response.model);
        }
        return false;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        json ??= parseJson(ev.data);
        this.outcomeValue = type === 'response.completed' ? 'completed' : type === 'response.incomplete' ? 'incomplete' : 'failed';
        const r = isRecord(json) ? json.response : undefined;
        if (isRecord(r)) {
          this.noteModel(r.model);
          const u = responsesUsage(r.usage);
          if (u) this.usageValue = u;
        }
        return false;
      }
      case 'error':
        this.outcomeValue = 'failed';
        return false;
      default:
        return false;
    }
  }
}
