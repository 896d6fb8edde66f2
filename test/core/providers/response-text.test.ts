import { describe, expect, it } from 'vitest';
import { responseText } from '../../../src/core/providers/response-text.js';

describe('responseText', () => {
  it('reads chat choices, refusals and tool-call arguments', () => {
    const json = { choices: [{ message: { content: 'Hello', tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }] } }, { message: { content: null, refusal: 'No.' } }] };
    expect(responseText('chat.completions', json)).toBe('Hello\n{"a":1}\nNo.');
  });

  it('reads Responses output items and Anthropic content blocks', () => {
    expect(responseText('responses', { output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }, { type: 'function_call', arguments: '{}' }] })).toBe('Hi\n{}');
    expect(responseText('messages', { content: [{ type: 'text', text: 'Yes' }, { type: 'tool_use', name: 't', input: { q: 'x' } }] })).toBe('Yes\n{"q":"x"}');
  });

  it('returns nothing for shapes it does not know', () => {
    expect(responseText('embeddings', { data: [{ embedding: [1] }] })).toBe('');
    expect(responseText('chat.completions', 'not json')).toBe('');
  });
});
