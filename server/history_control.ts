/**
 * How the history store (main thread) and its writer thread talk: the
 * messages the store posts, and one block of shared memory the writer
 * updates after every commit. The store reads that block without waiting
 * for its own event loop, so it can block on a commit (SIGTERM, a redaction,
 * `--history-commit-ms 0`) and account for every batch synchronously.
 *
 * @module
 */

/**
 * A batch of writes the writer commits in one transaction. Its lines travel
 * as one string and two typed arrays, which a postMessage copies in a few
 * moves, rather than as an array of values cloned one by one.
 */
export interface WriteBatch {
  /** The batch's number; batches are committed in the order they are posted. */
  seq: number;
  /** The row id of the batch's first line; the others follow one by one. */
  firstId: number;
  /** When the store handed it over, ms since the epoch (`Date.now()`, comparable across threads). */
  postedAt: number;
  /** The lines' {@link LINE_STRINGS} strings each (msgid, target, source, command, text), end to end. */
  strings: string;
  /** The length of each of those strings, in UTF-16 code units. */
  lengths: Uint32Array;
  /** Each line's time, ms since the epoch. */
  times: Float64Array;
  /** {@link TOPIC_FIELDS} values per topic: channel key, text, set by, set at; a `null` text forgets the topic. */
  topics: (string | number | null)[];
  /** Two values per deleted line: channel key, msgid. */
  forgets: string[];
}

/** Strings per line in {@link WriteBatch.strings}. */
export const LINE_STRINGS = 5;
/** Values per topic in {@link WriteBatch.topics}. */
export const TOPIC_FIELDS = 4;

/** What the store posts to the writer. */
export type WriterRequest =
  | {
    kind: "open";
    path: string;
    maxBytes?: number;
    control: SharedArrayBuffer;
  }
  | { kind: "write"; batch: WriteBatch }
  | { kind: "prune"; request: number; olderThan: number }
  | { kind: "close" };

/** What the writer posts back, besides the shared block. */
export type WriterReply =
  | { kind: "failed" }
  | { kind: "pruned"; request: number; count: number }
  | { kind: "pruneFailed"; request: number; reason: string };

/** Where the writer is in its life. */
export const WriterState = {
  /** Loading its module and opening its connection. */
  Starting: 0,
  /** Taking batches. */
  Ready: 1,
  /** It could not open the file; {@link WriterControl.reason} says why. */
  Failed: 2,
  /** Its connection is closed; it takes nothing more. */
  Closed: 3,
} as const;

/** One of the {@link WriterState} values. */
export type WriterState = typeof WriterState[keyof typeof WriterState];

/** Batches whose outcome is kept (a power of two); the store never has more in flight. */
export const OUTCOME_RING = 1024;
/** Longest failure reason kept, in UTF-8 bytes. */
const REASON_BYTES = 1024;

// Int32 slots.
const STATE = 0;
const DONE_SEQ = 1;
const REASON_LENGTH = 2;
const PRUNE_REQUEST = 3;
const INT_SLOTS = 4;
// Float64 slots, after the Int32 ones.
const COMMITS = 0;
const COMMIT_SECONDS = 1;
const LAST_COMMIT_SECONDS = 2;
const PRUNED_SO_FAR = 3;
const LATENCY = 4;
const FLOAT_SLOTS = 5;

const FLOAT_OFFSET = INT_SLOTS * 4;
const OUTCOME_OFFSET = FLOAT_OFFSET + FLOAT_SLOTS * 8;
const REASON_OFFSET = OUTCOME_OFFSET + OUTCOME_RING;
const CONTROL_BYTES = REASON_OFFSET + REASON_BYTES;

/** The commit timings the writer keeps, for metrics. */
export interface CommitTimings {
  /** Commits (transactions) since the store opened. */
  commits: number;
  /** Seconds all those commits took, together. */
  commitSeconds: number;
  /** Seconds the latest commit took. */
  lastCommitSeconds: number;
}

/** Weight of the newest batch in the running average of {@link WriterControl.latencyMs}. */
const LATENCY_WEIGHT = 0.2;

/** Whether batch `seq` comes no later than `done`, counting across the wrap of 32-bit numbers. */
function notAfter(seq: number, done: number): boolean {
  return ((done - seq) | 0) >= 0;
}

/**
 * The shared block: the writer's state, the last batch it finished, whether
 * each recent batch was committed, the latest failure reason, the commit
 * timings and the progress of a prune. The writer stores a batch's outcome
 * before its number (`Atomics.store`), so a reader that sees the number sees
 * the outcome too.
 */
export class WriterControl {
  /** The shared memory itself, to post to the writer. */
  readonly buffer: SharedArrayBuffer;
  #ints: Int32Array;
  #floats: Float64Array;
  #outcomes: Uint8Array;
  #reason: Uint8Array;

  /** Wraps `buffer`, or a new zeroed block (state Starting, nothing done). */
  constructor(buffer = new SharedArrayBuffer(CONTROL_BYTES)) {
    this.buffer = buffer;
    this.#ints = new Int32Array(buffer, 0, INT_SLOTS);
    this.#floats = new Float64Array(buffer, FLOAT_OFFSET, FLOAT_SLOTS);
    this.#outcomes = new Uint8Array(buffer, OUTCOME_OFFSET, OUTCOME_RING);
    this.#reason = new Uint8Array(buffer, REASON_OFFSET, REASON_BYTES);
  }

  /** The writer's state. */
  get state(): WriterState {
    return Atomics.load(this.#ints, STATE) as WriterState;
  }

  /** Sets the state and wakes whoever waits for it. */
  setState(state: WriterState): void {
    Atomics.store(this.#ints, STATE, state);
    Atomics.notify(this.#ints, STATE);
  }

  /** Blocks until the state is no longer `from`, or `timeoutMs` passes; the state then. */
  waitState(from: WriterState, timeoutMs: number): WriterState {
    Atomics.wait(this.#ints, STATE, from, timeoutMs);
    return this.state;
  }

  /** Whether batch `seq` is finished, committed or not. */
  isDone(seq: number): boolean {
    return notAfter(seq, Atomics.load(this.#ints, DONE_SEQ));
  }

  /**
   * Blocks until batch `seq` is finished; false if `timeoutMs` passed first
   * or the writer stopped.
   */
  waitDone(seq: number, timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.#ints, DONE_SEQ);
      if (notAfter(seq, done)) return true;
      const left = deadline - performance.now();
      if (left <= 0 || this.state !== WriterState.Ready) return false;
      Atomics.wait(this.#ints, DONE_SEQ, done, left);
    }
  }

  /** Whether finished batch `seq` was committed (false: its writes were lost). */
  committed(seq: number): boolean {
    return this.#outcomes[seq & (OUTCOME_RING - 1)] === 1;
  }

  /**
   * Writer side: records the outcome of the batch `seq` posted at
   * `postedAt` and marks it finished, waking the store.
   */
  finish(seq: number, postedAt: number, committed: boolean): void {
    const latency = Math.max(0, Date.now() - postedAt);
    const average = this.#floats[LATENCY];
    this.#floats[LATENCY] = average === 0
      ? latency
      : average + LATENCY_WEIGHT * (latency - average);
    this.#outcomes[seq & (OUTCOME_RING - 1)] = committed ? 1 : 0;
    Atomics.store(this.#ints, DONE_SEQ, seq);
    Atomics.notify(this.#ints, DONE_SEQ);
  }

  /** A running average of the time from handing a batch over to its commit, ms (0 before the first). */
  get latencyMs(): number {
    return this.#floats[LATENCY];
  }

  /** The latest failure the writer reported. */
  get reason(): string {
    const length = Atomics.load(this.#ints, REASON_LENGTH);
    return new TextDecoder().decode(this.#reason.slice(0, length));
  }

  /** Writer side: keeps `text` (cut to what fits) as the latest failure. */
  setReason(text: string): void {
    const { written } = new TextEncoder().encodeInto(text, this.#reason);
    Atomics.store(this.#ints, REASON_LENGTH, written);
  }

  /** The commit timings so far. */
  get timings(): CommitTimings {
    return {
      commits: this.#floats[COMMITS],
      commitSeconds: this.#floats[COMMIT_SECONDS],
      lastCommitSeconds: this.#floats[LAST_COMMIT_SECONDS],
    };
  }

  /** Writer side: counts one commit that took `seconds`. */
  addCommit(seconds: number): void {
    this.#floats[COMMITS]++;
    this.#floats[COMMIT_SECONDS] += seconds;
    this.#floats[LAST_COMMIT_SECONDS] = seconds;
  }

  /** The latest prune request the writer started (0 for none) and the lines it has deleted so far. */
  get pruning(): { request: number; count: number } {
    return {
      request: Atomics.load(this.#ints, PRUNE_REQUEST),
      count: this.#floats[PRUNED_SO_FAR],
    };
  }

  /** Writer side: prune request `request` has deleted `count` lines so far. */
  setPruning(request: number, count: number): void {
    this.#floats[PRUNED_SO_FAR] = count;
    Atomics.store(this.#ints, PRUNE_REQUEST, request);
  }
}
