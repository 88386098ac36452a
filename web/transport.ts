/**
 * A WebSocket as a connection {@link Transport}, so web users go through the
 * same connection code as TCP users (registration, limits, flood control,
 * PING, history). IRCv3 WebSocket framing: one IRC line per message, no CR LF.
 *
 * `read()` yields each received message followed by CR LF; `write()` takes
 * the connection's batches of CR LF-terminated lines and sends each line as
 * one message. `write()` resolves only once the socket's own buffer
 * (`bufferedAmount`) has drained below {@link LOW_WATER_BYTES}, so output
 * for a web client that stops reading piles up in the connection's send
 * queue, where `--sendq` drops it like any slow TCP client.
 *
 * @module
 */

import type { Transport } from "../server/connection.ts";
import type { WebSocketFraming } from "./subprotocol.ts";

/** Socket-buffered output below which writes complete at once. */
export const LOW_WATER_BYTES = 65536;
/** How often a write waiting for the socket's buffer to drain looks again, in ms. */
const DRAIN_POLL_MS = 10;
/**
 * Longest message kept whole, in bytes. Longer ones are cut here: still far
 * over the line limit, so the framer answers 417 as for TCP, but a client
 * cannot make the server hold a huge message.
 */
const MAX_MESSAGE_BYTES = 16384;

const CRLF = new Uint8Array([0x0d, 0x0a]);
const LF = 0x0a;
const CR = 0x0d;

/** A WebSocket speaking IRC, readable and writable like a byte stream. */
export class WebSocketTransport implements Transport {
  #socket: WebSocket;
  #framing: WebSocketFraming;
  #incoming: Uint8Array[] = [];
  #waitingReader: (() => void) | undefined = undefined;
  #opened: Promise<void>;
  #ended = false;
  #encoder = new TextEncoder();
  #decoder = new TextDecoder();

  /** Wraps `socket` (fresh from `Deno.upgradeWebSocket`) speaking `framing`. */
  constructor(socket: WebSocket, framing: WebSocketFraming) {
    this.#socket = socket;
    this.#framing = framing;
    socket.binaryType = "arraybuffer";
    this.#opened = new Promise((resolve, reject) => {
      if (socket.readyState === WebSocket.OPEN) resolve();
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "close",
        () => reject(new Deno.errors.BrokenPipe("WebSocket closed")),
        { once: true },
      );
    });
    // A rejection nobody awaits (the socket closed before any write) is expected.
    this.#opened.catch(() => {});
    socket.addEventListener("message", (event) => this.#onMessage(event.data));
    socket.addEventListener("close", () => this.#end());
    socket.addEventListener("error", () => this.#end());
  }

  /** Copies the next received bytes (message, then CR LF) into `buffer`; null once the socket is closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#incoming.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waitingReader = resolve);
    }
    const head = this.#incoming[0];
    const count = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, count));
    if (count === head.length) this.#incoming.shift();
    else this.#incoming[0] = head.subarray(count);
    return count;
  }

  /** Sends each CR LF-terminated line of `bytes` as one message, then waits for the socket's buffer to drain. */
  async write(bytes: Uint8Array): Promise<number> {
    await this.#opened;
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(LF, start);
      if (end === -1) end = bytes.length;
      const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
      if (lineEnd > start) this.#sendLine(bytes.subarray(start, lineEnd));
      start = end + 1;
    }
    while (this.#socket.bufferedAmount > LOW_WATER_BYTES) {
      if (this.#socket.readyState !== WebSocket.OPEN) {
        throw new Deno.errors.BrokenPipe("WebSocket closed");
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    return bytes.length;
  }

  /** Closes the WebSocket (normal closure). */
  close(): void {
    this.#end();
    if (
      this.#socket.readyState === WebSocket.OPEN ||
      this.#socket.readyState === WebSocket.CONNECTING
    ) {
      this.#socket.close(1000);
    }
  }

  #sendLine(line: Uint8Array): void {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      throw new Deno.errors.BrokenPipe("WebSocket closed");
    }
    // Text frames must be valid UTF-8: bytes that are not (from TCP users) become U+FFFD.
    if (this.#framing === "text") this.#socket.send(this.#decoder.decode(line));
    else this.#socket.send(line.slice());
  }

  #onMessage(data: unknown): void {
    if (this.#ended) return;
    let bytes: Uint8Array;
    if (typeof data === "string") bytes = this.#encoder.encode(data);
    else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else return;
    if (bytes.length > MAX_MESSAGE_BYTES) {
      bytes = bytes.subarray(0, MAX_MESSAGE_BYTES);
    }
    this.#incoming.push(bytes, CRLF);
    this.#wakeReader();
  }

  #end(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#waitingReader;
    this.#waitingReader = undefined;
    wake?.();
  }
}
