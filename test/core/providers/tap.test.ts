import { describe, expect, it } from 'vitest';
import { openaiAdapter } from '../../../src/core/providers/openai/adapter.js';
import { KeyProbe, OBJECT_VALUE, STRING_VALUE } from '../../../src/core/providers/tap.js';
import { dataEvent, runTap, sse } from './tap-helpers.js';

describe('KeyProbe', () => {
  const usage = new KeyProbe('usage');

  it('finds a key by the kind of value it has, with or without whitespace', () => {
    expect(usage.hasValue(Buffer.from('{"choices":[],"usage":{"prompt_tokens":1}}'), OBJECT_VALUE)).toBe(true);
    expect(usage.hasValue(Buffer.from('{"choices": [], "usage" :\n {"prompt_tokens": 1}}'), OBJECT_VALUE)).toBe(true);
    expect(usage.hasValue(Buffer.from('{"usage":null,"x":{"usage":{}}}'), OBJECT_VALUE)).toBe(true);
  });

  it('ignores null values, the word inside strings, and longer keys that start the same', () => {
    expect(usage.hasValue(Buffer.from('{"choices":[],"usage":null}'), OBJECT_VALUE)).toBe(false);
    expect(usage.hasValue(Buffer.from(JSON.stringify({ content: 'the "usage": {} field' })), OBJECT_VALUE)).toBe(false);
    expect(usage.hasValue(Buffer.from('{"usage_total":{}}'), OBJECT_VALUE)).toBe(false);
    expect(usage.hasValue(Buffer.from('{"content":"usage"}'), OBJECT_VALUE)).toBe(false);
    expect(new KeyProbe('finish_reason').hasValue(Buffer.from('{"finish_reason":null}'), STRING_VALUE)).toBe(false);
    expect(new KeyProbe('finish_reason').hasValue(Buffer.from('{"finish_reason": "stop"}'), STRING_VALUE)).toBe(true);
  });

  it('recognises a key only in first position for isFirstKey', () => {
    const error = new KeyProbe('error');
    expect(error.isFirstKey(Buffer.from(' { "error": {"message":"x"}}'))).toBe(true);
    expect(error.isFirstKey(Buffer.from('{"id":"x","error":{}}'))).toBe(false);
    expect(error.isFirstKey(Buffer.from('{"errors":{}}'))).toBe(false);
  });
});

describe('stripping tap bounds', () => {
  it('strips a pretty-printed usage chunk from an OpenAI-compatible server', () => {
    const body = 'data: {"id": "1", "model": "llama3", "choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n';
    const usage = 'data: {"id": "1", "model": "llama3", "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1}}\n\n';
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    expect(runTap(tap, [sse(body, usage, 'data: [DONE]\n\n')]).toString()).toBe(body + 'data: [DONE]\n\n');
    expect(tap.usage()).toMatchObject({ inputTokens: 4, outputTokens: 1 });
  });

  it('forwards an oversized event as it arrives instead of holding it, and cannot strip it then', () => {
    const tap = openaiAdapter.createStreamTap('chat.completions', { stripUsageChunk: true });
    const huge = dataEvent({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 }, pad: 'x'.repeat(1_100_000) });
    const first = Buffer.from(huge.slice(0, 1_050_000));
    const out1 = tap.push(first);
    expect(out1.length).toBe(first.length);
    const out2 = tap.push(Buffer.from(huge.slice(1_050_000)));
    expect(Buffer.concat([out1, out2, tap.end()]).toString()).toBe(huge);
    expect(tap.usage()).toMatchObject({ inputTokens: 1 });
  });
});
