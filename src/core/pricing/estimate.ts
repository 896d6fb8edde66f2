// Token estimates for when exact usage is missing (before a request is sent, or when a stream is
// cut before its usage arrives): the text a request carries per endpoint, counted with o200k_base.
import { createRequire } from 'node:module';
import { walkPrompt, type PromptVisitor, type TextOwner } from '../providers/prompt-walk.js';
import type { Endpoint, NormalizedUsage } from '../providers/types.js';

/** promptText never returns more than this many characters. */
export const PROMPT_TEXT_CAP = 2 * 1024 * 1024;
/** Texts up to this length are counted exactly; longer ones are sampled (BPE costs ~1µs/char at worst). */
const EXACT_CHARS = 32 * 1024;
const SAMPLES = 8;
const SAMPLE_CHARS = 4 * 1024;
/**
 * BPE is quadratic in the length of one pre-token, so a long run without whitespace (base64, a
 * minified bundle) is counted in slices of this size: 200k such characters would otherwise take 30s.
 */
const MAX_RUN = 256;
const HAS_LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1}}`);
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'g');
/** Text that looks like a special token (`<|endoftext|>`) is counted as text, not rejected. */
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };
/** Chat formats wrap each message in a few tokens (role, separators). */
const PER_MESSAGE_TOKENS = 3;
const PER_REQUEST_TOKENS = 3;

type CountTokens = (text: string, options?: { disallowedSpecial?: Set<string> }) => number;
const requireCjs = createRequire(import.meta.url);
let countTokensImpl: CountTokens | undefined;

/**
 * The o200k_base tables take ~0.3 s and ~60 MB to load, which the daemon should not pay for a
 * path most requests never take: they load on first use (synchronously).
 */
function countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number {
  countTokensImpl ??= (requireCjs('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: CountTokens }).countTokens;
  return countTokensImpl(text, options);
}

/** Estimated o200k_base token count of `text`; bounded work whatever its length or shape. */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length <= EXACT_CHARS) return countBounded(text);
  // Evenly spaced samples give the tokens-per-character ratio of the whole text.
  const stride = Math.floor((text.length - SAMPLE_CHARS) / (SAMPLES - 1));
  let sampledTokens = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const start = i * stride;
    sampledTokens += countBounded(text.slice(start, start + SAMPLE_CHARS));
  }
  return Math.round((sampledTokens / (SAMPLES * SAMPLE_CHARS)) * text.length);
}

function countBounded(text: string): number {
  if (!HAS_LONG_RUN.test(text)) return countTokens(text, ENCODE_OPTIONS);
  let total = 0;
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    const at = m.index ?? 0;
    if (at > last) total += countTokens(text.slice(last, at), ENCODE_OPTIONS);
    for (let i = 0; i < m[0].length; i += MAX_RUN) total += countTokens(m[0].slice(i, i + MAX_RUN), ENCODE_OPTIONS);
    last = at + m[0].length;
  }
  if (last < text.length) total += countTokens(text.slice(last), ENCODE_OPTIONS);
  return total;
}

/** Collects text pieces up to a character cap, still counting the characters past it. */
class TextSink implements PromptVisitor {
  readonly parts: string[] = [];
  kept = 0;
  total = 0;
  messages = 0;

  text(_owner: TextOwner, _key: string | number, value: string): void {
    this.add(value);
  }

  message(): void {
    this.messages++;
  }

  json(v: unknown): void {
    this.addJson(v);
  }

  add(s: unknown): void {
    if (typeof s !== 'string' || s.length === 0) return;
    this.total += s.length + 1;
    const room = PROMPT_TEXT_CAP - this.kept;
    if (room <= 0) return;
    const piece = s.length > room ? s.slice(0, room) : s;
    this.parts.push(piece);
    this.kept += piece.length + 1;
  }

  /** Serialised JSON (tool schemas, tool-call arguments): models read these as tokens too. */
  addJson(v: unknown): void {
    if (v === undefined || v === null) return;
    if (typeof v === 'string') return this.add(v);
    if (this.kept >= PROMPT_TEXT_CAP) {
      this.total += roughJsonLength(v);
      return;
    }
    try {
      this.add(JSON.stringify(v));
    } catch {
      // Cyclic or otherwise unserialisable: the body came from JSON.parse, so this cannot happen.
    }
  }

  joined(): string {
    return this.parts.join('\n').slice(0, PROMPT_TEXT_CAP);
  }
}

function roughJsonLength(v: unknown): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return 0;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Count of token ids when an input is given as ids (`[1,2,3]` or `[[1,2],[3]]`). */
function tokenIdCount(v: unknown): number {
  if (!Array.isArray(v)) return 0;
  let n = 0;
  for (const x of v) {
    if (typeof x === 'number') n++;
    else if (Array.isArray(x)) n += x.filter((y) => typeof y === 'number').length;
  }
  return n;
}

function collect(endpoint: Endpoint, body: unknown): TextSink {
  const sink = new TextSink();
  walkPrompt(endpoint, body, sink);
  return sink;
}

/** The text a request sends to the model, newline-joined, at most PROMPT_TEXT_CAP characters. */
export function promptText(endpoint: Endpoint, body: unknown): string {
  return collect(endpoint, body).joined();
}

export interface EstimateUsageInput {
  endpoint: Endpoint;
  body: unknown;
  /** Output seen so far (a cut stream); empty when estimating before sending. */
  outputText?: string;
}

/**
 * Estimated usage: prompt tokens (plus chat framing) and output tokens. No cache or reasoning
 * split is guessed; those only come from exact usage.
 */
export function estimateUsage({ endpoint, body, outputText = '' }: EstimateUsageInput): NormalizedUsage {
  const sink = collect(endpoint, body);
  const kept = sink.joined();
  let inputTokens = estimateTokens(kept);
  // Text beyond the cap is charged at the rate measured on what was kept.
  if (sink.total > sink.kept && kept.length > 0) inputTokens = Math.round(inputTokens * (sink.total / sink.kept));
  if (sink.messages > 0) inputTokens += sink.messages * PER_MESSAGE_TOKENS + PER_REQUEST_TOKENS;
  if (isRecord(body)) {
    if (endpoint === 'completions') inputTokens += tokenIdCount(body.prompt);
    if (endpoint === 'embeddings') inputTokens += tokenIdCount(body.input);
  }
  const out = outputText.length > PROMPT_TEXT_CAP ? outputText.slice(0, PROMPT_TEXT_CAP) : outputText;
  let outputTokens = estimateTokens(out);
  if (out.length < outputText.length && out.length > 0) outputTokens = Math.round(outputTokens * (outputText.length / out.length));
  return {
    inputTokens,
    outputTokens,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
  };
}
