import { describe, expect, it } from 'vitest';
import { SseDecoder, SseParser, type SseEvent } from '../../../src/core/providers/sse.js';

function parseAll(chunks: (string | Buffer)[], opts?: ConstructorParameters<typeof SseParser>[0]): SseEvent[] {
  const p = new SseParser(opts);
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

/** A stream exercising every terminator, comments, multi-line data, ids and multi-byte UTF-8. */
const TRICKY = Buffer.from(
  '\uFEFF: leading comment\n' +
    'event: first\ndata: {"a":1}\n\n' +
    'data: line one\r\ndata: line two\r\n\r\n' +
    ': ping\n\n' +
    'id: 7\nevent: ünïcødé ✓\ndata:no-space\r\rdata:  two spaces\n\n' +
    'data\n\n' +
    'retry: 1000\nfoo: bar\ndata: 日本語 🎉\r\n\n' +
    'event: only-event-no-data\n\n' +
    'data: [DONE]\n\n',
  'utf8',
);

const TRICKY_EVENTS: SseEvent[] = [
  { event: 'first', data: '{"a":1}' },
  { data: 'line one\nline two' },
  { event: 'ünïcødé ✓', data: 'no-space', id: '7' },
  { data: ' two spaces', id: '7' },
  { data: '', id: '7' },
  { data: '日本語 🎉', id: '7' },
  { data: '[DONE]', id: '7' },
];

describe('SseParser', () => {
  it('parses LF, CRLF and lone-CR terminated events, comments, ids and multi-line data', () => {
    expect(parseAll([TRICKY])).toEqual(TRICKY_EVENTS);
  });

  it('yields the same events wherever the stream is split in two', () => {
    for (let i = 0; i <= TRICKY.length; i++) {
      const events = parseAll([TRICKY.subarray(0, i), TRICKY.subarray(i)]);
      expect(events, `split at byte ${i}`).toEqual(TRICKY_EVENTS);
    }
  });

  it('yields the same events when fed one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < TRICKY.length; i++) chunks.push(TRICKY.subarray(i, i + 1));
    expect(parseAll(chunks)).toEqual(TRICKY_EVENTS);
  });

  it('treats a CR at the end of one chunk and a LF at the start of the next as one terminator', () => {
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ data: 'a\nb' }]);
  });

  it('discards an event whose blank line never arrived, unless told to dispatch it', () => {
    expect(parseAll(['data: complete\n\ndata: cut off'])).toEqual([{ data: 'complete' }]);
    expect(parseAll(['data: complete\n\ndata: cut off'], { dispatchIncompleteAtEnd: true })).toEqual([
      { data: 'complete' },
      { data: 'cut off' },
    ]);
  });

  it('drops a line longer than the bound without losing the events around it', () => {
    const long = 'data: ' + 'x'.repeat(100) + '\n\n';
    const events = parseAll(['data: a\n\n', long.slice(0, 40), long.slice(40), 'data: b\n\n'], { maxLineBytes: 50 });
    expect(events).toEqual([{ data: 'a' }, { data: 'b' }]);
  });
});

describe('SseDecoder', () => {
  it('reports the absolute end offset of every block, including blocks that dispatch nothing', () => {
    const text = ': ping\n\nevent: e\ndata: x\r\n\r\ndata: y\n\n';
    const ends: [string | null, number][] = [];
    const d = new SseDecoder((ev, end) => ends.push([ev ? ev.data.toString() : null, end]));
    const buf = Buffer.from(text);
    d.push(buf.subarray(0, 5));
    d.push(buf.subarray(5, 20));
    d.push(buf.subarray(20));
    d.end();
    expect(ends).toEqual([
      [null, 8],
      ['x', 8 + 'event: e\ndata: x\r\n\r\n'.length],
      ['y', text.length],
    ]);
    expect(d.offset).toBe(text.length);
  });

  it('hands single-line data out as a view of the pushed chunk, not a copy', () => {
    const chunk = Buffer.from('data: hello\n\n');
    let data: Buffer | undefined;
    new SseDecoder((ev) => {
      data = ev?.data;
    }).push(chunk);
    expect(data?.toString()).toBe('hello');
    expect(data?.buffer).toBe(chunk.buffer);
  });
});
