/**
 * The web listener's routes as a table: each row is a method, a path and a
 * handler, matched in order. Features add rows (the chat page, its
 * WebSocket, metrics) instead of growing one big handler.
 *
 * @module
 */

/** A request as route handlers see it. */
export interface WebRequest {
  /** The HTTP request. */
  request: Request;
  /** Its parsed URL. */
  url: URL;
  /** The client's address (the proxy's client when it is a trusted proxy). */
  remote: Deno.NetAddr;
  /** Whether it came over HTTPS. */
  secure: boolean;
}

/** A route's answer that turns the request into a WebSocket on the same socket. */
export interface WebSocketAnswer {
  /** What to answer the upgrade with, and who takes the socket. */
  webSocket: {
    /** Subprotocol for `Sec-WebSocket-Protocol`; none when undefined. */
    protocol: string | undefined;
    /** Takes the socket once the 101 response is written; `leftover` holds bytes the client sent past its request. */
    open(conn: Deno.Conn, leftover: Uint8Array): void;
  };
}

/** What a route produces: an HTTP response, or a WebSocket. */
export type RouteAnswer = Response | WebSocketAnswer;

/** One row of the route table. */
export interface Route {
  /** HTTP method (`GET`); a GET route also answers HEAD. */
  method: string;
  /** Exact path (`/`), or `*` for any path. */
  path: string;
  /** Matches only WebSocket upgrade requests (true), or only others (false, the default). */
  websocket?: boolean;
  /** Produces the answer. */
  handle(request: WebRequest): RouteAnswer | Promise<RouteAnswer>;
}

/** Whether `request` asks to upgrade to a WebSocket. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

function methodMatches(route: Route, method: string): boolean {
  return route.method === method ||
    (route.method === "GET" && method === "HEAD");
}

/** A plain-text response. */
export function textResponse(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Answers `request` with the first matching route of `routes`; 405 when
 * the path exists for another method, 404 when nothing matches. A HEAD
 * request gets the GET response whole: the HTTP writer sends only its head,
 * with the body's real Content-Length.
 */
export async function routeRequest(
  routes: readonly Route[],
  request: WebRequest,
): Promise<RouteAnswer> {
  const { method } = request.request;
  const upgrade = isWebSocketUpgrade(request.request);
  const candidates = routes.filter((route) =>
    (route.path === "*" || route.path === request.url.pathname) &&
    (route.websocket ?? false) === upgrade
  );
  const route = candidates.find((candidate) =>
    methodMatches(candidate, method)
  );
  if (route === undefined) {
    return candidates.length > 0
      ? textResponse(405, "Method Not Allowed")
      : textResponse(404, "Not Found");
  }
  return await route.handle(request);
}
