/**
 * The queue of encoded lines waiting to be written to one connection.
 *
 * @module
 */

/** Slots a queue starts with once it holds a line. */
const FIRST_SLOTS = 16;

/**
 * Lines waiting for one connection's socket, first in, first out: a ring of
 * slots that doubles when full and keeps its slots while the connection is
 * busy. A queue that fills and drains again and again (every recipient of a
 * busy channel) then allocates nothing; a plain array that is reset when
 * drained, or cut when its head is far in, grew anew each time and was 40 %
 * of all allocation in the burst scenario. {@link LineQueue.release} lets an
 * idle connection hold no slots at all.
 */
export class LineQueue {
  #slots: (Uint8Array | undefined)[] = [];
  #head = 0;
  #length = 0;
  /** Whether a line was queued since the last {@link LineQueue.release}. */
  #used = false;

  /** How many lines are queued. */
  get length(): number {
    return this.#length;
  }

  /** Queues `line` last. */
  push(line: Uint8Array): void {
    this.#used = true;
    if (this.#length === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#length) & (this.#slots.length - 1)] = line;
    this.#length++;
  }

  /** The line `index` places from the first (0), which must be queued. */
  at(index: number): Uint8Array {
    return this.#slots[(this.#head + index) & (this.#slots.length - 1)]!;
  }

  /** The first `count` lines, as a new array. */
  first(count: number): Uint8Array[] {
    const lines = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) lines[i] = this.at(i);
    return lines;
  }

  /** Takes the first `count` lines off the queue. */
  drop(count: number): void {
    const mask = this.#slots.length - 1;
    for (let i = 0; i < count; i++) {
      this.#slots[(this.#head + i) & mask] = undefined;
    }
    this.#head = (this.#head + count) & mask;
    this.#length -= count;
  }

  /** Empties the queue and lets its slots go. */
  clear(): void {
    this.#slots = [];
    this.#head = 0;
    this.#length = 0;
  }

  /**
   * Called now and then: lets the slots go of a queue that is empty and
   * had nothing queued since the last call, so an idle connection keeps
   * none while a busy one that drains between bursts keeps them.
   */
  release(): void {
    if (this.#length === 0 && !this.#used) this.clear();
    this.#used = false;
  }

  #grow(): void {
    const slots = new Array<Uint8Array | undefined>(
      Math.max(FIRST_SLOTS, this.#slots.length * 2),
    ).fill(undefined);
    for (let i = 0; i < this.#length; i++) slots[i] = this.at(i);
    this.#slots = slots;
    this.#head = 0;
  }
}
