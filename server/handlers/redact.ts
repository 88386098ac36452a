/**
 * `REDACT <channel> <msgid> [:<reason>]` (draft/message-redaction): the
 * sender of a recent channel message, or a channel operator, withdraws it.
 * Members with the capability get the REDACT; the message is also deleted
 * from the channel's history. Errors are standard replies.
 *
 * @module
 */

import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { sendFromServer, sendRelay } from "../delivery.ts";
import { relayFrom } from "../replies.ts";
import { findChannel } from "../state.ts";

/** The capability that announces REDACT. */
export const REDACTION_CAP = "draft/message-redaction";

function redact(
  server: ServerContext,
  session: Session,
  params: string[],
): void {
  const { user } = session;
  const [target, msgid, reason] = params;
  const fail = (code: string, ...rest: string[]) =>
    sendFromServer(user, server.options.name, "FAIL", [
      "REDACT",
      code,
      ...rest,
    ]);
  const channel = findChannel(server.state, target);
  const member = channel?.members.get(user);
  if (channel === undefined || member === undefined) {
    fail(
      "INVALID_TARGET",
      target,
      "You can only redact in channels you are in",
    );
    return;
  }
  const sender = channel.recent.get(msgid);
  if (sender === undefined) {
    fail("UNKNOWN_MSGID", channel.name, msgid, "No such recent message");
    return;
  }
  if (sender !== user && !member.op) {
    fail(
      "REDACT_FORBIDDEN",
      channel.name,
      msgid,
      "Only its sender or a channel operator may redact a message",
    );
    return;
  }
  channel.recent.delete(msgid);
  server.history?.store.forget(channel.key, msgid);
  const relay = relayFrom(
    server,
    user,
    "REDACT",
    reason ? [channel.name, msgid, reason] : [channel.name, msgid],
  );
  for (const to of channel.members.keys()) {
    if (to.caps.has(REDACTION_CAP)) sendRelay(to, relay);
  }
}

/** The REDACT command for the command table. */
export const redactCommands: Record<string, CommandSpec> = {
  REDACT: {
    handler: (s, c, m) => redact(s, c, m.params),
    minParams: 2,
    beforeRegistration: false,
  },
};
