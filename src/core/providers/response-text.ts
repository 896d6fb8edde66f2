// The text a model answered with, from a provider's JSON response, per endpoint: what response-phase
// policies read (`input.response.text`). Streams get the same from their tap's outputText().
import type { Endpoint } from './types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function push(out: string[], v: unknown): void {
  if (typeof v === 'string' && v.length > 0) out.push(v);
}

/** Output text of a JSON response (chat, Responses, completions, Anthropic messages); '' when none. */
export function responseText(endpoint: Endpoint, json: unknown): string {
  if (!isRecord(json)) return '';
  const out: string[] = [];
  switch (endpoint) {
    case 'chat.completions':
      for (const c of Array.isArray(json.choices) ? json.choices : []) {
        if (!isRecord(c) || !isRecord(c.message)) continue;
        push(out, c.message.content);
        push(out, c.message.refusal);
        for (const t of Array.isArray(c.message.tool_calls) ? c.message.tool_calls : []) {
          if (isRecord(t) && isRecord(t.function)) push(out, t.function.arguments);
        }
      }
      break;
    case 'completions':
      for (const c of Array.isArray(json.choices) ? json.choices : []) if (isRecord(c)) push(out, c.text);
      break;
    case 'responses':
      for (const item of Array.isArray(json.output) ? json.output : []) {
        if (!isRecord(item)) continue;
        push(out, item.arguments);
        for (const part of Array.isArray(item.content) ? item.content : []) if (isRecord(part)) push(out, part.text);
      }
      break;
    case 'messages':
      for (const block of Array.isArray(json.content) ? json.content : []) {
        if (!isRecord(block)) continue;
        push(out, block.text);
        if (block.type === 'tool_use' && block.input !== undefined) push(out, JSON.stringify(block.input));
      }
      break;
    default:
      break;
  }
  return out.join('\n');
}
