/**
 * The web listener: HTTP (HTTPS with `--tls`, same certificate) answering
 * from a {@link Route} table, one {@link serveHttpConnection} per socket.
 * It uses the IRC listeners' accept loop and TLS relay (handshake deadline
 * included); browsers are never asked for a client certificate.
 *
 * @module
 */

import {
  acceptLoop,
  type ConnectionSource,
  formatAddress,
  listenPlain,
  listenTls,
} from "../server/listener.ts";
import type { TlsOptions } from "../server/options.ts";
import { serveHttpConnection } from "./http1.ts";
import { clientAddress } from "./proxy.ts";
import { type Route, routeRequest } from "./routes.ts";

/** What {@link listenWeb} needs. */
export interface WebListenOptions {
  /** Address to listen on. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Certificate and key files: serve HTTPS/WSS instead of HTTP/WS. */
  tls?: TlsOptions;
  /** Longest a TLS handshake may take, in ms. */
  tlsHandshakeTimeoutMs: number;
  /** The route table, matched in order. */
  routes: readonly Route[];
  /** Peers whose `X-Forwarded-For`/`X-Real-IP` are believed. */
  trustedProxies: readonly string[];
  /** Writes a log line. */
  log: (line: string) => void;
}

/** A running web listener. */
export interface WebListener {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** The page's address, as people type it (`http://127.0.0.1:59480/`). */
  readonly url: string;
  /** With HTTPS: serves new connections with this certificate chain and key from now on. */
  setKeyPair(pair: { cert: string; key: string }): void;
  /** Stops listening and closes sockets still speaking HTTP (WebSockets belong to their IRC connections). */
  close(): Promise<void>;
}

/** Starts the web listener. Rejects with `Deno.errors.AddrInUse` when the port is taken. */
export async function listenWeb(
  options: WebListenOptions,
): Promise<WebListener> {
  const secure = options.tls !== undefined;
  const source: ConnectionSource = options.tls === undefined
    ? listenPlain(options.host, options.port)
    : await listenTls(options.host, { ...options.tls, port: options.port }, {
      handshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
      log: options.log,
    });
  const open = new Set<Deno.Conn>();
  const served = new Set<Promise<void>>();
  const loop = acceptLoop(source, {
    log: options.log,
    onConnection: ({ conn, remote }) => {
      open.add(conn);
      const serving = serveHttpConnection({
        conn,
        secure,
        defaultHost: formatAddress(source.addr),
        log: options.log,
        answer: (request) =>
          routeRequest(options.routes, {
            request,
            url: new URL(request.url),
            remote: clientAddress(
              remote,
              request.headers,
              options.trustedProxies,
            ),
            secure,
          }),
      }).finally(() => {
        open.delete(conn);
        served.delete(serving);
      });
      served.add(serving);
    },
  });
  return {
    addr: source.addr,
    url: `${secure ? "https" : "http"}://${formatAddress(source.addr)}/`,
    setKeyPair: (pair) => source.setKeyPair?.(pair),
    async close() {
      source.close();
      await loop;
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(served);
    },
  };
}
