// Redaction: replaces findings in a text with `[REDACTED:TYPE_n]` placeholders, the same value
// always getting the same placeholder within one request (pass one RedactionState for all of a
// request's texts). Overlapping findings are merged into one span so no part of either value
// survives. Returns the kinds redacted, never the values.
import type { Finding } from './types.js';

/** Placeholder assignments of one request; values live only in this in-memory map. */
export interface RedactionState {
  readonly placeholders: Map<string, string>;
  readonly counters: Map<string, number>;
}

export interface RedactionResult {
  text: string;
  /** Distinct finding types whose values were removed, sorted. */
  kinds: string[];
  /** Number of placeholders inserted. */
  count: number;
}

export function createRedactionState(): RedactionState {
  return { placeholders: new Map(), counters: new Map() };
}

/** Types become part of the output: keep them to a safe alphabet and length. */
function placeholderType(type: unknown): string {
  const t = String(type).toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 32);
  return t === '' ? 'UNKNOWN' : t;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Which finding names a merged span: secrets over PII, then confidence, then length. */
function outranks(a: Finding, b: Finding): boolean {
  if (a.kind !== b.kind) return a.kind === 'secret';
  if (a.confidence !== b.confidence) return a.confidence > b.confidence;
  return a.end - a.start > b.end - b.start;
}

/**
 * Replaces each finding's span with its placeholder. Findings may overlap, repeat, or lie partly
 * outside the text (clamped; empty ones are ignored); it never throws on malformed findings.
 */
export function redact(text: string, findings: readonly Finding[], state: RedactionState = createRedactionState()): RedactionResult {
  const spans: Finding[] = [];
  for (const f of findings) {
    if (f === null || typeof f !== 'object') continue;
    let start = Math.max(0, Math.floor(Number(f.start)));
    let end = Math.min(text.length, Math.ceil(Number(f.end)));
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) continue;
    // Never split a surrogate pair: widen to whole code points.
    if (start > 0 && isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1))) start--;
    if (end < text.length && isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end))) end++;
    spans.push({ ...f, start, end });
  }
  if (spans.length === 0) return { text, kinds: [], count: 0 };
  spans.sort((a, b) => a.start - b.start || b.end - a.end);

  const kinds = new Set<string>();
  let out = '';
  let cursor = 0;
  let count = 0;
  let i = 0;
  while (i < spans.length) {
    const first = spans[i] as Finding;
    let rep = first;
    let end = first.end;
    kinds.add(placeholderType(first.type));
    // Merge everything that overlaps the span so far.
    for (i++; i < spans.length && (spans[i] as Finding).start < end; i++) {
      const f = spans[i] as Finding;
      kinds.add(placeholderType(f.type));
      if (f.end > end) end = f.end;
      if (outranks(f, rep)) rep = f;
    }
    const type = placeholderType(rep.type);
    const key = `${type}\u0000${text.slice(first.start, end)}`;
    let placeholder = state.placeholders.get(key);
    if (placeholder === undefined) {
      const n = (state.counters.get(type) ?? 0) + 1;
      state.counters.set(type, n);
      placeholder = `[REDACTED:${type}_${n}]`;
      state.placeholders.set(key, placeholder);
    }
    out += text.slice(cursor, first.start) + placeholder;
    cursor = end;
    count++;
  }
  out += text.slice(cursor);
  return { text: out, kinds: [...kinds].sort(), count };
}
