/**
 * IRCv3 `labeled-response`: everything the server sends a client in answer
 * to a command that carried a `label` tag is tied to that label. One line
 * gets the tag itself, several come in a `labeled-response` batch, and none
 * at all is answered with `ACK`.
 *
 * Handlers run synchronously, so the answer is exactly what reaches the
 * client's outbox while its handler runs; {@link runLabeled} collects it there.
 *
 * @module
 */

import { escapeTagValue } from "../protocol/message.ts";
import { encodeLine } from "./delivery.ts";
import type { Outbox, User } from "./state.ts";

const decoder = new TextDecoder();

/** Longest label accepted, in bytes (the spec asks servers to allow at least 64). */
export const MAX_LABEL_BYTES = 64;

/** An outbox that keeps lines instead of sending them, in front of the real one. */
class Collector implements Outbox {
  readonly lines: Uint8Array[] = [];
  readonly real: Outbox;
  constructor(real: Outbox) {
    this.real = real;
  }
  send(line: Uint8Array): void {
    this.lines.push(line);
  }
}

/**
 * Sends `line` to `user` at once, outside any labeled response being
 * collected for it: for what reaches a user because it is a recipient (a
 * message to oneself), not because it asked.
 */
export function sendUnlabeled(user: User, line: Uint8Array): void {
  const { outbox } = user;
  (outbox instanceof Collector ? outbox.real : outbox).send(line);
}

let batches = 0;

/** `line` (CR LF included) with `tag` added to its tags. */
function withTag(line: Uint8Array, tag: string): Uint8Array {
  const text = decoder.decode(line).replace(/\r\n$/, "");
  return encodeLine(
    text.startsWith("@") ? `@${tag};${text.slice(1)}` : `@${tag} ${text}`,
  );
}

/**
 * Runs `handler` for `user`, whose command carried `label`, and sends what
 * it answered tied to the label (as a batch only when the user has `batch`).
 */
export function runLabeled(
  user: User,
  label: string,
  serverName: string,
  handler: () => void,
): void {
  const real = user.outbox;
  const collector = new Collector(real);
  user.outbox = collector;
  try {
    handler();
  } finally {
    // A handler that replaced the outbox itself (none does) keeps its own.
    if (user.outbox === collector) user.outbox = real;
  }
  const tag = `label=${escapeTagValue(label)}`;
  const { lines } = collector;
  if (lines.length === 0) {
    real.send(encodeLine(`@${tag} :${serverName} ACK`));
  } else if (lines.length === 1) {
    real.send(withTag(lines[0], tag));
  } else if (!user.caps.has("batch")) {
    for (const line of lines) real.send(line);
  } else {
    const ref = `L${(++batches).toString(36)}`;
    real.send(
      encodeLine(`@${tag} :${serverName} BATCH +${ref} labeled-response`),
    );
    for (const line of lines) real.send(withTag(line, `batch=${ref}`));
    real.send(encodeLine(`:${serverName} BATCH -${ref}`));
  }
}
