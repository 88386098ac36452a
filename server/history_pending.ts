/**
 * The writes the history store has accepted but not yet seen committed, on
 * the main thread: the open batch still filling, and the batches handed to
 * the writer thread. Reads merge them with what the file holds, so a line is
 * visible from the moment it is recorded (read-your-writes) however far the
 * writer is behind. Pure data: it knows nothing of threads or SQLite.
 *
 * @module
 */

import { casefold } from "../protocol/names.ts";
import type { HistoryLine, StoredTopic } from "./history.ts";

/** One group of writes committed together. */
export interface PendingBatch {
  /** Its number, in posting order. */
  readonly seq: number;
  /** The row id of its first line; the others follow one by one. */
  readonly firstId: number;
  /** When its first write was made, ms since the epoch: its commit is due one window later. */
  readonly since: number;
  /** Its lines, in relay order. */
  readonly lines: HistoryLine[];
  /** Its topic changes (channel key, topic or `undefined` to forget it), in order. */
  readonly topics: { key: string; topic: StoredTopic | undefined }[];
  /** Its deleted lines (channel key, msgid), applied after its lines. */
  readonly forgets: { key: string; msgid: string }[];
}

/** A pending line with the row id it will be stored under. */
export interface PendingLine {
  /** The row id. */
  id: number;
  /** The line. */
  line: HistoryLine;
}

/** The store's uncommitted writes, oldest first. */
export class PendingWrites {
  /** Batches handed to the writer, oldest first. */
  #posted: PendingBatch[] = [];
  /** The batch still taking writes. */
  #open: PendingBatch | undefined;
  #nextId: number;
  #nextSeq = 1;
  /** Lines, topics and deletions in all batches. */
  #count = 0;
  /** The latest pending topic of each channel and the batch that carries it. */
  #topics = new Map<string, { topic: StoredTopic | undefined; seq: number }>();

  /** Starts empty; the first line recorded gets row id `nextId`. */
  constructor(nextId: number) {
    this.#nextId = nextId;
  }

  /** Lines, topics and deletions not yet committed. */
  get count(): number {
    return this.#count;
  }

  /** The row id the next line will get: above every id stored or pending. */
  get nextId(): number {
    return this.#nextId;
  }

  /** The batch still taking writes, if any. */
  get open(): PendingBatch | undefined {
    return this.#open;
  }

  /** The oldest batch not yet committed (handed to the writer or open), if any. */
  get oldest(): PendingBatch | undefined {
    return this.#posted[0] ?? this.#open;
  }

  /** The newest batch handed to the writer, if any. */
  get newestPosted(): PendingBatch | undefined {
    return this.#posted[this.#posted.length - 1];
  }

  /** Batches handed to the writer and not yet settled. */
  get inFlight(): number {
    return this.#posted.length;
  }

  /** Writes in the open batch. */
  get openSize(): number {
    const open = this.#open;
    return open === undefined
      ? 0
      : open.lines.length + open.topics.length + open.forgets.length;
  }

  #batch(now: number): PendingBatch {
    if (this.#open !== undefined) return this.#open;
    const seq = this.#nextSeq;
    // Batch numbers are 32-bit for Atomics, and compared across the wrap.
    this.#nextSeq = (seq + 1) | 0;
    return this.#open = {
      seq,
      firstId: this.#nextId,
      since: now,
      lines: [],
      topics: [],
      forgets: [],
    };
  }

  /** Queues `line`, made at its own time; returns the row id it will be stored under. */
  addLine(line: HistoryLine): number {
    this.#batch(line.time).lines.push(line);
    this.#count++;
    return this.#nextId++;
  }

  /** Queues channel `key`'s new topic (`undefined` forgets it), made at `now`. */
  addTopic(key: string, topic: StoredTopic | undefined, now: number): void {
    const batch = this.#batch(now);
    batch.topics.push({ key, topic });
    this.#topics.set(key, { topic, seq: batch.seq });
    this.#count++;
  }

  /** Queues the deletion of line `msgid` of channel `key`, made at `now`. */
  addForget(key: string, msgid: string, now: number): void {
    this.#batch(now).forgets.push({ key, msgid });
    this.#count++;
  }

  /** Closes the open batch and counts it as handed to the writer; `undefined` when none is open. */
  take(): PendingBatch | undefined {
    const batch = this.#open;
    if (batch === undefined) return undefined;
    this.#open = undefined;
    this.#posted.push(batch);
    return batch;
  }

  /**
   * Forgets the batches the writer has finished, oldest first, as `isDone`
   * tells, handing each to `settled`.
   */
  settle(
    isDone: (seq: number) => boolean,
    settled: (batch: PendingBatch) => void,
  ): void {
    while (this.#posted.length > 0 && isDone(this.#posted[0].seq)) {
      const batch = this.#posted.shift()!;
      this.#count -= batch.lines.length + batch.topics.length +
        batch.forgets.length;
      for (const { key } of batch.topics) {
        if (this.#topics.get(key)?.seq === batch.seq) this.#topics.delete(key);
      }
      settled(batch);
    }
  }

  /** Every batch not yet finished, oldest first. */
  *#batches(): Generator<PendingBatch> {
    yield* this.#posted;
    if (this.#open !== undefined) yield this.#open;
  }

  /**
   * The pending lines of channel `key` with ids strictly between `lower` and
   * `upper`, in id order; a msgid recorded twice counts once, as in the file.
   */
  linesOf(key: string, lower: number, upper: number): PendingLine[] {
    const found: PendingLine[] = [];
    const seen = new Set<string>();
    const keyOf = folder();
    for (const batch of this.#batches()) {
      const { lines, firstId } = batch;
      const from = Math.max(0, lower + 1 - firstId);
      const to = Math.min(lines.length, upper - firstId);
      for (let index = from; index < to; index++) {
        const line = lines[index];
        if (keyOf(line.target) !== key || seen.has(line.msgid)) continue;
        seen.add(line.msgid);
        found.push({ id: firstId + index, line });
      }
    }
    return found;
  }

  /** The row id of pending line `msgid` of channel `key`, if there is one. */
  idOf(key: string, msgid: string): number | undefined {
    const keyOf = folder();
    for (const batch of this.#batches()) {
      const index = batch.lines.findIndex((line) =>
        line.msgid === msgid && keyOf(line.target) === key
      );
      if (index >= 0) return batch.firstId + index;
    }
    return undefined;
  }

  /** The row id of the first pending line of channel `key` not older than `time`, if any. */
  firstIdFrom(key: string, time: number): number | undefined {
    const keyOf = folder();
    for (const batch of this.#batches()) {
      const index = batch.lines.findIndex((line) =>
        line.time >= time && keyOf(line.target) === key
      );
      if (index >= 0) return batch.firstId + index;
    }
    return undefined;
  }

  /** Channel `key`'s pending topic (`topic` undefined: it is being forgotten), or `undefined` when none is pending. */
  topicOf(key: string): { topic: StoredTopic | undefined } | undefined {
    const pending = this.#topics.get(key);
    return pending && { topic: pending.topic };
  }
}

/** A casefold that remembers its answers, for scans where a few channel names repeat. */
function folder(): (name: string) => string {
  const folded = new Map<string, string>();
  return (name) => {
    let key = folded.get(name);
    if (key === undefined) {
      key = casefold(name);
      folded.set(name, key);
    }
    return key;
  };
}
