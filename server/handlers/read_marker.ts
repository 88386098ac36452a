/**
 * `MARKREAD <target> [timestamp=<time>]` (draft/read-marker): where a client
 * has read a conversation up to. A marker only moves forward; the answer is
 * always the marker now stored (`*` for none). Joining a channel tells the
 * client its marker before the end of NAMES.
 *
 * @module
 */

import { casefold } from "../../protocol/names.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { sendFromServer } from "../delivery.ts";
import type { User } from "../state.ts";

/** The capability that enables MARKREAD. */
export const READ_MARKER_CAP = "draft/read-marker";

const TIMESTAMP = /^timestamp=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z)$/;

/** Sends `user` its marker for `target` (`timestamp=...` or `*`). */
export function sendReadMarker(
  server: ServerContext,
  user: User,
  target: string,
): void {
  sendFromServer(user, server.options.name, "MARKREAD", [
    target,
    user.readMarkers.get(casefold(target)) ?? "*",
  ]);
}

function markread(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const fail = (code: string, ...rest: string[]) =>
    sendFromServer(user, server.options.name, "FAIL", [
      "MARKREAD",
      code,
      ...rest,
    ]);
  const [target, given] = params;
  if (target === undefined || target === "") {
    fail("NEED_MORE_PARAMS", "Missing target");
    return;
  }
  if (given !== undefined) {
    const match = TIMESTAMP.exec(given);
    if (match === null || Number.isNaN(Date.parse(match[1]))) {
      fail("INVALID_PARAMS", given, "Expected timestamp=<ISO 8601 UTC time>");
      return;
    }
    const key = casefold(target);
    const stored = user.readMarkers.get(key);
    if (
      stored === undefined ||
      Date.parse(match[1]) > Date.parse(stored.slice(10))
    ) {
      user.readMarkers.set(key, given);
    }
  }
  sendReadMarker(server, user, target);
}

/** The MARKREAD command for the command table. */
export const readMarkerCommands: Record<string, CommandSpec> = {
  MARKREAD: {
    handler: (s, c, m) => markread(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
};
