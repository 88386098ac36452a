/**
 * A raw-socket IRC client for tests: send lines, register, and wait (event
 * driven, with a timeout that fails with the last lines received) for
 * messages parsed by protocol.ts.
 *
 * @module
 */

import {
  createLineSplitter,
  type Message,
  parseMessage,
} from "../../protocol.ts";
import { SUBPROTOCOLS } from "../../web/subprotocol.ts";
import { ClientSocketStream } from "../../web/client_socket.ts";

/** Where and how to connect. */
export interface ConnectOptions {
  /** Server port. */
  port: number;
  /** Server address; default `127.0.0.1`. */
  hostname?: string;
  /** Connect with TLS, trusting these PEM CA certificates. */
  tls?: { caCerts: string[] };
  /** Connect over plain WebSocket to the web listener on `port` (IRC lines as messages); not with `tls`. */
  webSocket?: WebSocketConnectOptions;
}

/** How a test client connects over WebSocket. */
export interface WebSocketConnectOptions {
  /** Subprotocols to offer, in order of preference; default none. */
  protocols?: string[];
  /** Extra request headers (`Origin`, `X-Forwarded-For`). */
  headers?: Record<string, string>;
}

type Link = Pick<Deno.Conn, "read" | "write" | "close">;

/** Opens a WebSocket and waits for its handshake; rejects with the failure. */
export function openWebSocket(
  url: string,
  options: WebSocketConnectOptions = {},
): Promise<WebSocket> {
  // Deno's WebSocket takes request headers as an extension of the standard options.
  const socket = new WebSocket(url, {
    protocols: options.protocols ?? [],
    headers: options.headers ?? {},
  } as unknown as string[]);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    socket.onopen = () => resolve(socket);
    socket.onerror = (event) =>
      reject(new Error((event as ErrorEvent).message ?? "WebSocket failed"));
  });
}

async function openLink(options: ConnectOptions): Promise<Link> {
  const hostname = options.hostname ?? "127.0.0.1";
  if (options.webSocket !== undefined) {
    const socket = await openWebSocket(
      `ws://${hostname}:${options.port}/`,
      options.webSocket,
    );
    return new ClientSocketStream(
      socket,
      SUBPROTOCOLS[socket.protocol] ?? "text",
    );
  }
  const conn: Deno.Conn = options.tls
    ? await Deno.connectTls({
      hostname,
      port: options.port,
      caCerts: options.tls.caCerts,
    })
    : await Deno.connect({ hostname, port: options.port });
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  return conn;
}

/** What a wait matches: a command (`"PRIVMSG"`, `"001"`) or a predicate. */
export type Match = string | ((message: Message) => boolean);

/** Options for {@link IrcClient.register}. */
export interface RegisterOptions {
  /** Capabilities to request with CAP REQ before finishing registration. */
  caps?: string[];
  /** Password sent with PASS. */
  password?: string;
  /** Username for USER; default the nick. */
  user?: string;
  /** Real name for USER; default `Test <nick>`. */
  realname?: string;
}

/** A connected test client. */
export interface IrcClient {
  /** Every line received so far, without CR LF. */
  readonly lines: string[];
  /** Every line received so far that parsed, in order. */
  readonly messages: Message[];
  /** Sends one line (CR LF added). */
  send(line: string): Promise<void>;
  /** Sends raw bytes as they are. */
  sendRaw(bytes: Uint8Array | string): Promise<void>;
  /** Registers as `nick` and waits for the end of the MOTD (376) or 422. Returns the burst. */
  register(nick: string, options?: RegisterOptions): Promise<Message[]>;
  /**
   * Waits for the next message matching `match` after the last one a wait
   * returned, and returns it. Fails after `timeout` ms (default 5000) listing
   * the last lines received.
   */
  waitFor(match: Match, options?: { timeout?: number }): Promise<Message>;
  /** Messages received since the last wait's match that satisfy `match`, without waiting. */
  pending(match?: Match): Message[];
  /** Sends PING with a unique token and waits for its PONG, so everything sent before has been handled. */
  sync(options?: { timeout?: number }): Promise<void>;
  /** Settles when the server closes the connection (or it fails). */
  readonly closed: Promise<void>;
  /** Whether the connection has closed. */
  readonly isClosed: boolean;
  /** Closes the connection and waits for the reader to stop. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();
let syncCounter = 0;

function matcher(match: Match): (message: Message) => boolean {
  return typeof match === "string"
    ? (message) => message.command.toUpperCase() === match.toUpperCase()
    : match;
}

/** The nick part of a message's source (`ana` of `ana!ana@host`), or `""` without one. */
export function nickOf(message: Message): string {
  return (message.source ?? "").split("!")[0];
}

/** Connects to a server and starts reading. */
export async function connectClient(
  options: ConnectOptions,
): Promise<IrcClient> {
  const conn = await openLink(options);
  const lines: string[] = [];
  const messages: Message[] = [];
  let cursor = 0;
  let isClosed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const split = createLineSplitter({
    maxLineBytes: 1 << 20,
    onLine: (line) => {
      lines.push(line);
      try {
        messages.push(parseMessage(line));
      } catch {
        // Kept in `lines` only.
      }
    },
    onOverflow: () => {},
  });

  const closed = (async () => {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) break;
        split(buffer.subarray(0, count));
        wake();
      }
    } catch {
      // Reset or closed locally: either way the connection is over.
    } finally {
      isClosed = true;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      wake();
    }
  })();

  function describe(): string {
    return lines.slice(-15).map((line) => `  ${line}`).join("\n") || "  (none)";
  }

  function waitFor(
    match: Match,
    waitOptions: { timeout?: number } = {},
  ): Promise<Message> {
    const test = matcher(match);
    const timeout = waitOptions.timeout ?? 5000;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = cursor; i < messages.length; i++) {
          if (test(messages[i])) {
            cursor = i + 1;
            done();
            resolve(messages[i]);
            return;
          }
        }
        if (isClosed) {
          done();
          reject(
            new Error(
              `connection closed while waiting for ${
                String(match)
              }; last lines:\n${describe()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeout} ms waiting for ${
              String(match)
            }; last lines:\n${describe()}`,
          ),
        );
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  async function sendRaw(bytes: Uint8Array | string): Promise<void> {
    let data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    while (data.length > 0) data = data.subarray(await conn.write(data));
  }

  const client: IrcClient = {
    lines,
    messages,
    send: (line) => sendRaw(`${line}\r\n`),
    sendRaw,
    async register(nick, registerOptions = {}) {
      const start = messages.length;
      const caps = registerOptions.caps ?? [];
      if (registerOptions.password !== undefined) {
        await client.send(`PASS ${registerOptions.password}`);
      }
      if (caps.length > 0) {
        await client.send("CAP LS 302");
        await client.send(`CAP REQ :${caps.join(" ")}`);
      }
      await client.send(`NICK ${nick}`);
      await client.send(
        `USER ${registerOptions.user ?? nick} 0 * :${
          registerOptions.realname ?? `Test ${nick}`
        }`,
      );
      if (caps.length > 0) {
        const answer = await waitFor((m) =>
          m.command === "CAP" &&
          (m.params[1] === "ACK" || m.params[1] === "NAK")
        );
        if (answer.params[1] !== "ACK") {
          throw new Error(`CAP REQ refused: ${answer.params.join(" ")}`);
        }
        await client.send("CAP END");
      }
      const end = await waitFor((m) =>
        ["376", "422", "432", "433", "464", "ERROR"].includes(m.command)
      );
      if (end.command !== "376" && end.command !== "422") {
        throw new Error(
          `registration as ${nick} failed: ${end.command} ${
            end.params.join(" ")
          }`,
        );
      }
      return messages.slice(start);
    },
    waitFor,
    pending(match) {
      const rest = messages.slice(cursor);
      return match === undefined ? rest : rest.filter(matcher(match));
    },
    async sync(syncOptions = {}) {
      const token = `sync-${++syncCounter}`;
      await client.send(`PING ${token}`);
      await waitFor(
        (m) => m.command === "PONG" && m.params.at(-1) === token,
        syncOptions,
      );
    },
    closed,
    get isClosed() {
      return isClosed;
    },
    async close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      await closed;
    },
  };
  return client;
}
