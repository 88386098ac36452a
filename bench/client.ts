/**
 * One raw bench connection: a TCP socket, a line splitter from protocol.ts,
 * a fast path for bench payload lines and a slow path (full parse) for
 * everything else, used only while registering.
 *
 * @module
 */

import { createLineSplitter, type Message, parseMessage } from "../protocol.ts";
import type { Transport } from "../server/connection.ts";
import { WebSocketTransport } from "../web/transport.ts";

/** Marks the trailing parameter of a bench payload line: ` :~`. */
export const PAYLOAD_MARK = " :~";

/** Called for every payload line: the line, where {@link PAYLOAD_MARK} starts, and when its chunk was read (`performance.now()`). */
export type PayloadHandler = (line: string, mark: number, now: number) => void;

/** Options for {@link connectClient}. */
export interface ClientOptions {
  /** Server port on 127.0.0.1. */
  port: number;
  /** Size of this connection's read buffer, in bytes. Defaults to 16384. */
  readBytes?: number;
  /** Connect to tertulia's web listener on `port` over WebSocket (`text.ircv3.net`, as the page does) instead of TCP. */
  webSocket?: boolean;
}

/** A connected bench client. */
export interface BenchClient {
  /** Handles payload lines; `null` sends them to the slow path like any other line. */
  onPayload: PayloadHandler | null;
  /** Called once when the server closes the connection or it fails, not after {@link BenchClient.close}. */
  onLost: (() => void) | null;
  /** Queues `text` (CR LF terminated lines) for writing; resolves once it is all written. */
  send(text: string): Promise<void>;
  /** Resolves with the first message matching `predicate`, rejects on timeout, `ERROR` or disconnect. */
  waitFor(
    predicate: (message: Message) => boolean,
    timeoutMs: number,
  ): Promise<Message>;
  /** Closes the socket; the read loop ends quietly. */
  close(): void;
  /** Whether the server closed the connection or it failed (not after {@link BenchClient.close}). */
  readonly lost: boolean;
}

interface Waiter {
  predicate: (message: Message) => boolean;
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const encoder = new TextEncoder();

async function writeAll(conn: Transport, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

async function connectTcp(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return conn;
}

/**
 * Opens a WebSocket (`text.ircv3.net`, as the page does) over a raw socket
 * with tertulia's own framing in the client role, so the bench's side costs
 * little next to the server's and the measure is the server's.
 */
async function connectWebSocket(port: number): Promise<Transport> {
  const conn = await connectTcp(port);
  await writeAll(
    conn,
    encoder.encode(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n`,
    ),
  );
  let head = new Uint8Array(0);
  let end = -1;
  while (end === -1) {
    const chunk = new Uint8Array(1024);
    const count = await conn.read(chunk);
    if (count === null) {
      throw new Error("closed during the WebSocket handshake");
    }
    const joined = new Uint8Array(head.length + count);
    joined.set(head);
    joined.set(chunk.subarray(0, count), head.length);
    head = joined;
    end = new TextDecoder().decode(head).indexOf("\r\n\r\n");
  }
  const status = new TextDecoder().decode(head.subarray(0, 12));
  if (!status.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`WebSocket handshake refused: ${status}`);
  }
  return new WebSocketTransport(conn, "text", head.slice(end + 4), "client");
}

/** Connects to 127.0.0.1:`port` and starts reading; nothing is sent yet. */
export async function connectClient(
  options: ClientOptions,
): Promise<BenchClient> {
  const conn = options.webSocket
    ? await connectWebSocket(options.port)
    : await connectTcp(options.port);
  const buffer = new Uint8Array(options.readBytes ?? 16384);
  let waiters: Waiter[] = [];
  let writing: Promise<void> = Promise.resolve();
  let closing = false;
  let lost = false;
  let now = 0;
  let failure = "";

  function failWaiters(reason: string): void {
    const pending = waiters;
    waiters = [];
    for (const waiter of pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(reason));
    }
  }

  function slowPath(line: string): void {
    if (line.startsWith("PING ")) {
      client.send(`PONG ${line.slice(5)}\r\n`).catch(() => {});
      return;
    }
    if (waiters.length === 0 && !line.startsWith("ERROR")) return;
    let message: Message;
    try {
      message = parseMessage(line);
    } catch {
      return;
    }
    if (message.command === "ERROR") {
      failWaiters(`Server sent ERROR: ${message.params.join(" ")}`);
      return;
    }
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters = waiters.filter((other) => other !== waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
        return;
      }
    }
  }

  const split = createLineSplitter({
    onLine(line) {
      const handler = client.onPayload;
      if (handler !== null) {
        const mark = line.indexOf(PAYLOAD_MARK);
        if (mark !== -1) {
          handler(line, mark, now);
          return;
        }
      }
      slowPath(line);
    },
    onOverflow() {},
  });

  const client: BenchClient = {
    onPayload: null,
    onLost: null,
    send(text) {
      const bytes = encoder.encode(text);
      writing = writing.then(() => writeAll(conn, bytes));
      return writing;
    },
    waitFor(predicate, timeoutMs) {
      if (lost || closing) {
        return Promise.reject(new Error("Connection is closed"));
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters = waiters.filter((other) => other !== waiter);
            reject(new Error(`Timed out after ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.push(waiter);
      });
    },
    close() {
      if (closing) return;
      closing = true;
      failWaiters("Closed by the bench");
      try {
        conn.close();
      } catch {
        // Already closed by a failed read.
      }
    },
    get lost() {
      return lost;
    },
  };

  (async () => {
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) break;
        now = performance.now();
        split(buffer.subarray(0, count));
      }
    } catch (error) {
      // A reset, or a read on a socket the bench closed: both end the loop.
      failure = ` (${(error as Error).message})`;
    }
    if (closing) return;
    lost = true;
    failWaiters(`Server closed the connection${failure}`);
    client.onLost?.();
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  })();

  return client;
}
