/**
 * A WebSocket as a connection {@link Transport}, so web users go through the
 * same connection code as TCP users (registration, limits, flood control,
 * PING, history). IRCv3 WebSocket framing: one IRC line per message, no CR LF.
 *
 * It runs over the raw socket the HTTP upgrade came in on: `read()` yields
 * each received message followed by CR LF; `write()` turns the connection's
 * batch of CR LF-terminated lines into one frame per line, all in one socket
 * write. Writes complete when the socket takes the bytes, so a web client
 * that stops reading backs up the connection's send queue exactly like a TCP
 * client, and `--sendq` drops it the same way.
 *
 * @module
 */

import type { Transport } from "../server/connection.ts";
import {
  CloseCode,
  closeFrame,
  encodeFrames,
  FrameParser,
  Opcode,
} from "./frames.ts";
import type { WebSocketFraming } from "./subprotocol.ts";

/**
 * Longest message accepted, in bytes. Far over the IRC line limit (so the
 * framer still answers 417 for a long line, as for TCP), but a client cannot
 * make the server hold a huge message: past it the socket is closed (1009).
 */
export const MAX_MESSAGE_BYTES = 65536;

const CRLF = new Uint8Array([0x0d, 0x0a]);
const LF = 0x0a;
const CR = 0x0d;
const READ_BYTES = 16384;
/** How long a closing socket waits for its close frame to be written. */
const CLOSE_WAIT_MS = 1000;

/** A WebSocket speaking IRC over an upgraded socket, readable and writable like a byte stream. */
export class WebSocketTransport implements Transport {
  #conn: Transport;
  #framing: WebSocketFraming;
  #parser: FrameParser;
  #incoming: Uint8Array[] = [];
  #readBuffer = new Uint8Array(READ_BYTES);
  /** Writes (data and control frames) run one after another, in order. */
  #writes: Promise<unknown> = Promise.resolve();
  #ended = false;
  #closed = false;
  #inFlight = 0;
  #closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #decoder = new TextDecoder();
  #strictDecoder = new TextDecoder("utf-8", { fatal: true });
  #encoder = new TextEncoder();

  /**
   * Wraps `conn`, just upgraded, speaking `framing`; `leftover` holds bytes
   * read past the HTTP request (frames the client sent right away).
   */
  constructor(
    conn: Transport,
    framing: WebSocketFraming,
    leftover: Uint8Array = new Uint8Array(0),
  ) {
    this.#conn = conn;
    this.#framing = framing;
    this.#parser = new FrameParser({
      onMessage: (opcode, payload) => this.#onMessage(opcode, payload),
      onPing: (payload) => this.#send(encodeFrames(Opcode.pong, [payload])),
      onClose: () => this.#finish(CloseCode.normal),
      onError: (code, reason) => this.#finish(code, reason),
    }, MAX_MESSAGE_BYTES);
    if (leftover.length > 0) this.#parser.push(leftover);
  }

  /** Copies the next received bytes (message, then CR LF) into `buffer`; null once the socket is closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#incoming.length === 0) {
      if (this.#ended) return null;
      const count = await this.#conn.read(this.#readBuffer);
      if (count === null) {
        this.#ended = true;
        return null;
      }
      this.#parser.push(this.#readBuffer.subarray(0, count));
    }
    const head = this.#incoming[0];
    const count = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, count));
    if (count === head.length) this.#incoming.shift();
    else this.#incoming[0] = head.subarray(count);
    return count;
  }

  /** Sends each CR LF-terminated line of `bytes` as one message, all in one socket write. */
  async write(bytes: Uint8Array): Promise<number> {
    const lines: Uint8Array[] = [];
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(LF, start);
      if (end === -1) end = bytes.length;
      const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
      if (lineEnd > start) lines.push(bytes.subarray(start, lineEnd));
      start = end + 1;
    }
    const opcode = this.#framing === "text" ? Opcode.text : Opcode.binary;
    await this.#queue(encodeFrames(opcode, this.#valid(bytes, lines)));
    return bytes.length;
  }

  /**
   * Sends a normal close frame and closes the socket; at once, without the
   * frame, when a write is still stuck (a peer that does not read).
   */
  close(): void {
    if (this.#closed) return;
    this.#ended = true;
    if (this.#inFlight > 0) this.#closeConn();
    else this.#finish(CloseCode.normal);
  }

  /**
   * Text frames must be valid UTF-8. Lines the server makes always are (it
   * decodes input with U+FFFD), so one check of the whole batch is enough;
   * only when that fails are lines looked at one by one, and the bad ones
   * given U+FFFD here.
   */
  #valid(batch: Uint8Array, lines: Uint8Array[]): Uint8Array[] {
    if (this.#framing !== "text" || this.#isUtf8(batch)) return lines;
    return lines.map((line) =>
      this.#isUtf8(line)
        ? line
        : this.#encoder.encode(this.#decoder.decode(line))
    );
  }

  #isUtf8(bytes: Uint8Array): boolean {
    try {
      this.#strictDecoder.decode(bytes);
      return true;
    } catch {
      return false;
    }
  }

  #onMessage(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.text && !this.#isUtf8(payload)) {
      this.#finish(CloseCode.invalidData, "text frame is not UTF-8");
      return;
    }
    this.#incoming.push(payload, CRLF);
  }

  /** Ends the session from the WebSocket side: a close frame, then the socket (within a second). */
  #finish(code: number, reason = ""): void {
    this.#ended = true;
    if (this.#closed || this.#closeTimer !== undefined) return;
    this.#closeTimer = setTimeout(() => this.#closeConn(), CLOSE_WAIT_MS);
    this.#queue(closeFrame(code, reason)).then(
      () => this.#closeConn(),
      () => this.#closeConn(),
    );
  }

  /** Queues control frames nobody waits for. */
  #send(frames: Uint8Array): void {
    this.#queue(frames).catch(() => {});
  }

  #queue(frames: Uint8Array): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#closed) throw new Deno.errors.BrokenPipe("WebSocket closed");
      this.#inFlight++;
      try {
        let offset = 0;
        while (offset < frames.length) {
          offset += await this.#conn.write(frames.subarray(offset));
        }
      } finally {
        this.#inFlight--;
      }
    });
    // The chain goes on after a failed write; the caller sees the failure.
    this.#writes = write.catch(() => {});
    return write;
  }

  #closeConn(): void {
    clearTimeout(this.#closeTimer);
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
