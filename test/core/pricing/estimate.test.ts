import { countTokens, encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { estimateTokens, estimateUsage, PROMPT_TEXT_CAP, promptText } from '../../../src/core/pricing/estimate.js';

const prose =
  'Warden keeps an audit trail of every request that passes through the local proxy, prices it with the ' +
  'bundled catalogue and enforces budgets before the upstream is ever contacted. ';

describe('estimateTokens', () => {
  it('counts with o200k_base', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(2);
    expect(estimateTokens(prose)).toBe(countTokens(prose));
  });

  it('counts special-token lookalikes as text instead of throwing', () => {
    expect(estimateTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('samples long texts to within 3% of the exact count', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${prose} Item ${i} costs $${(i * 0.37).toFixed(2)}.`).join('\n');
    expect(text.length).toBeGreaterThan(200_000);
    const exact = countTokens(text);
    const est = estimateTokens(text);
    expect(Math.abs(est - exact) / exact).toBeLessThan(0.03);
  });

  it('slices long runs without whitespace and stays close to the exact count', () => {
    const blob = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)).toString('base64');
    const exact = countTokens(blob);
    const est = estimateTokens(blob);
    expect(Math.abs(est - exact) / exact).toBeLessThan(0.05);
    // 300k identical characters would take tens of seconds as one BPE piece.
    expect(estimateTokens('x'.repeat(300_000))).toBe(37_500);
  });
});

describe('promptText', () => {
  it('extracts chat messages, text content parts and tool calls', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Describe this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'result text' },
      ],
    };
    expect(promptText('chat.completions', body)).toBe('You are terse.\nDescribe this\nlookup\n{"q":"x"}\nresult text');
  });

  it('extracts Responses input (string or items) and instructions', () => {
    expect(promptText('responses', { instructions: 'Be brief.', input: 'Hi there' })).toBe('Be brief.\nHi there');
    const items = {
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'first' }, { type: 'input_image', image_url: 'x' }] },
        { type: 'function_call', name: 'f', arguments: '{"a":1}', call_id: 'c' },
        { type: 'function_call_output', call_id: 'c', output: 'done' },
      ],
    };
    expect(promptText('responses', items)).toBe('first\n{"a":1}\ndone');
  });

  it('extracts legacy prompts and embedding inputs', () => {
    expect(promptText('completions', { prompt: 'Once upon' })).toBe('Once upon');
    expect(promptText('completions', { prompt: ['a', 'b'] })).toBe('a\nb');
    expect(promptText('embeddings', { input: ['alpha', 'beta'] })).toBe('alpha\nbeta');
    expect(promptText('embeddings', { input: 'gamma' })).toBe('gamma');
    expect(promptText('models', undefined)).toBe('');
  });

  it('extracts Anthropic system and content blocks', () => {
    const body = {
      system: [{ type: 'text', text: 'Sys prompt' }],
      messages: [
        { role: 'user', content: 'Question?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'tool_use', id: 't1', name: 'calc', input: { x: 2 } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '4' }] }] },
      ],
    };
    expect(promptText('messages', body)).toBe('Sys prompt\nQuestion?\nhmm\ncalc\n{"x":2}\n4');
    expect(promptText('messages.count_tokens', { system: 'S', messages: [] })).toBe('S');
  });

  it('caps the text it returns', () => {
    const big = 'word '.repeat(600_000);
    const text = promptText('chat.completions', { messages: [{ role: 'user', content: big }] });
    expect(text.length).toBe(PROMPT_TEXT_CAP);
  });

  it('ignores bodies of the wrong shape', () => {
    expect(promptText('chat.completions', { messages: 'nope' })).toBe('');
    expect(promptText('chat.completions', null)).toBe('');
    expect(promptText('messages', { messages: [null, 3, { content: 5 }] })).toBe('');
  });
});

describe('estimateUsage', () => {
  it('is within 10% of the exact chat-format count', () => {
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant that answers in one paragraph.' },
      { role: 'user' as const, content: prose.repeat(5) },
      { role: 'assistant' as const, content: 'Understood. ' + prose },
      { role: 'user' as const, content: 'Summarise the above in a sentence, please.' },
    ];
    const exact = encodeChat(messages, 'gpt-4o').length;
    const u = estimateUsage({ endpoint: 'chat.completions', body: { model: 'gpt-4o', messages }, outputText: prose });
    expect(Math.abs(u.inputTokens - exact) / exact).toBeLessThan(0.1);
    expect(u.outputTokens).toBe(countTokens(prose));
    expect(u).toMatchObject({ cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 });
  });

  it('counts token-id inputs by their length', () => {
    expect(estimateUsage({ endpoint: 'embeddings', body: { input: [[1, 2, 3], [4, 5]] } }).inputTokens).toBe(5);
    expect(estimateUsage({ endpoint: 'completions', body: { prompt: [10, 11, 12] } }).inputTokens).toBe(3);
  });

  it('extrapolates past the text cap instead of undercounting', () => {
    const perChunk = estimateTokens('word '.repeat(1000));
    const big = 'word '.repeat(1_000_000); // 5,000,000 characters, past the 2 MiB cap
    const u = estimateUsage({ endpoint: 'embeddings', body: { input: big } });
    const expected = perChunk * 1000;
    expect(Math.abs(u.inputTokens - expected) / expected).toBeLessThan(0.05);
  });
});
