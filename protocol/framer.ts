/**
 * A bounded line framer: turns a byte stream into IRC lines without ever
 * holding more than one line's worth of bytes.
 *
 * @module
 */

import { MAX_LINE_BYTES, MAX_TAGS_BYTES } from "./message.ts";

/** Longest line accepted by default, in bytes, not counting its CR LF: a full tags section plus a full body. */
export const DEFAULT_MAX_LINE_BYTES = MAX_TAGS_BYTES + MAX_LINE_BYTES - 2;

/** What the framer produces: a decoded line, or notice that a line was too long and skipped. */
export type FramedLine = { kind: "line"; line: string } | { kind: "overflow" };

/** Where a {@link LineFramer} sends what it frames. */
export interface LineSink {
  /**
   * Called with each non-empty line, CR LF or LF removed, decoded as UTF-8
   * with U+FFFD for invalid bytes; `invalidUtf8` says whether there were any.
   */
  onLine(line: string, invalidUtf8: boolean): void;
  /** Called once for each line longer than the limit; the rest of that line is skipped. */
  onOverflow(): void;
}

/** Options for {@link createLineSplitter}. */
export interface LineSplitterOptions extends LineSink {
  /** Longest line accepted, in bytes, not counting CR LF. Defaults to {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Decoders shared by every framer: decoding whole lines keeps no state between calls. */
const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

function join(head: Uint8Array | null, tail: Uint8Array): Uint8Array {
  if (head === null) return tail.slice();
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}

/**
 * A push-style line framer: feed it chunks as they arrive and it calls its
 * sink's `onLine` or `onOverflow` for each complete line. Lines end with LF
 * or CR LF; empty lines are ignored. An unfinished line is kept only while
 * it is within the limit; past it the bytes are dropped up to the next LF.
 * A class with its sink as an object (a server connection is its own), so
 * each of thousands of connections holds one small object, not closures.
 */
export class LineFramer {
  #sink: LineSink;
  #maxLineBytes: number;
  #pending: Uint8Array | null = null;
  #skipping = false;

  /** Frames for `sink`, accepting lines of at most `maxLineBytes` bytes (CR LF not counted). */
  constructor(sink: LineSink, maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#sink = sink;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Frames the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) {
        if (this.#skipping) return;
        const unfinished = (this.#pending?.length ?? 0) + chunk.length - start;
        // One byte of slack for a CR whose LF is still on its way.
        if (unfinished > this.#maxLineBytes + 1) {
          this.#pending = null;
          this.#skipping = true;
          this.#sink.onOverflow();
        } else {
          this.#pending = join(this.#pending, chunk.subarray(start));
        }
        return;
      }
      if (this.#skipping) {
        this.#skipping = false;
      } else {
        const line = chunk.subarray(start, newline);
        const bytes = this.#pending === null ? line : join(this.#pending, line);
        this.#pending = null;
        this.#emit(bytes);
      }
      start = newline + 1;
    }
  }

  #emit(bytes: Uint8Array): void {
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CR
      ? bytes.length - 1
      : bytes.length;
    if (length > this.#maxLineBytes) this.#sink.onOverflow();
    else if (length > 0) {
      const line = bytes.subarray(0, length);
      let text: string;
      try {
        text = strict.decode(line);
      } catch {
        this.#sink.onLine(decoder.decode(line), true);
        return;
      }
      this.#sink.onLine(text, false);
    }
  }
}

/**
 * Creates a push-style splitter: a {@link LineFramer} for `options` as a
 * function to feed chunks to.
 */
export function createLineSplitter(
  options: LineSplitterOptions,
): (chunk: Uint8Array) => void {
  const framer = new LineFramer(options, options.maxLineBytes);
  return (chunk) => framer.push(chunk);
}

/**
 * A `TransformStream` from bytes to {@link FramedLine}s, for use with
 * `readable.pipeThrough(new LineFramerStream())`.
 */
export class LineFramerStream extends TransformStream<Uint8Array, FramedLine> {
  /** Creates the stream; `maxLineBytes` defaults to {@link DEFAULT_MAX_LINE_BYTES}. */
  constructor(options: { maxLineBytes?: number } = {}) {
    let push: (chunk: Uint8Array) => void = () => {};
    super({
      start(controller) {
        push = createLineSplitter({
          maxLineBytes: options.maxLineBytes,
          onLine: (line) => controller.enqueue({ kind: "line", line }),
          onOverflow: () => controller.enqueue({ kind: "overflow" }),
        });
      },
      transform(chunk) {
        push(chunk);
      },
    });
  }
}
