// Helpers for driving stream taps in tests: feed bytes in arbitrary chunkings, collect what the
// client would receive.
import type { StreamTap } from '../../../src/core/providers/types.js';

/** Pushes each chunk, then ends; returns the concatenated bytes the client would receive. */
export function runTap(tap: StreamTap, chunks: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const c of chunks) out.push(tap.push(c));
  out.push(tap.end());
  return Buffer.concat(out);
}

/** The stream split in two at `at`. */
export function splitAt(buf: Buffer, at: number): Buffer[] {
  return [buf.subarray(0, at), buf.subarray(at)];
}

export function sse(...events: string[]): Buffer {
  return Buffer.from(events.join(''), 'utf8');
}

export function dataEvent(json: unknown): string {
  return `data: ${typeof json === 'string' ? json : JSON.stringify(json)}\n\n`;
}

export function namedEvent(name: string, json: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(json)}\n\n`;
}
