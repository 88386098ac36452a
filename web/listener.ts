/**
 * The web listener: HTTP (HTTPS with `--tls`, same certificate) answering
 * from a {@link Route} table. Browsers are never asked for a client
 * certificate.
 *
 * @module
 */

import { formatAddress } from "../server/listener.ts";
import { clientAddress } from "./proxy.ts";
import { type Route, routeRequest, textResponse } from "./routes.ts";

/** What {@link listenWeb} needs. */
export interface WebListenOptions {
  /** Address to listen on. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** PEM certificate and key: serve HTTPS/WSS instead of HTTP/WS. */
  tls?: { cert: string; key: string };
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
  /** Stops listening and closes open HTTP connections. */
  close(): Promise<void>;
}

/** Longest a shutdown waits for in-flight HTTP requests before giving up on them. */
const SHUTDOWN_MS = 1000;

/** Starts the web listener. Throws `Deno.errors.AddrInUse` when the port is taken. */
export function listenWeb(options: WebListenOptions): WebListener {
  const secure = options.tls !== undefined;
  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    ...options.tls,
    // The server logs its own line naming the page's URL.
    onListen: () => {},
    onError: (error) => {
      options.log(
        `web request failed: ${error instanceof Error ? error.message : error}`,
      );
      return textResponse(500, "Internal Server Error");
    },
  }, (request, info) =>
    routeRequest(options.routes, {
      request,
      url: new URL(request.url),
      remote: clientAddress(
        info.remoteAddr,
        request.headers,
        options.trustedProxies,
      ),
      secure,
    }));
  const addr = server.addr;
  return {
    addr,
    url: `${secure ? "https" : "http"}://${formatAddress(addr)}/`,
    async close() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise((done) => timer = setTimeout(done, SHUTDOWN_MS)),
      ]);
      clearTimeout(timer);
    },
  };
}
