/**
 * `MARKREAD <target> [timestamp=<time>]` (draft/read-marker): where a client
 * has read a conversation up to. A marker only moves forward; the answer is
 * always the marker now stored (`*` for none). A logged-in user's markers
 * belong to its account (kept in memory across reconnects, sent to its
 * other sessions); joining a channel tells the client its marker before the
 * end of NAMES.
 *
 * @module
 */

import { casefold } from "../../protocol/names.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { sendFromServer } from "../delivery.ts";
import type { ChatState, User } from "../state.ts";

/** Where `user`'s markers are kept: its account's (shared by its sessions), or its own while not logged in. */
function markersOf(state: ChatState, user: User): Map<string, string> {
  if (user.account === undefined) return user.readMarkers ??= new Map();
  let markers = state.readMarkers.get(user.account);
  if (markers === undefined) {
    state.readMarkers.set(user.account, markers = new Map());
  }
  return markers;
}

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
    markersOf(server.state, user).get(casefold(target)) ?? "*",
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
    const markers = markersOf(server.state, user);
    const key = casefold(target);
    const stored = markers.get(key);
    if (
      stored === undefined ||
      Date.parse(match[1]) > Date.parse(stored.slice("timestamp=".length))
    ) {
      markers.set(key, given);
      // The account's other sessions with the capability hear of it too.
      for (const other of server.state.users.values()) {
        if (
          other !== user && other.account !== undefined &&
          other.account === user.account && other.caps.has(READ_MARKER_CAP)
        ) sendReadMarker(server, other, target);
      }
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
