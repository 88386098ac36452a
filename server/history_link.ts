/**
 * The history store's end of its writer thread (`server/history_worker.ts`):
 * starts the Worker, posts batches and prune requests to it, and reads the
 * shared {@link WriterControl} block, blocking on it only when the store
 * must know a batch is on disk.
 *
 * @module
 */

import {
  type CommitTimings,
  type WriteBatch,
  WriterControl,
  type WriterReply,
  type WriterRequest,
  WriterState,
} from "./history_control.ts";

/** Longest the writer may take to load and open the file, in ms. */
const START_TIMEOUT_MS = 30_000;
/** Longest the store blocks on one batch before it gives up on it, in ms. */
const WAIT_TIMEOUT_MS = 60_000;

/** What the link tells its store. */
export interface WriterLinkEvents {
  /** The writer could not commit a batch (see {@link WriterLink.committed}); called from the event loop. */
  failed(): void;
  /** A problem worth the operator's attention. */
  log(line: string): void;
}

/** A running writer thread for one history file. */
export class WriterLink {
  #worker: Worker;
  #control = new WriterControl();
  #events: WriterLinkEvents;
  #prunes = new Map<
    number,
    { resolve(count: number): void; reject(error: Error): void }
  >();
  #nextPrune = 1;
  /** The writer stopped, or stopped answering: nothing is handed to it or waited for any more. */
  #gaveUp = false;

  /**
   * Starts a writer on `path` (whose schema is up to date) and waits until
   * it has opened the file. Throws an error naming SQLite's reason if it
   * cannot, or if it does not start in time.
   */
  constructor(
    path: string,
    maxBytes: number | undefined,
    events: WriterLinkEvents,
  ) {
    this.#events = events;
    this.#worker = new Worker(
      new URL("./history_worker.ts", import.meta.url),
      { type: "module" },
    );
    this.#worker.onmessage = (event: MessageEvent<WriterReply>) =>
      this.#receive(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#gaveUp = true;
      this.#control.setState(WriterState.Failed);
      events.log(
        `History writer thread failed (${event.message}); history is no longer kept until the server restarts.`,
      );
    };
    this.#post({
      kind: "open",
      path,
      maxBytes,
      control: this.#control.buffer,
    });
    const state = this.#control.waitState(
      WriterState.Starting,
      START_TIMEOUT_MS,
    );
    if (state === WriterState.Ready) return;
    this.#worker.terminate();
    throw new Error(
      state === WriterState.Failed
        ? this.#control.reason
        : `its writer thread did not start within ${START_TIMEOUT_MS / 1000} s`,
    );
  }

  #post(message: WriterRequest): void {
    this.#worker.postMessage(message);
  }

  #receive(reply: WriterReply): void {
    if (reply.kind === "failed") {
      this.#events.failed();
      return;
    }
    const waiting = this.#prunes.get(reply.request);
    this.#prunes.delete(reply.request);
    if (reply.kind === "pruned") waiting?.resolve(reply.count);
    else waiting?.reject(new Error(reply.reason));
  }

  /** Whether the writer takes batches: false once it stopped or was given up on. */
  get usable(): boolean {
    return !this.#gaveUp && this.#control.state === WriterState.Ready;
  }

  /** Hands `batch` to the writer, to commit after those posted before it. */
  write(batch: WriteBatch): void {
    this.#post({ kind: "write", batch });
  }

  /** Whether batch `seq` is finished, committed or not. */
  isDone(seq: number): boolean {
    return this.#control.isDone(seq);
  }

  /**
   * Blocks until batch `seq` is finished. False if the writer is not
   * usable, or, having logged it and given up on the writer, if it stopped
   * or took longer than a minute (a disk that hangs).
   */
  waitDone(seq: number): boolean {
    if (this.#control.isDone(seq)) return true;
    if (!this.usable) return false;
    if (this.#control.waitDone(seq, WAIT_TIMEOUT_MS)) return true;
    this.#gaveUp = true;
    this.#events.log(
      this.#control.state === WriterState.Ready
        ? `History writer has not committed for ${
          WAIT_TIMEOUT_MS / 1000
        } s (is the disk hung?); history is no longer kept until the server restarts.`
        : "History writer thread has stopped; history is no longer kept until the server restarts.",
    );
    return false;
  }

  /** Whether finished batch `seq` was committed; false means its writes were lost. */
  committed(seq: number): boolean {
    return this.#control.committed(seq);
  }

  /** Why the latest batch that was not committed failed. */
  get failure(): string {
    return this.#control.reason;
  }

  /** A running average of the time from {@link write} to the batch's commit, ms (0 before the first). */
  get latencyMs(): number {
    return this.#control.latencyMs;
  }

  /** The writer's commit timings. */
  get timings(): CommitTimings {
    return this.#control.timings;
  }

  /** Deletes lines older than `olderThan` after the batches posted so far; resolves to the count. */
  prune(olderThan: number): Promise<number> {
    const request = this.#nextPrune++;
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    this.#prunes.set(request, { resolve, reject });
    this.#post({ kind: "prune", request, olderThan });
    return promise;
  }

  /**
   * Lets the writer finish every batch posted, close its connection and
   * stop. A prune cut short resolves to what it had deleted.
   */
  close(): void {
    if (this.usable) {
      this.#post({ kind: "close" });
      if (
        this.#control.waitState(WriterState.Ready, WAIT_TIMEOUT_MS) ===
          WriterState.Ready
      ) {
        this.#events.log(
          `History writer took over ${
            WAIT_TIMEOUT_MS / 1000
          } s to close; stopping it.`,
        );
      }
    }
    const { request, count } = this.#control.pruning;
    for (const [waiting, { resolve }] of this.#prunes) {
      resolve(waiting === request ? count : 0);
    }
    this.#prunes.clear();
    this.#worker.terminate();
  }
}
