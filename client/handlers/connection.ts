/**
 * Server messages about the connection itself: keepalive, capability
 * negotiation, the welcome and what the server supports, and a refused nick.
 *
 * @module
 */

import { Numeric } from "../../protocol.ts";
import { CLIENT_CAPS, ircMessage } from "../chat_state.ts";
import type { ServerHandler } from "../server_messages.ts";
import { joinAnswered } from "./channels.ts";

/** A refused nick: an error line once registered; before, the connection code picks another. */
const nickRefused: ServerHandler = ({ state, message, params, outcome }) => {
  if (state.registered) {
    outcome.events.push({ kind: "reply", message });
    return;
  }
  outcome.signals.push({
    kind: "nick-rejected",
    nick: params[1] ?? state.nick,
    reason: message.command === Numeric.ERR_NICKNAMEINUSE ? "taken" : "invalid",
  });
};

/**
 * IRCv3 standard replies (`FAIL`/`WARN`/`NOTE <command> <code> [context] :text`):
 * the server's sentence, as an error for FAIL and a note otherwise.
 */
const standardReply: ServerHandler = ({ message, params, outcome }) => {
  const [command = "", code = ""] = params;
  const text = params.length > 2 ? params.at(-1)! : code;
  const about = command === "*" ? "" : `${command}: `;
  if (message.command === "FAIL") {
    outcome.events.push({ kind: "error", text: `${about}${text}` });
  } else {
    const label = message.command === "WARN" ? "Warning: " : "";
    outcome.events.push({ kind: "info", text: `${label}${about}${text}` });
  }
};

/** Handlers by verb or numeric. */
export const connectionHandlers: Record<string, ServerHandler> = {
  FAIL: standardReply,
  WARN: standardReply,
  NOTE: standardReply,
  PING: ({ params, outcome }) => {
    outcome.replies.push(ircMessage("PONG", ...params));
  },
  PONG: ({ params, outcome }) => {
    outcome.signals.push({ kind: "pong", token: params.at(-1) ?? "" });
  },
  ERROR: ({ params, outcome }) => {
    outcome.signals.push({ kind: "closing", text: params[0] ?? "" });
  },
  /** Asks for the {@link CLIENT_CAPS} the server offers, and ends negotiation after ACK or NAK. */
  CAP: ({ state, params, outcome }) => {
    const sub = (params[1] ?? "").toUpperCase();
    const list = params.at(-1) ?? "";
    if (sub === "LS") {
      state.offeredCaps.push(
        ...list.split(" ").map((cap) => cap.split("=")[0]),
      );
      if (params[2] === "*") return; // More LS lines follow.
      const wanted = CLIENT_CAPS.filter((cap) =>
        state.offeredCaps.includes(cap)
      );
      state.offeredCaps = [];
      outcome.replies.push(
        wanted.length > 0
          ? ircMessage("CAP", "REQ", wanted.join(" "))
          : ircMessage("CAP", "END"),
      );
    } else if ((sub === "ACK" || sub === "NAK") && !state.registered) {
      if (sub === "ACK") {
        for (const cap of list.split(" ")) {
          if (cap !== "" && !cap.startsWith("-")) state.caps.add(cap);
        }
      }
      // Log in before registering ends, so the nick is ours at once.
      if (state.login !== null && state.caps.has("sasl")) {
        state.authenticating = true;
        outcome.replies.push(ircMessage("AUTHENTICATE", "PLAIN"));
        return;
      }
      if (state.login !== null) {
        outcome.events.push({
          kind: "error",
          text: "This server does not offer SASL, so you are not logged in.",
        });
      }
      outcome.replies.push(ircMessage("CAP", "END"));
    }
  },
  [Numeric.RPL_WELCOME]: ({ state, params, outcome }) => {
    if (params[0] !== undefined && params[0] !== "*") state.nick = params[0];
    state.registered = true;
    outcome.signals.push({ kind: "registered" });
    for (const [key, channel] of state.autojoin) {
      state.awaitingJoins.add(key);
      outcome.replies.push(ircMessage("JOIN", channel));
    }
    // MONITOR lists last only as long as the connection.
    if (state.notify.size > 0) {
      outcome.replies.push(
        ircMessage("MONITOR", "+", [...state.notify.values()].join(",")),
      );
    }
    joinAnswered(state, null, outcome);
  },
  [Numeric.RPL_ISUPPORT]: ({ state, params }) => {
    for (const token of params.slice(1, -1)) {
      const prefix = /^PREFIX=\(([^)]*)\)(.*)$/.exec(token);
      if (prefix !== null) {
        state.prefixModes = prefix[1];
        state.prefixes = prefix[2];
      }
      const modes = /^CHANMODES=([^,]*),([^,]*),([^,]*)/.exec(token);
      if (modes !== null) {
        state.modeParams = {
          set: modes[1] + modes[2] + modes[3],
          unset: modes[1] + modes[2],
        };
      }
    }
  },
  [Numeric.ERR_NICKNAMEINUSE]: nickRefused,
  [Numeric.ERR_ERRONEUSNICKNAME]: nickRefused,
  [Numeric.ERR_UNKNOWNCOMMAND]: ({ message, params, outcome }) => {
    // A server without capabilities registers us anyway.
    if (params[1] !== "CAP") outcome.events.push({ kind: "reply", message });
  },
};
