/**
 * Event-loop lag: a timer due every {@link LAG_INTERVAL_MS} measures how late
 * it fires. Everything the server does runs on one thread, so lateness is
 * time some callback kept every client waiting.
 *
 * @module
 */

/** How often the lag is sampled. */
export const LAG_INTERVAL_MS = 500;

/** Samples the event loop's lateness until stopped. */
export class EventLoopLag {
  #timer: ReturnType<typeof setInterval>;
  #expected: number;
  #lastSeconds = 0;
  #maxSeconds = 0;
  #sumSeconds = 0;
  #samples = 0;

  /** Starts sampling; the timer never keeps the process alive on its own. */
  constructor() {
    this.#expected = performance.now() + LAG_INTERVAL_MS;
    const timer = setInterval(() => this.#sample(), LAG_INTERVAL_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #sample(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.#expected) / 1000;
    this.#expected = now + LAG_INTERVAL_MS;
    this.#lastSeconds = lag;
    this.#maxSeconds = Math.max(this.#maxSeconds, lag);
    this.#sumSeconds += lag;
    this.#samples++;
  }

  /** The latest sample, in seconds. */
  get lastSeconds(): number {
    return this.#lastSeconds;
  }

  /** The largest sample since start, in seconds. */
  get maxSeconds(): number {
    return this.#maxSeconds;
  }

  /** The sum of all samples, in seconds (with {@link samples}, a Prometheus summary). */
  get sumSeconds(): number {
    return this.#sumSeconds;
  }

  /** How many samples were taken. */
  get samples(): number {
    return this.#samples;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
