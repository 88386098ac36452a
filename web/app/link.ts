/**
 * The page's connection to the server: IRC over a WebSocket
 * (`text.ircv3.net`) to the page's own address, registration, and automatic
 * reconnection with growing pauses when the connection drops. When
 * capability negotiation ends (`CAP END`, after an account login) is the
 * model's call: the link sends what the model answers.
 *
 * @module
 */

import { type Message, parseMessage } from "../../protocol.ts";

/**
 * Capabilities the page always asks for: original times and history batches,
 * and its own messages echoed back in order. (`sasl` is added only to log in:
 * a server without accounts would refuse the whole request.)
 */
export const PAGE_CAPS = [
  "server-time",
  "batch",
  "echo-message",
  "message-tags",
  "multi-prefix",
];

/** Pauses before reconnect attempts, in ms; the last repeats. */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000];

/** What the link reports. */
export interface LinkEvents {
  /** Capabilities to request on the next connection. */
  capabilities(): string[];
  /** The socket is open and registration has been sent. */
  onOpen(): void;
  /** A message arrived. */
  onMessage(message: Message): void;
  /** The connection dropped; it will be retried in `delayMs` unless stopped. */
  onDrop(delayMs: number): void;
}

/** One chat connection that comes back by itself until stopped. */
export class Link {
  #url: string;
  #events: LinkEvents;
  #socket: WebSocket | undefined = undefined;
  #nick = "";
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #stopped = true;

  /** A link to the WebSocket at `url`. */
  constructor(url: string, events: LinkEvents) {
    this.#url = url;
    this.#events = events;
  }

  /** Connects (or reconnects) as `nick`. */
  start(nick: string): void {
    this.stop();
    this.#nick = nick;
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  /** The nick to register with on the next (re)connection. */
  set nick(nick: string) {
    this.#nick = nick;
  }

  /** Sends one IRC line, if connected. */
  send(line: string): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(line);
  }

  /** Stops for good: no reconnect until {@link start}. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && socket.readyState <= WebSocket.OPEN) {
      socket.close(1000);
    }
  }

  /** Drops the current connection and tries again after the first pause (a nick still held by our previous connection). */
  retrySoon(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), RECONNECT_DELAYS_MS[0]);
  }

  /** Marks the current connection healthy, so a later drop retries quickly again. */
  markHealthy(): void {
    this.#attempt = 0;
  }

  #open(): void {
    const socket = new WebSocket(this.#url, ["text.ircv3.net"]);
    this.#socket = socket;
    socket.addEventListener("open", () => {
      if (this.#socket !== socket) return;
      socket.send("CAP LS 302");
      socket.send(`CAP REQ :${this.#events.capabilities().join(" ")}`);
      socket.send(`NICK ${this.#nick}`);
      socket.send(`USER ${this.#nick} 0 * :${this.#nick} (web)`);
      this.#events.onOpen();
    });
    socket.addEventListener("message", (event) => {
      if (this.#socket !== socket || typeof event.data !== "string") return;
      let message: Message;
      try {
        message = parseMessage(event.data);
      } catch {
        return;
      }
      this.#events.onMessage(message);
    });
    socket.addEventListener("close", () => {
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = undefined;
      const delay = RECONNECT_DELAYS_MS[
        Math.min(this.#attempt, RECONNECT_DELAYS_MS.length - 1)
      ];
      this.#attempt++;
      this.#events.onDrop(delay);
      this.#retryTimer = setTimeout(() => this.#open(), delay);
    });
  }
}
