/**
 * The phases a client's connection goes through and which moves between
 * them are allowed. Pure: the running client (`app.ts`) keeps its phase in
 * a {@link Lifecycle} and every change goes through it, so an impossible
 * move is a loud bug instead of a silent hang.
 *
 * @module
 */

/** Where the client is in the life of its connection. */
export type Phase =
  /** Opening TCP (and TLS) to the server. */
  | "connecting"
  /** The server refused the name before letting us in; waiting for the user to type another. */
  | "naming"
  /** Connected: registration sent, waiting for the welcome and the channels joined on connect. */
  | "registering"
  /** Registered and in its channels: typed lines go straight out. */
  | "ready"
  /** The connection was lost (or refused after we had been in): waiting before trying again. */
  | "waiting-to-retry"
  /** QUIT sent (or about to be); waiting for the server to close. */
  | "quitting"
  /** Finished: the client is exiting. */
  | "done";

/** The phases each phase may move to. */
export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  connecting: ["registering", "waiting-to-retry", "quitting", "done"],
  naming: ["registering", "connecting", "quitting", "done"],
  registering: [
    "naming",
    "ready",
    "connecting",
    "waiting-to-retry",
    "quitting",
    "done",
  ],
  ready: ["waiting-to-retry", "quitting", "done"],
  "waiting-to-retry": ["connecting", "quitting", "done"],
  quitting: ["done"],
  done: [],
};

/** Raised on a move {@link TRANSITIONS} does not allow: a bug in the client. */
export class LifecycleError extends Error {
  /** Creates the error for the move `from` → `to`. */
  constructor(from: Phase, to: Phase) {
    super(`client lifecycle: cannot go from ${from} to ${to}`);
    this.name = "LifecycleError";
  }
}

/** The current phase, changed only along {@link TRANSITIONS}. */
export class Lifecycle {
  #phase: Phase = "connecting";
  #listeners: ((phase: Phase) => void)[] = [];

  /** The current phase. */
  get phase(): Phase {
    return this.#phase;
  }

  /** Whether the client is leaving (quitting or done): nothing new starts. */
  get leaving(): boolean {
    return this.#phase === "quitting" || this.#phase === "done";
  }

  /** Moves to `next` (staying put is allowed); throws {@link LifecycleError} for a move not in the table. */
  enter(next: Phase): void {
    if (next === this.#phase) return;
    if (!TRANSITIONS[this.#phase].includes(next)) {
      throw new LifecycleError(this.#phase, next);
    }
    this.#phase = next;
    for (const listener of [...this.#listeners]) listener(next);
  }

  /** Resolves once the phase is one of `phases` (at once if it already is). */
  reached(...phases: Phase[]): Promise<Phase> {
    if (phases.includes(this.#phase)) return Promise.resolve(this.#phase);
    return new Promise((resolve) => {
      const listener = (phase: Phase) => {
        if (!phases.includes(phase)) return;
        this.#listeners = this.#listeners.filter((other) => other !== listener);
        resolve(phase);
      };
      this.#listeners.push(listener);
    });
  }
}
