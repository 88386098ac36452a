/**
 * Write buffers for joining a connection's queued lines into one socket
 * write, reused rather than allocated per write, and shared by connections
 * that have the same lines queued.
 *
 * @module
 */

import type { LineQueue } from "./line_queue.ts";

/** Most bytes joined into one write; a longer queue goes out in several. */
export const MAX_WRITE_BYTES = 16384;

/** Sizes of the reused write buffers: a write takes the smallest that fits. */
const WRITE_BUFFER_SIZES = [2048, 4096, MAX_WRITE_BYTES] as const;
/**
 * Most spare write buffers kept for reuse, per size: as many as connections
 * writing at once in a burst (every one holds its buffer until its write
 * completes), so that a burst allocates none after its first turns.
 */
const SPARE_WRITE_BUFFERS = 512;
/** Spare write buffers are let go this long after the last one came back, so an idle server keeps none. */
const SPARE_WRITE_BUFFERS_MS = 1000;

/** A joined batch in use: the lines it holds and how many writes of it are pending. */
interface Joined {
  lines: Uint8Array[];
  users: number;
}

/**
 * Write buffers for joining queued lines, reused rather than allocated per
 * write: under a burst a fresh buffer per write is hundreds of MB a second
 * of short-lived allocations outside the JS heap, which V8 frees only at
 * its next collection and the allocator returns to the system late.
 */
export class WriteBuffers {
  static #spare: Uint8Array[][] = WRITE_BUFFER_SIZES.map(() => []);
  static #made = new WeakSet<ArrayBufferLike>();
  static #released = false;
  static #trimTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Batches from {@link WriteBuffers.join} whose writes are not all done. */
  static #joined = new Map<Uint8Array, Joined>();
  /** The latest batch joined, while in use: the one the next join may share. */
  static #latest: Uint8Array | undefined = undefined;

  /**
   * The first `count` lines of `queue` (`total` bytes, at most
   * {@link MAX_WRITE_BYTES}) joined into one buffer, to hand back with
   * {@link WriteBuffers.release} once written. Members of a channel
   * usually have the very same lines queued (one shared buffer per line,
   * in the same order), so when these are the lines of the latest batch,
   * its bytes are shared instead of copied again: a fan-out to 1,000
   * members joins each batch once and holds one buffer, not 1,000.
   */
  static join(queue: LineQueue, count: number, total: number): Uint8Array {
    const latest = WriteBuffers.#latest;
    const shared = latest === undefined || latest.length !== total
      ? undefined
      : WriteBuffers.#joined.get(latest);
    if (shared !== undefined && sameLines(shared.lines, queue, count)) {
      shared.users++;
      return latest!;
    }
    const bytes = WriteBuffers.take(total).subarray(0, total);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const line = queue.at(i);
      bytes.set(line, offset);
      offset += line.length;
    }
    WriteBuffers.#joined.set(bytes, { lines: queue.first(count), users: 1 });
    WriteBuffers.#latest = bytes;
    return bytes;
  }

  /** A buffer of at least `size` bytes (at most {@link MAX_WRITE_BYTES}), to hand back with {@link WriteBuffers.release}. */
  static take(size: number): Uint8Array {
    const index = WRITE_BUFFER_SIZES.findIndex((bytes) => bytes >= size);
    if (index === -1) {
      throw new RangeError(`No write buffer holds ${size} bytes`);
    }
    const spare = WriteBuffers.#spare[index].pop();
    if (spare !== undefined) return spare;
    const buffer = new Uint8Array(WRITE_BUFFER_SIZES[index]);
    WriteBuffers.#made.add(buffer.buffer);
    return buffer;
  }

  /**
   * Once its write is done: keeps `bytes` for reuse if it is (part of) a
   * buffer from {@link WriteBuffers.take}, or a batch from
   * {@link WriteBuffers.join} that no other write still uses.
   */
  static release(bytes: Uint8Array): void {
    const joined = WriteBuffers.#joined.get(bytes);
    if (joined !== undefined) {
      if (--joined.users > 0) return;
      WriteBuffers.#joined.delete(bytes);
      if (WriteBuffers.#latest === bytes) WriteBuffers.#latest = undefined;
    }
    if (!WriteBuffers.#made.has(bytes.buffer)) return;
    const index = WRITE_BUFFER_SIZES.indexOf(
      bytes.buffer.byteLength as typeof WRITE_BUFFER_SIZES[number],
    );
    const spare = WriteBuffers.#spare[index];
    if (spare.length < SPARE_WRITE_BUFFERS) {
      spare.push(new Uint8Array(bytes.buffer));
    }
    WriteBuffers.#released = true;
    if (WriteBuffers.#trimTimer === undefined) WriteBuffers.#scheduleTrim();
  }

  static #scheduleTrim(): void {
    const timer = setTimeout(WriteBuffers.#trim, SPARE_WRITE_BUFFERS_MS);
    Deno.unrefTimer(timer);
    WriteBuffers.#trimTimer = timer;
  }

  /** Drops every spare buffer once a whole period passed with none coming back. */
  static #trim(): void {
    WriteBuffers.#trimTimer = undefined;
    if (WriteBuffers.#released) {
      WriteBuffers.#released = false;
      WriteBuffers.#scheduleTrim();
      return;
    }
    for (const spare of WriteBuffers.#spare) spare.length = 0;
  }
}

/** Whether the first `count` lines of `queue` are the very buffers of `joined`, in order. */
function sameLines(
  joined: readonly Uint8Array[],
  queue: LineQueue,
  count: number,
): boolean {
  if (joined.length !== count) return false;
  for (let i = 0; i < count; i++) {
    if (queue.at(i) !== joined[i]) return false;
  }
  return true;
}
