/**
 * Write buffers for joining a connection's queued lines into one socket
 * write, reused rather than allocated per write.
 *
 * @module
 */

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

  /** Once its write is done: keeps `bytes` for reuse if it is (part of) a buffer from {@link WriteBuffers.take}. */
  static release(bytes: Uint8Array): void {
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
