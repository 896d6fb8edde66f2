import { describe, expect, it } from 'vitest';
import { rewritePrompt, walkPrompt } from '../../../src/core/providers/prompt-walk.js';

const upper = (s: string): string => (s.includes('secret') ? s.replace(/secret/g, '[X]') : s);

describe('rewritePrompt', () => {
  it('rewrites chat message strings and text parts in place, leaving tool schemas alone', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'keep the secret' },
        { role: 'user', content: [{ type: 'text', text: 'my secret is 42' }, { type: 'image_url', image_url: { url: 'https://x/secret.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"q":"secret"}' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'secret_tool', parameters: {} } }],
    };
    expect(rewritePrompt('chat.completions', body, upper)).toBe(3);
    expect(body.messages[0].content).toBe('keep the [X]');
    expect((body.messages[1].content as Array<{ text?: string; image_url?: { url: string } }>)[0].text).toBe('my [X] is 42');
    expect((body.messages[1].content as Array<{ image_url?: { url: string } }>)[1].image_url?.url).toBe('https://x/secret.png');
    expect(body.messages[2].tool_calls?.[0].function.arguments).toBe('{"q":"[X]"}');
    expect(body.tools[0].function.name).toBe('secret_tool');
  });

  it('rewrites Anthropic system blocks, tool results and Responses input items', () => {
    const anthropic = {
      system: [{ type: 'text', text: 'secret rules' }],
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: [{ type: 'text', text: 'the secret output' }] }] }],
    };
    expect(rewritePrompt('messages', anthropic, upper)).toBe(2);
    expect(anthropic.system[0].text).toBe('[X] rules');
    expect(anthropic.messages[0].content[0].content[0].text).toBe('the [X] output');

    const resp = { instructions: 'no secret', input: ['a secret', { role: 'user', content: [{ type: 'input_text', text: 'secret!' }] }] };
    expect(rewritePrompt('responses', resp, upper)).toBe(3);
    expect(resp.input[0]).toBe('a [X]');
  });

  it('counts nothing and changes nothing when no text needs it', () => {
    const body = { prompt: ['plain', 'text'] };
    expect(rewritePrompt('completions', body, upper)).toBe(0);
    expect(body.prompt).toEqual(['plain', 'text']);
  });

  it('visits texts in reading order with one message() per chat message', () => {
    const seen: string[] = [];
    let messages = 0;
    walkPrompt('chat.completions', { messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, {
      text: (_o, _k, v) => seen.push(v),
      json: () => {},
      message: () => messages++,
    });
    expect(seen).toEqual(['a', 'b']);
    expect(messages).toBe(2);
  });
});
