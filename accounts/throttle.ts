/**
 * Brute-force brakes for password checks (SASL, NickServ IDENTIFY, OPER):
 * failures are counted per IP address and per account name. After a few
 * free tries each attempt waits, twice as long after each failure, and past
 * a limit attempts are refused outright until the window has passed since
 * the last failure. Pure: the caller supplies the clock and does the waiting.
 *
 * @module
 */

/** How hard the brakes are. */
export interface ThrottlePolicy {
  /** Failures allowed before attempts are delayed. */
  freeFailures: number;
  /** First delay, in ms; it doubles with each further failure. */
  delayMs: number;
  /** Longest delay, in ms. */
  maxDelayMs: number;
  /** Failures after which attempts are refused. */
  refuseAfter: number;
  /** Failures are forgotten this long after the last one, in ms. */
  windowMs: number;
}

/** The default policy: 3 free failures, then 1 s doubling to 16 s, refused after 10 failures for 10 minutes. */
export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 3,
  delayMs: 1000,
  maxDelayMs: 16_000,
  refuseAfter: 10,
  windowMs: 10 * 60_000,
};

/**
 * The default brakes on registrations from one IP address: 5 accounts
 * freely, then 1 s doubling to 16 s, refused after 20 in an hour.
 */
export const DEFAULT_REGISTER_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  delayMs: 1000,
  maxDelayMs: 16_000,
  refuseAfter: 20,
  windowMs: 60 * 60_000,
};

/** What to do with an attempt: go ahead after `delayMs`, or refuse it. */
export type ThrottleDecision =
  | { kind: "allow"; delayMs: number }
  | { kind: "refuse" };

interface Failures {
  count: number;
  last: number;
}

/** Most keys remembered; the oldest are forgotten past it, so a flood of names cannot grow memory. */
const MAX_KEYS = 10_000;

/** Failure counts by key (`ip:…`, `account:…`). */
export class Throttle {
  #policy: ThrottlePolicy;
  #failures = new Map<string, Failures>();

  /** Applies `policy`. */
  constructor(policy: ThrottlePolicy = DEFAULT_THROTTLE) {
    this.#policy = policy;
  }

  #count(key: string, now: number): number {
    const entry = this.#failures.get(key);
    if (entry === undefined) return 0;
    if (now - entry.last > this.#policy.windowMs) {
      this.#failures.delete(key);
      return 0;
    }
    return entry.count;
  }

  /** Decides on an attempt that touches every one of `keys` (the worst key counts). */
  check(keys: readonly string[], now: number): ThrottleDecision {
    const count = Math.max(0, ...keys.map((key) => this.#count(key, now)));
    const policy = this.#policy;
    if (count >= policy.refuseAfter) return { kind: "refuse" };
    const over = count - policy.freeFailures;
    if (over < 0) return { kind: "allow", delayMs: 0 };
    return {
      kind: "allow",
      delayMs: Math.min(policy.maxDelayMs, policy.delayMs * 2 ** over),
    };
  }

  /** Counts an attempt against each of `keys`: a failed login, or an account created. */
  fail(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const count = this.#count(key, now) + 1;
      this.#failures.delete(key);
      this.#failures.set(key, { count, last: now });
    }
    while (this.#failures.size > MAX_KEYS) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  /** Forgets the failures of each of `keys` after a success. */
  succeed(keys: readonly string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }
}
