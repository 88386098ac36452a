/**
 * IRCv3 WebSocket subprotocol negotiation (ircv3.net/specs/extensions/websocket):
 * `binary.ircv3.net` or `text.ircv3.net`, whichever the client lists first.
 * Pure, so it is tested without sockets.
 *
 * @module
 */

/** How IRC lines travel in WebSocket messages: binary frames (raw bytes) or text frames (UTF-8). */
export type WebSocketFraming = "binary" | "text";

/** The subprotocols tertulia speaks, with the framing each means. */
export const SUBPROTOCOLS: Readonly<Record<string, WebSocketFraming>> = {
  "binary.ircv3.net": "binary",
  "text.ircv3.net": "text",
};

/** The outcome of negotiation: the subprotocol to answer with (none when the client offered none we speak) and the framing. */
export interface Negotiated {
  /** Value for the response's `Sec-WebSocket-Protocol`, or undefined to send none. */
  protocol: string | undefined;
  /** Framing to use. */
  framing: WebSocketFraming;
}

/**
 * Picks the subprotocol from a `Sec-WebSocket-Protocol` request header, in
 * the client's order of preference. A client offering none of ours (or none
 * at all) is answered without one and spoken to in text, as the spec says;
 * answering with a name the client did not offer would fail its handshake.
 */
export function negotiateSubprotocol(header: string | null): Negotiated {
  const offered = (header ?? "").split(",").map((name) => name.trim());
  for (const name of offered) {
    const framing = SUBPROTOCOLS[name.toLowerCase()];
    if (framing !== undefined) return { protocol: name, framing };
  }
  return { protocol: undefined, framing: "text" };
}
