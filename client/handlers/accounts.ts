/**
 * Server messages about accounts: the SASL PLAIN exchange (at connect with
 * `--sasl`, or later with `/login`), its results, and the answers to
 * `/register` (draft/account-registration).
 *
 * @module
 */

import { Numeric } from "../../protocol.ts";
import { ircMessage } from "../chat_state.ts";
import type { Incoming, ServerHandler } from "../server_messages.ts";

/** AUTHENTICATE parameters carry at most this many bytes of base64. */
const CHUNK = 400;

/** The SASL PLAIN payload for `account` and `password`, base64 in AUTHENTICATE-sized pieces (`+` after a full last piece). */
export function plainPayload(account: string, password: string): string[] {
  const bytes = new TextEncoder().encode(`${account}\0${account}\0${password}`);
  const encoded = btoa(String.fromCharCode(...bytes));
  const pieces: string[] = [];
  for (let at = 0; at < encoded.length; at += CHUNK) {
    pieces.push(encoded.slice(at, at + CHUNK));
  }
  if (encoded.length % CHUNK === 0) pieces.push("+");
  return pieces;
}

/** Ends the SASL exchange; before registration, ends capability negotiation too. */
function finish({ state, outcome }: Incoming): void {
  state.authenticating = false;
  if (!state.registered) outcome.replies.push(ircMessage("CAP", "END"));
}

/** A failed login: the server's sentence, and the exchange is over. */
const failed: ServerHandler = (incoming) => {
  const { outcome, params } = incoming;
  outcome.events.push({
    kind: "error",
    text: `Login failed: ${params.at(-1) ?? ""}`,
  });
  if (incoming.state.authenticating) finish(incoming);
};

/** Handlers by verb or numeric. */
export const accountHandlers: Record<string, ServerHandler> = {
  /** The server is ready for our credentials. */
  AUTHENTICATE: ({ state, params, outcome }) => {
    if (params[0] !== "+" || !state.authenticating || state.login === null) {
      return;
    }
    const { account, password } = state.login;
    for (const piece of plainPayload(account, password)) {
      outcome.replies.push(ircMessage("AUTHENTICATE", piece));
    }
  },
  [Numeric.RPL_LOGGEDIN]: ({ params, outcome }) => {
    outcome.events.push({
      kind: "status",
      text: `You are logged in as ${params[2] ?? params[1] ?? "?"}.`,
    });
  },
  [Numeric.RPL_LOGGEDOUT]: ({ outcome }) => {
    outcome.events.push({ kind: "status", text: "You are logged out." });
  },
  [Numeric.RPL_SASLSUCCESS]: finish,
  [Numeric.ERR_NICKLOCKED]: failed,
  [Numeric.ERR_SASLFAIL]: failed,
  [Numeric.ERR_SASLTOOLONG]: failed,
  [Numeric.ERR_SASLABORTED]: failed,
  [Numeric.ERR_SASLALREADY]: failed,
  /** The mechanisms offered, after a failure already shown. */
  [Numeric.RPL_SASLMECHS]: () => {},
  /** `REGISTER SUCCESS <account> :text` (or VERIFICATION_REQUIRED); failures come as FAIL REGISTER. */
  REGISTER: ({ params, outcome }) => {
    const [result = "", account = ""] = params;
    outcome.events.push({
      kind: "status",
      text: result === "SUCCESS"
        ? `The account ${account} is registered.`
        : params.at(-1) ?? result,
    });
  },
};
