/**
 * The WebSocket route: checks the page's origin, negotiates the IRCv3
 * subprotocol and hands the socket to the server as one more connection.
 *
 * @module
 */

import type { Transport } from "../server/connection.ts";
import { formatAddress } from "../server/listener.ts";
import { isOriginAllowed } from "./origin.ts";
import { type Route, textResponse } from "./routes.ts";
import { negotiateSubprotocol } from "./subprotocol.ts";
import { WebSocketTransport } from "./transport.ts";

/** Admits a connection as the TCP listeners do (limits, then the IRC session). */
export type Admit = (
  transport: Transport,
  remote: Deno.NetAddr,
  secure: boolean,
) => void;

/** What {@link webSocketRoute} needs. */
export interface WebSocketRouteOptions {
  /** Hands over each upgraded socket. */
  admit: Admit;
  /** Origins allowed besides the server's own (`--web-origin`). */
  origins: readonly string[];
  /** Writes a log line. */
  log: (line: string) => void;
}

/** The route that upgrades `GET /` to a WebSocket speaking IRC. */
export function webSocketRoute(options: WebSocketRouteOptions): Route {
  return {
    method: "GET",
    path: "/",
    websocket: true,
    handle({ request, remote, secure }) {
      const origin = request.headers.get("origin");
      if (
        !isOriginAllowed(origin, request.headers.get("host"), options.origins)
      ) {
        options.log(
          `refused WebSocket from ${
            formatAddress(remote)
          }: origin ${origin} not allowed (see --web-origin)`,
        );
        return textResponse(403, "Forbidden: cross-origin WebSocket");
      }
      const { protocol, framing } = negotiateSubprotocol(
        request.headers.get("sec-websocket-protocol"),
      );
      return {
        webSocket: {
          protocol,
          open: (conn, leftover) => {
            // Each batch of lines is one write; Nagle would hold the next back.
            if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
            options.admit(
              new WebSocketTransport(conn, framing, leftover),
              remote,
              secure,
            );
          },
        },
      };
    },
  };
}
