/**
 * Messages between users: PRIVMSG, NOTICE and TAGMSG, to channels and nicks.
 * NOTICE never triggers an error reply, as RFC 1459 requires.
 *
 * @module
 */

import type { Message } from "../../protocol/message.ts";
import { isChannelName } from "../../protocol/names.ts";
import { Numeric } from "../../protocol/numerics.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { nextMsgid, type Relay, relayBytes } from "../delivery.ts";
import { relayFrom, reply } from "../replies.ts";
import {
  canSpeak,
  type Channel,
  findChannel,
  findUser,
  type User,
} from "../state.ts";

/** Most targets one PRIVMSG/NOTICE/TAGMSG may name (ISUPPORT `TARGMAX`). */
export const MAX_TARGETS = 8;

/** Client-only tags (`+name`) of a message, which are relayed; other tags are dropped. */
function clientTags(message: Message): Record<string, string> | undefined {
  let tags: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(message.tags)) {
    if (key.startsWith("+")) (tags ??= {})[key] = value;
  }
  return tags;
}

/** Sends to every member of `channel` but the sender; a TAGMSG only to those with message-tags. */
function toChannel(channel: Channel, relay: Relay, sender: User): void {
  const tagsOnly = relay.command === "TAGMSG";
  for (const member of channel.members.keys()) {
    if (member === sender) continue;
    if (tagsOnly && !member.caps.has("message-tags")) continue;
    member.outbox.send(relayBytes(relay, member));
  }
}

function deliver(
  server: ServerContext,
  session: Session,
  message: Message,
  command: "PRIVMSG" | "NOTICE" | "TAGMSG",
): void {
  const { user } = session;
  const quiet = command === "NOTICE";
  const error = (numeric: string, ...params: string[]) => {
    if (!quiet) reply(server, user, numeric, ...params);
  };
  const named = (message.params[0] ?? "").split(",").filter((target) =>
    target !== ""
  );
  if (named.length === 0) {
    return error(Numeric.ERR_NORECIPIENT, `No recipient given (${command})`);
  }
  const text = message.params[1] ?? "";
  if (command !== "TAGMSG" && text === "") {
    return error(Numeric.ERR_NOTEXTTOSEND, "No text to send");
  }
  const tags = clientTags(message);
  const echo = user.caps.has("echo-message");
  user.lastSpokeAt = server.now();
  for (const target of new Set(named.slice(0, MAX_TARGETS))) {
    if (isChannelName(target)) {
      const channel = findChannel(server.state, target);
      if (channel === undefined) {
        error(Numeric.ERR_NOSUCHCHANNEL, target, "No such channel");
        continue;
      }
      if (!canSpeak(channel, user)) {
        error(
          Numeric.ERR_CANNOTSENDTOCHAN,
          channel.name,
          "Cannot send to channel",
        );
        continue;
      }
      const params = command === "TAGMSG"
        ? [channel.name]
        : [channel.name, text];
      const relay = relayFrom(server, user, command, params, {
        clientTags: tags,
        msgid: nextMsgid(),
      });
      toChannel(channel, relay, user);
      if (echo) user.outbox.send(relayBytes(relay, user));
      if (command !== "TAGMSG") server.history?.record(channel, relay);
      continue;
    }
    const recipient = findUser(server.state, target);
    if (recipient === undefined) {
      error(Numeric.ERR_NOSUCHNICK, target, "No such nick/channel");
      continue;
    }
    const params = command === "TAGMSG"
      ? [recipient.nick]
      : [recipient.nick, text];
    const relay = relayFrom(server, user, command, params, {
      clientTags: tags,
      msgid: nextMsgid(),
    });
    if (command !== "TAGMSG" || recipient.caps.has("message-tags")) {
      recipient.outbox.send(relayBytes(relay, recipient));
    }
    if (echo) user.outbox.send(relayBytes(relay, user));
    if (command === "PRIVMSG" && recipient.away !== undefined) {
      reply(server, user, Numeric.RPL_AWAY, recipient.nick, recipient.away);
    }
  }
}

/** Messaging commands for the command table. */
export const messagingCommands: Record<string, CommandSpec> = {
  PRIVMSG: {
    handler: (s, c, m) => deliver(s, c, m, "PRIVMSG"),
    minParams: 0,
    beforeRegistration: false,
  },
  NOTICE: {
    handler: (s, c, m) => deliver(s, c, m, "NOTICE"),
    minParams: 0,
    beforeRegistration: false,
  },
  TAGMSG: {
    handler: (s, c, m) => deliver(s, c, m, "TAGMSG"),
    minParams: 0,
    beforeRegistration: false,
  },
};
