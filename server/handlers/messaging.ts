/**
 * Messages between users: PRIVMSG, NOTICE and TAGMSG, to channels and nicks.
 * NOTICE never triggers an error reply, as RFC 1459 requires.
 *
 * @module
 */

import type { Message } from "../../protocol/message.ts";
import { casefold, isChannelName } from "../../protocol/names.ts";
import { Numeric } from "../../protocol/numerics.ts";
import { SERVICES } from "../../accounts/handlers.ts";
import type { CommandSpec, ServerContext, Session } from "../context.ts";
import { nextMsgid, type Relay, relayBytes } from "../delivery.ts";
import { sendUnlabeled } from "../labeled.ts";
import { relayFrom, reply } from "../replies.ts";
import {
  canSpeak,
  type Channel,
  findChannel,
  findUser,
  type Member,
  rememberMessage,
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

/** Whether `text` is a CTCP other than ACTION, which `+C` keeps out. */
function isCtcpRequest(text: string): boolean {
  return text.startsWith("\x01") && !text.startsWith("\x01ACTION");
}

/** Channel prefixes a message may be addressed with to reach only members of that standing (ISUPPORT `STATUSMSG`). */
export const STATUSMSG = "@+";

/** Whether a member of `standing` gets a message addressed with status prefix `status` (`""` for everyone). */
function reaches(standing: Member, status: string): boolean {
  if (status === "") return true;
  if (status.includes("+")) return standing.op || standing.voice;
  return standing.op;
}

/**
 * Sends to the members of `channel` (those of the `status` standing, when
 * given) but the sender; a TAGMSG only to those with message-tags. Returns
 * how many got it.
 */
function toChannel(
  channel: Channel,
  relay: Relay,
  sender: User,
  status: string,
): number {
  const tagsOnly = relay.command === "TAGMSG";
  let delivered = 0;
  // Keys only: an entries loop allocates a [member, standing] pair per
  // member and message, a third of all allocation under a burst.
  for (const member of channel.members.keys()) {
    // A user of another node gets it from its own node.
    if (member === sender || member.outbox.remote) continue;
    if (status !== "" && !reaches(channel.members.get(member)!, status)) {
      continue;
    }
    if (tagsOnly && !member.caps.has("message-tags")) continue;
    member.outbox.send(relayBytes(relay, member));
    delivered++;
  }
  return delivered;
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
  // A bot's messages carry the `bot` tag (IRCv3 bot mode).
  const tags = user.bot
    ? { ...clientTags(message), bot: "" }
    : clientTags(message);
  const echo = user.caps.has("echo-message");
  user.lastSpokeAt = server.now();
  for (const target of new Set(named.slice(0, MAX_TARGETS))) {
    const status = /^[@+]*/.exec(target)![0];
    if (isChannelName(target.slice(status.length))) {
      const channel = findChannel(server.state, target.slice(status.length));
      if (channel === undefined) {
        error(Numeric.ERR_NOSUCHCHANNEL, target, "No such channel");
        continue;
      }
      if (
        !canSpeak(channel, user) ||
        (channel.modes.noCtcp && isCtcpRequest(text) && command !== "TAGMSG")
      ) {
        error(
          Numeric.ERR_CANNOTSENDTOCHAN,
          channel.name,
          "Cannot send to channel",
        );
        continue;
      }
      const addressed = status + channel.name;
      const params = command === "TAGMSG" ? [addressed] : [addressed, text];
      const relay = relayFrom(server, user, command, params, {
        clientTags: tags,
        msgid: nextMsgid(),
      });
      server.traffic.deliveries += toChannel(channel, relay, user, status);
      rememberMessage(channel.recent, relay.msgid!, user);
      if (echo) {
        user.outbox.send(relayBytes(relay, user));
        server.traffic.deliveries++;
      }
      // Only messages to the whole channel become its history.
      if (command !== "TAGMSG" && status === "") {
        server.history?.record(channel, relay);
      }
      continue;
    }
    const service = command === "PRIVMSG" && server.accounts !== undefined
      ? SERVICES.get(casefold(target))
      : undefined;
    if (service !== undefined) {
      service(server, session, text);
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
    // Delivery is never part of a labeled response, even to oneself: only the echo is.
    if (command !== "TAGMSG" || recipient.caps.has("message-tags")) {
      sendUnlabeled(recipient, relayBytes(relay, recipient));
      server.traffic.deliveries++;
    }
    if (echo) {
      user.outbox.send(relayBytes(relay, user));
      server.traffic.deliveries++;
    }
    rememberMessage(
      user.recentPrivate ??= new Map(),
      relay.msgid!,
      recipient,
    );
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
