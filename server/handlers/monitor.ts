/**
 * The IRCv3 MONITOR command: `+ nicks`, `- nicks`, `C` (clear), `L` (list)
 * and `S` (status). Masks are not nicks, so they are never watched.
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { addMonitors, MONITOR_LIMIT, removeMonitors } from "../monitor.ts";
import { reply } from "../replies.ts";
import { findUser, prefixOf, type User } from "../state.ts";

/** Most bytes of nicks in one 730/731/732 line, leaving room for the rest. */
const LIST_ROOM = 400;

/** Sends `items` comma-separated in as few `numeric` lines as fit. */
function sendList(
  server: ServerContext,
  user: User,
  numeric: string,
  items: readonly string[],
): void {
  let line = "";
  for (const item of items) {
    if (line !== "" && line.length + 1 + item.length > LIST_ROOM) {
      reply(server, user, numeric, line);
      line = "";
    }
    line = line === "" ? item : `${line},${item}`;
  }
  if (line !== "") reply(server, user, numeric, line);
}

function monitor(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const { state } = server;
  const nicks = (params[1] ?? "").split(",").filter((nick) => nick !== "");
  switch (params[0]) {
    case "+": {
      if (nicks.length === 0) break;
      const added = addMonitors(state, user, nicks);
      sendList(
        server,
        user,
        Numeric.RPL_MONONLINE,
        added.online.map(prefixOf),
      );
      sendList(server, user, Numeric.RPL_MONOFFLINE, added.offline);
      if (added.refused.length > 0) {
        reply(
          server,
          user,
          Numeric.ERR_MONLISTFULL,
          String(MONITOR_LIMIT),
          added.refused.join(","),
          "Monitor list is full.",
        );
      }
      return;
    }
    case "-":
      if (nicks.length === 0) break;
      removeMonitors(state, user, nicks);
      return;
    case "C":
    case "c":
      removeMonitors(state, user);
      return;
    case "L":
    case "l":
      sendList(server, user, Numeric.RPL_MONLIST, [
        ...(user.monitoring?.values() ?? []),
      ]);
      reply(server, user, Numeric.RPL_ENDOFMONLIST, "End of MONITOR list");
      return;
    case "S":
    case "s": {
      const online: string[] = [];
      const offline: string[] = [];
      for (const nick of user.monitoring?.values() ?? []) {
        const target = findUser(state, nick);
        if (target === undefined) offline.push(nick);
        else online.push(prefixOf(target));
      }
      sendList(server, user, Numeric.RPL_MONONLINE, online);
      sendList(server, user, Numeric.RPL_MONOFFLINE, offline);
      return;
    }
  }
  reply(
    server,
    user,
    Numeric.ERR_NEEDMOREPARAMS,
    "MONITOR",
    "Not enough parameters",
  );
}

/** The MONITOR command for the command table. */
export const monitorCommands: Record<string, CommandSpec> = {
  MONITOR: {
    handler: (s, c, m) => monitor(s, c, m.params),
    minParams: 1,
    beforeRegistration: false,
  },
};
