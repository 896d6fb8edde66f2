// The SSE stream tap every adapter builds on: frames the upstream bytes into events, hands each event
// to a provider-specific handler, and, when stripping, removes the events the handler rejects from the
// bytes forwarded to the client. Also the cheap byte-level JSON probes the handlers use to skip parsing.
import { SseDecoder, type SseRawEvent } from './sse.js';
import type { NormalizedUsage, StreamOutcome, StreamTap } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * While stripping, the tap holds the bytes of an incomplete event. An event larger than this is
 * forwarded as it arrives instead (it is then no longer strippable): usage-only events are small.
 */
const MAX_HELD_BYTES = 1024 * 1024;

/** Output text kept for estimates is capped at this many UTF-16 code units (~1 MB). */
export const MAX_OUTPUT_TEXT = 1024 * 1024;

/** Raw text-bearing event bytes kept unparsed before they are folded into text. */
const MAX_PENDING_TEXT_BYTES = 1024 * 1024;

/** The provider-specific half of a tap. */
export abstract class StreamHandler {
  protected usageValue: NormalizedUsage | null = null;
  protected modelValue: string | undefined;
  protected outcomeValue: StreamOutcome | undefined;
  protected readonly text: LazyText;

  constructor(extractText: (json: unknown) => string) {
    this.text = new LazyText(extractText);
  }

  /**
   * Inspect one event. Return true to ask for it to be dropped from the client stream; the tap
   * honours that only when it was created with stripUsageChunk. May throw; the tap contains it.
   */
  abstract onEvent(ev: SseRawEvent): boolean;

  usage(): NormalizedUsage | null {
    return this.usageValue;
  }
  model(): string | undefined {
    return this.modelValue;
  }
  outcome(): StreamOutcome | undefined {
    return this.outcomeValue;
  }
  outputText(): string {
    return this.text.text();
  }

  /** Records the upstream-reported model unless one is already known; empty strings are ignored. */
  protected noteModel(model: unknown): void {
    if (this.modelValue === undefined && typeof model === 'string' && model !== '') this.modelValue = model;
  }
}

/** A handler for responses that are never streamed (embeddings): sees events, records nothing. */
export class InertHandler extends StreamHandler {
  constructor() {
    super(() => '');
  }
  onEvent(): boolean {
    return false;
  }
}

/**
 * Output text collected lazily: text-bearing event payloads are kept as raw bytes and parsed only
 * when text() is asked for (usually never: usage normally arrives), or when they pile up.
 */
export class LazyText {
  private readonly extract: (json: unknown) => string;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private parts: string[] = [];
  private length = 0;
  private full = false;

  constructor(extract: (json: unknown) => string) {
    this.extract = extract;
  }

  add(data: Buffer): void {
    if (this.full) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes > MAX_PENDING_TEXT_BYTES) this.fold();
  }

  text(): string {
    this.fold();
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  private fold(): void {
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const raw of pending) {
      if (this.full) break;
      const json = parseJson(raw);
      if (json === undefined) continue;
      let t: string;
      try {
        t = this.extract(json);
      } catch {
        continue;
      }
      if (t === '') continue;
      if (this.length + t.length >= MAX_OUTPUT_TEXT) {
        t = t.slice(0, MAX_OUTPUT_TEXT - this.length);
        this.full = true;
      }
      this.parts.push(t);
      this.length += t.length;
    }
  }
}

/** Builds a StreamTap from a handler. Without stripping, push() returns its argument unchanged. */
export function createSseTap(handler: StreamHandler, strip: boolean): StreamTap {
  return strip ? new StrippingTap(handler) : new ObservingTap(handler);
}

function safeOnEvent(handler: StreamHandler, ev: SseRawEvent): boolean {
  try {
    return handler.onEvent(ev);
  } catch {
    // A malformed event must never break the client's stream; it just yields no data.
    return false;
  }
}

abstract class TapBase implements StreamTap {
  protected readonly handler: StreamHandler;
  constructor(handler: StreamHandler) {
    this.handler = handler;
  }
  abstract push(chunk: Buffer): Buffer;
  abstract end(): Buffer;
  usage(): NormalizedUsage | null {
    return this.handler.usage();
  }
  model(): string | undefined {
    return this.handler.model();
  }
  outcome(): StreamOutcome | undefined {
    return this.handler.outcome();
  }
  outputText(): string {
    return this.handler.outputText();
  }
}

class ObservingTap extends TapBase {
  private readonly decoder: SseDecoder;

  constructor(handler: StreamHandler) {
    super(handler);
    this.decoder = new SseDecoder(
      (ev) => {
        if (ev) safeOnEvent(handler, ev);
      },
      { dispatchIncompleteAtEnd: true },
    );
  }

  push(chunk: Buffer): Buffer {
    this.decoder.push(chunk);
    return chunk;
  }

  end(): Buffer {
    this.decoder.end();
    return EMPTY;
  }
}

/**
 * Forwards every complete event block as soon as it is seen and holds only the trailing partial
 * block. `held` covers the absolute stream range [heldStart, streamEnd).
 */
class StrippingTap extends TapBase {
  private readonly decoder: SseDecoder;
  private held: Buffer[] = [];
  private heldStart = 0;
  private streamEnd = 0;
  /** End of the last complete block (= start of the current partial one). */
  private blockStart = 0;
  /** Absolute [start, end) pairs to drop, all inside the held range. */
  private drops: number[] = [];

  constructor(handler: StreamHandler) {
    super(handler);
    this.decoder = new SseDecoder((ev, blockEnd) => this.onBlock(ev, blockEnd), { dispatchIncompleteAtEnd: true });
  }

  private onBlock(ev: SseRawEvent | null, blockEnd: number): void {
    const start = this.blockStart;
    this.blockStart = blockEnd;
    if (!ev) return;
    const drop = safeOnEvent(this.handler, ev);
    // Bytes of an oversized block may already be on their way to the client; it cannot be dropped.
    if (drop && start >= this.heldStart) this.drops.push(start, blockEnd);
  }

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    this.held.push(chunk);
    this.decoder.push(chunk);
    this.streamEnd += chunk.length;
    let upTo = this.blockStart;
    if (this.streamEnd - upTo > MAX_HELD_BYTES) upTo = this.streamEnd;
    return this.release(upTo);
  }

  end(): Buffer {
    this.decoder.end();
    // An incomplete trailing block was just dispatched (if it had data) and may have been dropped.
    return this.release(this.streamEnd);
  }

  /** Returns the held bytes before `upTo`, minus dropped ranges, and keeps the rest. */
  private release(upTo: number): Buffer {
    const from = this.heldStart;
    if (upTo <= from) return EMPTY;
    const drops = this.drops;
    let out: Buffer;
    if (drops.length === 0) {
      if (this.held.length === 1 && upTo === this.streamEnd) {
        // Zero-copy: held always starts at heldStart, so this is the whole (possibly pushed) buffer.
        out = this.held[0];
        this.held = [];
        this.heldStart = upTo;
        return out;
      }
      out = concat(this.slice(from, upTo));
    } else {
      const pieces: Buffer[] = [];
      let cursor = from;
      for (let i = 0; i < drops.length; i += 2) {
        const ds = drops[i];
        const de = drops[i + 1];
        if (ds > cursor) pieces.push(...this.slice(cursor, Math.min(ds, upTo)));
        cursor = Math.max(cursor, de);
      }
      if (cursor < upTo) pieces.push(...this.slice(cursor, upTo));
      this.drops = [];
      out = concat(pieces);
    }
    this.held = this.slice(upTo, this.streamEnd);
    this.heldStart = upTo;
    return out;
  }

  /** Views of the held bytes in the absolute range [a, b). */
  private slice(a: number, b: number): Buffer[] {
    const out: Buffer[] = [];
    if (b <= a) return out;
    let pos = this.heldStart;
    for (const piece of this.held) {
      const pEnd = pos + piece.length;
      if (pEnd > a && pos < b) {
        out.push(piece.subarray(Math.max(a, pos) - pos, Math.min(b, pEnd) - pos));
      }
      if (pEnd >= b) break;
      pos = pEnd;
    }
    return out;
  }
}

function concat(pieces: Buffer[]): Buffer {
  if (pieces.length === 0) return EMPTY;
  if (pieces.length === 1) return pieces[0];
  return Buffer.concat(pieces);
}

// ---- byte-level probes -------------------------------------------------------------------------

const QUOTE = 0x22;
const COLON_BYTE = 0x3a;

/** First byte of a JSON object value. */
export const OBJECT_VALUE = 0x7b;
/** First byte of a JSON string value. */
export const STRING_VALUE = QUOTE;

function isJsonSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Finds `"key"` used as an object key in raw JSON bytes without parsing. Searches for the key's
 * first letter with Buffer#indexOf(byte), which is far cheaper per call than a multi-byte needle
 * on event-sized buffers. Quotes inside JSON strings are escaped, so a false positive needs an
 * unusual collision and only costs a parse; there are no false negatives.
 */
export class KeyProbe {
  private readonly key: Buffer;
  private readonly anchor: number;

  constructor(key: string) {
    this.key = Buffer.from(key, 'utf8');
    this.anchor = this.key[0];
  }

  /** True when the key occurs with a value starting with `first` (OBJECT_VALUE, STRING_VALUE, ...). */
  hasValue(buf: Buffer, first: number): boolean {
    const key = this.key;
    const klen = key.length;
    let i = buf.indexOf(this.anchor, 1);
    while (i !== -1) {
      if (buf[i - 1] === QUOTE && buf[i + klen] === QUOTE) {
        let k = 1;
        while (k < klen && buf[i + k] === key[k]) k++;
        if (k === klen) {
          let j = i + klen + 1;
          while (isJsonSpace(buf[j])) j++;
          if (buf[j] === COLON_BYTE) {
            j++;
            while (isJsonSpace(buf[j])) j++;
            if (buf[j] === first) return true;
          }
        }
      }
      i = buf.indexOf(this.anchor, i + 1);
    }
    return false;
  }

  /** True when the key is the first key of the top-level object (`{"error": ...}`). */
  isFirstKey(buf: Buffer): boolean {
    let j = 0;
    while (isJsonSpace(buf[j])) j++;
    if (buf[j] !== OBJECT_VALUE) return false;
    j++;
    while (isJsonSpace(buf[j])) j++;
    if (buf[j] !== QUOTE) return false;
    const key = this.key;
    for (let k = 0; k < key.length; k++) if (buf[j + 1 + k] !== key[k]) return false;
    return buf[j + 1 + key.length] === QUOTE;
  }
}

/**
 * An event's type: its `event:` line, or for servers that omit it, the payload's `type` field (then
 * the parsed payload comes back too, so the caller need not parse it again).
 */
export function eventType(ev: SseRawEvent): { type: string | undefined; json: unknown } {
  if (ev.event !== undefined) return { type: ev.event, json: undefined };
  const json = parseJson(ev.data);
  return { type: isRecord(json) && typeof json.type === 'string' ? json.type : undefined, json };
}

export function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-negative finite token count, or undefined. */
export function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export function zeroUsage(): NormalizedUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
  };
}
