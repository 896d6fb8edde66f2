// Where a request's prompt text lives, per endpoint: one walk shared by token estimation (which reads
// the text), the policy input (which reads it) and redaction (which rewrites it in place). Each text
// is reported with the object or array holding it and its key, so a visitor can replace it without
// the walk allocating a closure per string.
import type { Endpoint } from './types.js';

export type TextOwner = Record<string, unknown> | unknown[];

export interface PromptVisitor {
  /** A prompt string, found at `owner[key]`. */
  text(owner: TextOwner, key: string | number, value: string): void;
  /** Structured data the model also reads (tool schemas, tool-use input), serialised by the visitor if it wants. */
  json(v: unknown): void;
  /** One more chat message (estimates add per-message framing tokens). */
  message(): void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: PromptVisitor, owner: TextOwner, key: string | number): void {
  const s = (owner as Record<string | number, unknown>)[key];
  if (typeof s === 'string' && s.length > 0) v.text(owner, key, s);
}

/** OpenAI content: a string, or parts of which `text` and `refusal` carry text. */
function openAIContent(v: PromptVisitor, owner: Record<string, unknown>, key: string): void {
  const content = owner[key];
  if (typeof content === 'string') return str(v, owner, key);
  if (!Array.isArray(content)) return;
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    if (typeof part === 'string') str(v, content, i);
    else if (isRecord(part)) {
      str(v, part, 'text');
      str(v, part, 'refusal');
    }
  }
}

function chat(v: PromptVisitor, body: Record<string, unknown>): void {
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      if (!isRecord(m)) continue;
      v.message();
      openAIContent(v, m, 'content');
      if (Array.isArray(m.tool_calls)) {
        for (const call of m.tool_calls) {
          if (!isRecord(call) || !isRecord(call.function)) continue;
          str(v, call.function, 'name');
          str(v, call.function, 'arguments');
        }
      }
      if (isRecord(m.function_call)) str(v, m.function_call, 'arguments');
    }
  }
  v.json(body.tools);
  v.json(body.functions);
}

/** Responses API: instructions, and input items (messages, function calls and outputs, reasoning summaries). */
function responses(v: PromptVisitor, body: Record<string, unknown>): void {
  str(v, body, 'instructions');
  if (typeof body.input === 'string') {
    v.message();
    str(v, body, 'input');
  } else if (Array.isArray(body.input)) {
    const items = body.input;
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      if (typeof item === 'string') {
        str(v, items, i);
        continue;
      }
      if (!isRecord(item)) continue;
      v.message();
      openAIContent(v, item, 'content');
      str(v, item, 'arguments');
      if (typeof item.output === 'string') str(v, item, 'output');
      else openAIContent(v, item, 'output');
      if (Array.isArray(item.summary)) for (const s of item.summary) if (isRecord(s)) str(v, s, 'text');
    }
  }
  v.json(body.tools);
}

/** `prompt`/`input` as a string or a list of strings (token-id arrays carry no text). */
function strings(v: PromptVisitor, body: Record<string, unknown>, key: string): void {
  const x = body[key];
  if (typeof x === 'string') return str(v, body, key);
  if (Array.isArray(x)) for (let i = 0; i < x.length; i++) if (typeof x[i] === 'string') str(v, x, i);
}

/** Anthropic content: a string or blocks (text, thinking, tool_use input, tool_result content). */
function anthropicContent(v: PromptVisitor, owner: Record<string, unknown>, key: string): void {
  const content = owner[key];
  if (typeof content === 'string') return str(v, owner, key);
  if (!Array.isArray(content)) return;
  for (const block of content) {
    if (!isRecord(block)) continue;
    str(v, block, 'text');
    str(v, block, 'thinking');
    if (block.type === 'tool_use') {
      str(v, block, 'name');
      v.json(block.input);
    }
    if (block.type === 'tool_result') anthropicContent(v, block, 'content');
  }
}

function messages(v: PromptVisitor, body: Record<string, unknown>): void {
  anthropicContent(v, body, 'system');
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      if (!isRecord(m)) continue;
      v.message();
      anthropicContent(v, m, 'content');
    }
  }
  v.json(body.tools);
}

/** Visits every prompt text of a request body, in the order the model reads them. */
export function walkPrompt(endpoint: Endpoint, body: unknown, v: PromptVisitor): void {
  if (!isRecord(body)) return;
  switch (endpoint) {
    case 'chat.completions':
      return chat(v, body);
    case 'responses':
      return responses(v, body);
    case 'completions':
      return strings(v, body, 'prompt');
    case 'embeddings':
      return strings(v, body, 'input');
    case 'messages':
    case 'messages.count_tokens':
      return messages(v, body);
    case 'models':
      return;
  }
}

/**
 * Rewrites every prompt text in place with `fn` (which returns the string unchanged when it has
 * nothing to change). Returns how many texts changed. Tool schemas and tool-use JSON are not
 * rewritten: they are the caller's structure, not prompt prose.
 */
export function rewritePrompt(endpoint: Endpoint, body: unknown, fn: (text: string) => string): number {
  let changed = 0;
  walkPrompt(endpoint, body, {
    text(owner, key, value) {
      const next = fn(value);
      if (next !== value) {
        (owner as Record<string | number, unknown>)[key] = next;
        changed++;
      }
    },
    json() {},
    message() {},
  });
  return changed;
}
