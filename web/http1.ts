/**
 * A small HTTP/1.1 server for one accepted socket: GET and HEAD requests
 * answered from the route table with keep-alive, and WebSocket upgrades
 * handed over on the same socket (so IRC frames can be batched into one
 * write per burst, which the WebSocket API cannot do). Request heads are
 * bounded in size and time, and request bodies are refused, since no route
 * takes one.
 *
 * @module
 */

import { acceptKey } from "./frames.ts";
import type { RouteAnswer } from "./routes.ts";

/** Largest request head accepted, in bytes. */
export const MAX_HEAD_BYTES = 16384;
/** Time a client has to send a whole request head, in ms. */
export const HEAD_TIMEOUT_MS = 10_000;
/** Time an idle keep-alive connection stays open, in ms. */
export const IDLE_TIMEOUT_MS = 30_000;

const STATUS_TEXT: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Content Too Large",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = [0x0d, 0x0a, 0x0d, 0x0a];

/** A parsed request head. */
export interface RequestHead {
  /** Method, as sent. */
  method: string;
  /** Request target (origin form, `/path?query`). */
  target: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** Header fields. */
  headers: Headers;
}

/** Parses a request head (without its blank line); undefined when it is malformed. */
export function parseRequestHead(text: string): RequestHead | undefined {
  const [requestLine, ...lines] = text.split("\r\n");
  const match = /^([A-Z]+) (\/\S*) (HTTP\/1\.[01])$/.exec(requestLine);
  if (match === null) return undefined;
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    try {
      headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    } catch {
      return undefined;
    }
  }
  return { method: match[1], target: match[2], version: match[3], headers };
}

function indexOfHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < bytes.length; i++) {
    if (
      bytes[i] === HEAD_END[0] && bytes[i + 1] === HEAD_END[1] &&
      bytes[i + 2] === HEAD_END[2] && bytes[i + 3] === HEAD_END[3]
    ) return i;
  }
  return -1;
}

/** What {@link serveHttpConnection} needs. */
export interface HttpConnectionOptions {
  /** The accepted socket (TLS already handshaken when `secure`). */
  conn: Deno.Conn;
  /** Whether it is HTTPS. */
  secure: boolean;
  /** Host to put in URLs when a request names none. */
  defaultHost: string;
  /** Answers one request. */
  answer(request: Request): Promise<RouteAnswer>;
  /** Writes a log line. */
  log: (line: string) => void;
}

/** Reads the socket: request, response, until either side closes, an error, or a WebSocket takes it over. */
export async function serveHttpConnection(
  options: HttpConnectionOptions,
): Promise<void> {
  const { conn } = options;
  let buffered: Uint8Array = new Uint8Array(0);
  let keepOpen = true;
  let first = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let upgraded = false;
  const closeConn = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  try {
    while (keepOpen) {
      // Slow or idle clients do not hold a socket for ever.
      timer = setTimeout(closeConn, first ? HEAD_TIMEOUT_MS : IDLE_TIMEOUT_MS);
      let end = indexOfHeadEnd(buffered, 0);
      while (end === -1) {
        if (buffered.length > MAX_HEAD_BYTES) {
          clearTimeout(timer);
          await respond(
            conn,
            new Response("Request head too large\n", { status: 431 }),
            false,
            true,
          );
          return;
        }
        const chunk = new Uint8Array(4096);
        const count = await conn.read(chunk);
        if (count === null) return;
        const joined = new Uint8Array(buffered.length + count);
        joined.set(buffered);
        joined.set(chunk.subarray(0, count), buffered.length);
        const from = buffered.length;
        buffered = joined;
        end = indexOfHeadEnd(buffered, from);
      }
      clearTimeout(timer);
      first = false;
      if (end > MAX_HEAD_BYTES) {
        await respond(
          conn,
          new Response("Request head too large\n", { status: 431 }),
          false,
          true,
        );
        return;
      }
      const head = parseRequestHead(decoder.decode(buffered.subarray(0, end)));
      const rest = buffered.slice(end + 4);
      buffered = new Uint8Array(0);
      if (head === undefined) {
        await respond(
          conn,
          new Response("Bad request\n", { status: 400 }),
          false,
          true,
        );
        return;
      }
      const contentLength = head.headers.get("content-length");
      if (
        head.headers.has("transfer-encoding") ||
        (contentLength !== null && contentLength !== "0")
      ) {
        await respond(
          conn,
          new Response("Request bodies are not accepted\n", { status: 413 }),
          false,
          true,
        );
        return;
      }
      const connection = head.headers.get("connection")?.toLowerCase() ?? "";
      keepOpen = head.version === "HTTP/1.1"
        ? !connection.includes("close")
        : connection.includes("keep-alive");
      const scheme = options.secure ? "https" : "http";
      let url: URL;
      try {
        url = new URL(
          `${scheme}://${
            head.headers.get("host") ?? options.defaultHost
          }${head.target}`,
        );
      } catch {
        await respond(
          conn,
          new Response("Bad request\n", { status: 400 }),
          false,
          true,
        );
        return;
      }
      const request = new Request(url, {
        method: head.method,
        headers: head.headers,
      });
      let answer: RouteAnswer;
      try {
        answer = await options.answer(request);
      } catch (error) {
        options.log(
          `web request failed: ${
            error instanceof Error ? error.message : error
          }`,
        );
        answer = new Response("Internal Server Error\n", { status: 500 });
      }
      if (answer instanceof Response) {
        await respond(conn, answer, head.method === "HEAD", !keepOpen);
        buffered = rest;
        continue;
      }
      const key = head.headers.get("sec-websocket-key");
      if (
        key === null || head.headers.get("sec-websocket-version") !== "13" ||
        !connection.includes("upgrade")
      ) {
        await respond(
          conn,
          new Response("Bad WebSocket handshake\n", {
            status: 400,
            headers: { "sec-websocket-version": "13" },
          }),
          false,
          true,
        );
        return;
      }
      const lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Accept: ${await acceptKey(key)}`,
      ];
      if (answer.webSocket.protocol !== undefined) {
        lines.push(`Sec-WebSocket-Protocol: ${answer.webSocket.protocol}`);
      }
      await writeAll(conn, encoder.encode(`${lines.join("\r\n")}\r\n\r\n`));
      upgraded = true;
      answer.webSocket.open(conn, rest);
      return;
    }
  } catch {
    // A reset or a closed socket ends this connection only.
  } finally {
    clearTimeout(timer);
    if (!upgraded) closeConn();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Writes `response` (its whole body, with Content-Length), saying whether the socket stays open after it. */
async function respond(
  conn: Deno.Conn,
  response: Response,
  headOnly: boolean,
  close: boolean,
): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const lines = [
    `HTTP/1.1 ${response.status} ${
      STATUS_TEXT[response.status] ?? response.statusText ?? ""
    }`,
  ];
  for (const [name, value] of response.headers) {
    if (!/^(content-length|connection|transfer-encoding)$/i.test(name)) {
      lines.push(`${name}: ${value}`);
    }
  }
  lines.push(`content-length: ${body.length}`);
  lines.push(`connection: ${close ? "close" : "keep-alive"}`);
  const head = encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
  if (headOnly || body.length === 0) {
    await writeAll(conn, head);
  } else {
    const whole = new Uint8Array(head.length + body.length);
    whole.set(head);
    whole.set(body, head.length);
    await writeAll(conn, whole);
  }
}
