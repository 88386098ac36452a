/**
 * The declarative command table and its one dispatcher. Each command
 * declares its handler, its minimum parameter count and whether it works
 * before registration; the shared checks (421, 451, 461) and error handling
 * live here, not in the handlers.
 *
 * @module
 */

import {
  MAX_LINE_BYTES,
  type Message,
  MessageError,
  parseMessage,
  parseTags,
} from "../protocol/message.ts";
import { Numeric } from "../protocol/numerics.ts";
import { accountCommands } from "../accounts/handlers.ts";
import type { CommandSpec, ServerContext, Session } from "./context.ts";
import { channelCommands } from "./handlers/channels.ts";
import { chathistoryCommands } from "./handlers/chathistory.ts";
import { helpCommands } from "./handlers/help.ts";
import { messagingCommands } from "./handlers/messaging.ts";
import { monitorCommands } from "./handlers/monitor.ts";
import { readMarkerCommands } from "./handlers/read_marker.ts";
import { redactCommands } from "./handlers/redact.ts";
import { queryCommands } from "./handlers/queries.ts";
import { registrationCommands } from "./handlers/registration.ts";
import { sendFromServer } from "./delivery.ts";
import { runLabeled } from "./labeled.ts";
import { reply } from "./replies.ts";

/** Every command the server understands, by upper-case verb. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  Object.entries({
    ...registrationCommands,
    ...channelCommands,
    ...messagingCommands,
    ...queryCommands,
    ...chathistoryCommands,
    ...monitorCommands,
    ...readMarkerCommands,
    ...redactCommands,
    ...helpCommands,
    ...accountCommands,
  }),
);

const encoder = new TextEncoder();

/**
 * Bytes a client's tags section may take, its `@` and trailing space
 * included: 4094 bytes of tag data, as the message-tags spec allows clients
 * (the server's own 8191 leave room for the tags it adds).
 */
const MAX_CLIENT_TAGS_BYTES = 4096;

/**
 * Whether the part of `line` after its tags is over 510 bytes, or its tags
 * section over {@link MAX_CLIENT_TAGS_BYTES}: the framer only bounds their sum.
 */
function overLimits(line: string): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so short lines need no count.
  if (line.length * 3 <= MAX_LINE_BYTES - 2) return false;
  const tagsEnd = line[0] === "@" ? line.indexOf(" ") + 1 : 0;
  const tags = encoder.encode(line.slice(0, tagsEnd)).length;
  const body = encoder.encode(line.slice(tagsEnd).trimStart()).length;
  return tags > MAX_CLIENT_TAGS_BYTES || body > MAX_LINE_BYTES - 2;
}

/**
 * Parses and runs one line from `session`; malformed or over-long lines get
 * an error reply and change nothing. A line that was not valid UTF-8
 * (`invalidUtf8`, its bad bytes now U+FFFD) is run after a `WARN <command>
 * INVALID_UTF8` (ISUPPORT `UTF8ONLY`: nothing but UTF-8 is ever relayed).
 */
export function dispatchLine(
  server: ServerContext,
  session: Session,
  line: string,
  invalidUtf8 = false,
): void {
  if (overLimits(line)) {
    reply(
      server,
      session.user,
      Numeric.ERR_INPUTTOOLONG,
      "Input line was too long",
    );
    return;
  }
  let message: Message;
  try {
    message = parseMessage(line);
  } catch (error) {
    if (!(error instanceof MessageError)) throw error;
    if (error.code === "empty") return;
    if (error.code === "bad-command") {
      const verb = line.trim().replace(/^(@\S*\s+)?(:\S*\s+)?/, "").split(
        " ",
      )[0];
      labeled(
        server,
        session,
        labelOf(line),
        () =>
          reply(
            server,
            session.user,
            Numeric.ERR_UNKNOWNCOMMAND,
            verb.replace(/[^\x21-\x7e]/g, "?").slice(0, 32) || "*",
            "Unknown command",
          ),
      );
      return;
    }
    reply(server, session.user, Numeric.ERR_UNKNOWNERROR, "*", error.message);
    return;
  }
  if (!invalidUtf8) return dispatch(server, session, message);
  labeled(server, session, message.tags.label, () => {
    sendFromServer(session.user, server.options.name, "WARN", [
      message.command.toUpperCase(),
      "INVALID_UTF8",
      "Your message was not UTF-8; its invalid bytes were replaced",
    ]);
    run(server, session, message);
  });
}

/**
 * Runs one parsed message through the shared checks and its handler; with
 * labeled-response, everything it answers is tied to its `label` tag.
 */
export function dispatch(
  server: ServerContext,
  session: Session,
  message: Message,
): void {
  labeled(
    server,
    session,
    message.tags.label,
    () => run(server, session, message),
  );
}

/** Runs `handler`, its answer tied to `label` when there is one and the client has labeled-response. */
function labeled(
  server: ServerContext,
  session: Session,
  label: string | undefined,
  handler: () => void,
): void {
  if (label !== undefined && session.user.caps.has("labeled-response")) {
    runLabeled(session.user, label, server.options.name, handler);
  } else handler();
}

/** The `label` tag of a line that did not parse as a whole, if its tags do. */
function labelOf(line: string): string | undefined {
  if (line[0] !== "@") return undefined;
  try {
    return parseTags(line.slice(1, line.indexOf(" ") >>> 0)).label;
  } catch {
    return undefined;
  }
}

function run(server: ServerContext, session: Session, message: Message): void {
  const { user } = session;
  const verb = message.command.toUpperCase();
  const spec = COMMANDS.get(verb);
  if (spec === undefined) {
    reply(
      server,
      user,
      Numeric.ERR_UNKNOWNCOMMAND,
      message.command,
      "Unknown command",
    );
    return;
  }
  if (!user.registered && !spec.beforeRegistration) {
    reply(server, user, Numeric.ERR_NOTREGISTERED, "You have not registered");
    return;
  }
  if (message.params.length < spec.minParams) {
    reply(
      server,
      user,
      Numeric.ERR_NEEDMOREPARAMS,
      verb,
      "Not enough parameters",
    );
    return;
  }
  try {
    spec.handler(server, session, message);
  } catch (error) {
    server.log(
      `error handling ${verb} from ${session.address}: ${error}`,
      "error",
    );
    reply(server, user, Numeric.ERR_UNKNOWNERROR, verb, "Internal error");
  }
}
