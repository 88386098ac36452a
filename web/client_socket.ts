/**
 * The client side of IRC over WebSocket for Deno programs (tests, the bench):
 * a `WebSocket` (the Web API, as browsers have) read and written like a byte
 * stream. `read()` yields each message followed by CR LF; `write()` sends
 * each CR LF-terminated line as one message.
 *
 * @module
 */

import type { Transport } from "../server/connection.ts";
import type { WebSocketFraming } from "./subprotocol.ts";

const CRLF = new Uint8Array([0x0d, 0x0a]);
const LF = 0x0a;
const CR = 0x0d;

/** An open `WebSocket` as a {@link Transport}. */
export class ClientSocketStream implements Transport {
  #socket: WebSocket;
  #framing: WebSocketFraming;
  #incoming: Uint8Array[] = [];
  #waitingReader: (() => void) | undefined = undefined;
  #ended = false;
  #encoder = new TextEncoder();
  #decoder = new TextDecoder();

  /** Wraps `socket`, already open, sending in `framing`. */
  constructor(socket: WebSocket, framing: WebSocketFraming) {
    this.#socket = socket;
    this.#framing = framing;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event) => {
      const data = event.data;
      const bytes = typeof data === "string"
        ? this.#encoder.encode(data)
        : new Uint8Array(data as ArrayBuffer);
      this.#incoming.push(bytes, CRLF);
      this.#wake();
    });
    socket.addEventListener("close", () => this.#end());
    socket.addEventListener("error", () => this.#end());
  }

  /** Copies the next received bytes into `buffer`; null once the socket is closed. */
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

  /** Sends each line of `bytes` as one message. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Deno.errors.BrokenPipe("WebSocket closed"));
    }
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(LF, start);
      if (end === -1) end = bytes.length;
      const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
      if (lineEnd > start) {
        const line = bytes.subarray(start, lineEnd);
        this.#socket.send(
          this.#framing === "text" ? this.#decoder.decode(line) : line.slice(),
        );
      }
      start = end + 1;
    }
    return Promise.resolve(bytes.length);
  }

  /** Closes the WebSocket. */
  close(): void {
    this.#end();
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close(1000);
  }

  #end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const wake = this.#waitingReader;
    this.#waitingReader = undefined;
    wake?.();
  }
}
