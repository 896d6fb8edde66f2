// Incremental Server-Sent Events parsing over raw bytes (WHATWG HTML "event stream interpretation").
// Hand-written rather than eventsource-parser: the proxy's stream tap needs the byte offset where each
// event block ends, so it can drop one event from the forwarded bytes without re-serialising the stream.

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);
const LF_BUF = Buffer.from([LF]);

/** One dispatched event with its data still as bytes (decode only what you need). */
export interface SseRawEvent {
  /** The `event:` field; undefined when the block had none (the spec's default type "message"). */
  event: string | undefined;
  /** The `data:` lines joined with '\n'; may be a view into a pushed chunk (never copied on the fast path). */
  data: Buffer;
  /** The last event ID seen so far in the stream (it persists across events, as in the spec). */
  id: string | undefined;
}

/**
 * Called once for every blank line that ends an event block, in stream order. `ev` is null when the
 * block dispatches nothing (comments such as `: ping`, or fields without `data:`). `blockEnd` is the
 * absolute stream offset just past the blank line's terminator.
 */
export type SseBlockHandler = (ev: SseRawEvent | null, blockEnd: number) => void;

export interface SseDecoderOptions {
  /**
   * A single line longer than this is discarded (its bytes still count for offsets). Bounds memory
   * when an upstream sends garbage without newlines. Default 16 MiB.
   */
  maxLineBytes?: number;
  /**
   * At end(), dispatch an event whose closing blank line never arrived. The spec discards it; a usage
   * tap wants it, because a provider that drops the final blank line still sent real usage.
   */
  dispatchIncompleteAtEnd?: boolean;
}

/**
 * Byte-level SSE decoder. Line terminators are LF, CRLF or a lone CR (also when a CRLF is split
 * across chunks); a leading UTF-8 BOM is ignored; `retry:` and unknown fields are ignored.
 */
export class SseDecoder {
  private readonly onBlock: SseBlockHandler;
  private readonly maxLineBytes: number;
  private readonly lenientEnd: boolean;
  /** Pieces of a line whose terminator has not arrived yet. */
  private partial: Buffer[] = [];
  private partialLen = 0;
  private discardingLine = false;
  /** The previous chunk ended in CR: a LF at the start of the next one belongs to that terminator. */
  private skipLeadingLF = false;
  private firstLine = true;
  /** Absolute offset of the next byte to be pushed. */
  private streamOffset = 0;
  private eventName: string | undefined;
  private dataParts: Buffer[] = [];
  private sawData = false;
  private lastId: string | undefined;

  constructor(onBlock: SseBlockHandler, opts: SseDecoderOptions = {}) {
    this.onBlock = onBlock;
    this.maxLineBytes = opts.maxLineBytes ?? 16 * 1024 * 1024;
    this.lenientEnd = opts.dispatchIncompleteAtEnd ?? false;
  }

  /** Total bytes pushed so far. */
  get offset(): number {
    return this.streamOffset;
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    if (n === 0) return;
    const base = this.streamOffset;
    let pos = 0;
    if (this.skipLeadingLF) {
      this.skipLeadingLF = false;
      if (buf[0] === LF) pos = 1;
    }
    // Positions of the next CR / LF at or after `pos`; -1 means none in the rest of the chunk,
    // so each byte is scanned at most once per terminator kind.
    let nextCR = buf.indexOf(CR, pos);
    let nextLF = buf.indexOf(LF, pos);
    while (pos < n) {
      if (nextCR !== -1 && nextCR < pos) nextCR = buf.indexOf(CR, pos);
      if (nextLF !== -1 && nextLF < pos) nextLF = buf.indexOf(LF, pos);
      let end: number;
      let next: number;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) {
        end = nextCR;
        if (nextCR + 1 < n) {
          next = buf[nextCR + 1] === LF ? nextCR + 2 : nextCR + 1;
        } else {
          next = n;
          this.skipLeadingLF = true;
        }
      } else if (nextLF !== -1) {
        end = nextLF;
        next = nextLF + 1;
      } else {
        break;
      }
      this.completeLine(buf, pos, end, base + next);
      pos = next;
    }
    if (pos < n) this.addPartial(buf.subarray(pos));
    this.streamOffset = base + n;
  }

  /** End of stream: a trailing line without terminator is processed; see dispatchIncompleteAtEnd. */
  end(): void {
    if (this.partialLen > 0 || this.discardingLine) {
      this.completeLine(EMPTY, 0, 0, this.streamOffset);
    }
    if (this.lenientEnd && this.sawData) {
      this.dispatch(this.streamOffset);
    }
    this.eventName = undefined;
    this.dataParts = [];
    this.sawData = false;
  }

  private addPartial(piece: Buffer): void {
    if (this.discardingLine) return;
    this.partialLen += piece.length;
    if (this.partialLen > this.maxLineBytes) {
      this.partial = [];
      this.partialLen = 0;
      this.discardingLine = true;
      return;
    }
    this.partial.push(piece);
  }

  private completeLine(buf: Buffer, start: number, end: number, lineEnd: number): void {
    if (this.discardingLine) {
      this.discardingLine = false;
      return;
    }
    if (this.partialLen > 0) {
      if (this.partialLen + (end - start) > this.maxLineBytes) {
        this.partial = [];
        this.partialLen = 0;
        return;
      }
      this.partial.push(buf.subarray(start, end));
      const line = Buffer.concat(this.partial, this.partialLen + (end - start));
      this.partial = [];
      this.partialLen = 0;
      this.processLine(line, 0, line.length, lineEnd);
      return;
    }
    if (end - start > this.maxLineBytes) return;
    this.processLine(buf, start, end, lineEnd);
  }

  /** Interprets the line buf[start, end) (no terminator). Works on offsets to avoid per-line views. */
  private processLine(buf: Buffer, start: number, end: number, lineEnd: number): void {
    if (this.firstLine) {
      this.firstLine = false;
      if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    const len = end - start;
    if (len === 0) {
      this.dispatch(lineEnd);
      return;
    }
    const c0 = buf[start];
    if (c0 === COLON) return;
    // Fast paths for the two fields every provider stream uses.
    if (
      c0 === 0x64 && len >= 5 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61 &&
      buf[start + 4] === COLON
    ) {
      this.addData(buf.subarray(len > 5 && buf[start + 5] === SPACE ? start + 6 : start + 5, end));
      return;
    }
    if (
      c0 === 0x65 && len >= 6 && buf[start + 1] === 0x76 && buf[start + 2] === 0x65 && buf[start + 3] === 0x6e &&
      buf[start + 4] === 0x74 && buf[start + 5] === COLON
    ) {
      const v = buf.toString('utf8', len > 6 && buf[start + 6] === SPACE ? start + 7 : start + 6, end);
      this.eventName = v === '' ? undefined : v;
      return;
    }
    const line = buf.subarray(start, end);
    const colon = line.indexOf(COLON);
    let name: string;
    let value: Buffer;
    if (colon === -1) {
      name = line.toString('utf8');
      value = EMPTY;
    } else {
      name = line.toString('utf8', 0, colon);
      value = line.subarray(colon + 1 < len && line[colon + 1] === SPACE ? colon + 2 : colon + 1);
    }
    if (name === 'data') {
      this.addData(value);
    } else if (name === 'event') {
      const v = value.toString('utf8');
      this.eventName = v === '' ? undefined : v;
    } else if (name === 'id') {
      if (value.indexOf(0) === -1) this.lastId = value.toString('utf8');
    }
  }

  private addData(value: Buffer): void {
    this.dataParts.push(value);
    this.sawData = true;
  }

  private dispatch(blockEnd: number): void {
    let ev: SseRawEvent | null = null;
    if (this.sawData) {
      const parts = this.dataParts;
      let data: Buffer;
      if (parts.length === 1) {
        data = parts[0];
      } else {
        const joined: Buffer[] = [];
        for (let i = 0; i < parts.length; i++) {
          if (i > 0) joined.push(LF_BUF);
          joined.push(parts[i]);
        }
        data = Buffer.concat(joined);
      }
      ev = { event: this.eventName, data, id: this.lastId };
    }
    this.eventName = undefined;
    this.dataParts = [];
    this.sawData = false;
    this.onBlock(ev, blockEnd);
  }
}

/** A decoded event. */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
}

/** Convenience wrapper: bytes (or text) in, decoded events out. */
export class SseParser {
  private readonly decoder: SseDecoder;
  private out: SseEvent[] = [];

  constructor(opts: SseDecoderOptions = {}) {
    this.decoder = new SseDecoder((ev) => {
      if (!ev) return;
      const e: SseEvent = { data: ev.data.toString('utf8') };
      if (ev.event !== undefined) e.event = ev.event;
      if (ev.id !== undefined) e.id = ev.id;
      this.out.push(e);
    }, opts);
  }

  push(chunk: Uint8Array | string): SseEvent[] {
    this.decoder.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    return this.take();
  }

  end(): SseEvent[] {
    this.decoder.end();
    return this.take();
  }

  private take(): SseEvent[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
