/**
 * The IRCv3 `CHATHISTORY` command (draft/chathistory): LATEST, BEFORE,
 * AFTER, AROUND and BETWEEN on channels the client is in, answered from the
 * history store in a `chathistory` batch. Errors use standard replies
 * (`FAIL CHATHISTORY ...`). TARGETS is not offered: private messages are not
 * stored.
 *
 * @module
 */

import { Numeric } from "../../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { sendFromServer } from "../delivery.ts";
import type { HistoryLine, HistoryRef } from "../history.ts";
import { sendLines } from "../history_hook.ts";
import { formatReplay } from "../replay.ts";
import { reply } from "../replies.ts";
import { findChannel } from "../state.ts";

/** Most lines one CHATHISTORY request returns (ISUPPORT `CHATHISTORY`). */
export const CHATHISTORY_MAX = 100;

/** The ISUPPORT tokens that announce CHATHISTORY. */
export const CHATHISTORY_ISUPPORT = [
  `CHATHISTORY=${CHATHISTORY_MAX}`,
  "MSGREFTYPES=timestamp,msgid",
] as const;

/** How many message references each supported subcommand takes. */
const REFERENCES: Record<string, number> = {
  LATEST: 1,
  BEFORE: 1,
  AFTER: 1,
  AROUND: 1,
  BETWEEN: 2,
};
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Parses `msgid=…`, `timestamp=…` or (where allowed) `*`; `null` when malformed. */
export function parseHistoryRef(
  text: string,
  allowStar: boolean,
): HistoryRef | undefined | null {
  if (text === "*") return allowStar ? undefined : null;
  const equals = text.indexOf("=");
  const kind = text.slice(0, equals);
  const value = text.slice(equals + 1);
  if (equals <= 0 || value === "") return null;
  if (kind === "msgid") return { msgid: value };
  if (kind !== "timestamp" || !TIMESTAMP.test(value)) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : { time };
}

function chathistory(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const history = server.history;
  if (history === undefined) {
    reply(
      server,
      user,
      Numeric.ERR_UNKNOWNCOMMAND,
      "CHATHISTORY",
      "Unknown command",
    );
    return;
  }
  const fail = (code: string, ...rest: string[]) =>
    sendFromServer(user, server.options.name, "FAIL", [
      "CHATHISTORY",
      code,
      ...rest,
    ]);
  const [given = "", target = "", ...rest] = params;
  const subcommand = given.toUpperCase();
  const references = REFERENCES[subcommand];
  if (references === undefined) {
    fail("INVALID_PARAMS", given || "*", "Unknown or unsupported subcommand");
    return;
  }
  if (rest.length < references + 1) {
    fail("NEED_MORE_PARAMS", subcommand, "Missing parameters");
    return;
  }
  const refTexts = rest.slice(0, references);
  const limitText = rest[references];
  const refs = refTexts.map((text) =>
    parseHistoryRef(text, subcommand === "LATEST")
  );
  const bad = refTexts.find((_, index) => refs[index] === null) ??
    (/^\d{1,9}$/.test(limitText) ? undefined : limitText);
  if (bad !== undefined) {
    fail(
      "INVALID_PARAMS",
      subcommand,
      bad,
      "Invalid message reference or limit",
    );
    return;
  }
  const channel = findChannel(server.state, target);
  if (channel === undefined || !channel.members.has(user)) {
    fail(
      "INVALID_TARGET",
      subcommand,
      target || "*",
      "You can only read the history of channels you are in",
    );
    return;
  }
  const limit = Number(limitText);
  const count = Math.min(
    limit === 0 ? CHATHISTORY_MAX : limit,
    CHATHISTORY_MAX,
  );
  const [first, second] = refs as (HistoryRef | undefined)[];
  let lines: HistoryLine[];
  try {
    const { store } = history;
    const key = channel.key;
    switch (subcommand) {
      case "LATEST":
        lines = store.latest(key, count, first);
        break;
      case "BEFORE":
        lines = store.before(key, first!, count);
        break;
      case "AFTER":
        lines = store.after(key, first!, count);
        break;
      case "AROUND":
        lines = store.around(key, first!, count);
        break;
      default:
        lines = store.between(key, first!, second!, count);
    }
  } catch (error) {
    server.log(
      `Cannot read history of ${channel.name}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    fail(
      "MESSAGE_ERROR",
      subcommand,
      channel.name,
      "Messages could not be retrieved",
    );
    return;
  }
  const privacy = server.channelPrivacy;
  if (privacy !== undefined) {
    lines = lines.filter((line) => privacy.readable(channel, line.time));
  }
  sendLines(
    user,
    formatReplay(lines, {
      caps: user.caps,
      serverName: server.options.name,
      target: channel.name,
      batchRef: history.nextBatchRef(),
      framedWhenEmpty: true,
    }),
  );
}

/** The CHATHISTORY command for the command table. */
export const chathistoryCommands: Record<string, CommandSpec> = {
  CHATHISTORY: {
    handler: (s, c, m) => chathistory(s, c, m.params),
    minParams: 0,
    beforeRegistration: false,
  },
};
