/** The client's connection phases: allowed moves only, and waiting for a phase. */

import {
  Lifecycle,
  LifecycleError,
  type Phase,
  TRANSITIONS,
} from "../client/lifecycle.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";

Deno.test("lifecycle: a first connection, a loss, a retry and a quit", () => {
  const lifecycle = new Lifecycle();
  const path: Phase[] = [
    "registering",
    "naming",
    "registering",
    "ready",
    "waiting-to-retry",
    "connecting",
    "registering",
    "ready",
    "quitting",
    "done",
  ];
  for (const phase of path) {
    lifecycle.enter(phase);
    assertEquals(lifecycle.phase, phase);
  }
  assertOk(lifecycle.leaving);
});

Deno.test("lifecycle: moves outside the table throw, naming both phases", () => {
  const cases: [Phase[], Phase][] = [
    [[], "ready"],
    [["registering", "ready"], "naming"],
    [["quitting"], "connecting"],
    [["done"], "connecting"],
  ];
  for (const [before, next] of cases) {
    const lifecycle = new Lifecycle();
    for (const phase of before) lifecycle.enter(phase);
    let error: unknown;
    try {
      lifecycle.enter(next);
    } catch (caught) {
      error = caught;
    }
    assertOk(error instanceof LifecycleError, `${before} -> ${next}`);
    assertOk(error.message.includes(`to ${next}`));
  }
  for (const [from, targets] of Object.entries(TRANSITIONS)) {
    assertOk(!targets.includes(from as Phase), `${from} lists itself`);
  }
  assertEquals(TRANSITIONS.done, []);
});

Deno.test("lifecycle: reached resolves on the first matching phase, at once if already there", async () => {
  const lifecycle = new Lifecycle();
  assertEquals(await lifecycle.reached("connecting"), "connecting");
  const ready = lifecycle.reached("ready", "done");
  lifecycle.enter("registering");
  lifecycle.enter("done");
  assertEquals(await ready, "done");
});
