/**
 * `REDACT <target> <msgid> [:<reason>]` (draft/message-redaction): the
 * sender of a recent channel message, or a channel operator, withdraws it;
 * the sender of a recent private message withdraws it. Those with the
 * capability get the REDACT; a channel message is also deleted from the
 * channel's history. Errors are standard replies.
 *
 * @module
 */

import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { sendFromServer, sendRelay } from "../delivery.ts";
import { relayFrom } from "../replies.ts";
import { isChannelName } from "../../protocol/names.ts";
import { findChannel, findUser } from "../state.ts";

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
  if (!isChannelName(target)) {
    const recipient = findUser(server.state, target);
    if (recipient === undefined) {
      fail("INVALID_TARGET", target, "No such nick");
      return;
    }
    if (user.recentPrivate?.get(msgid) !== recipient) {
      fail("UNKNOWN_MSGID", target, msgid, "No such recent message of yours");
      return;
    }
    user.recentPrivate!.delete(msgid);
    const relay = relayFrom(
      server,
      user,
      "REDACT",
      reason ? [target, msgid, reason] : [target, msgid],
    );
    for (const to of new Set([user, recipient])) {
      if (to.caps.has(REDACTION_CAP)) sendRelay(to, relay);
    }
    return;
  }
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
