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
  framedSize,
  frameLines,
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
/** How long a closing socket waits for its close frame to be written. */
const CLOSE_WAIT_MS = 1000;

/** Sizes of the pooled output buffers; a larger batch gets a buffer of its own. */
const POOL_SIZES = [4096, 16384, 65536];
/** Most idle buffers kept per size. */
const POOL_DEPTH = 32;
/**
 * Output buffers shared by every web connection, lent for one write and
 * given back when it completes: framing allocates nothing per write, and
 * idle connections hold none.
 */
const pool: Uint8Array[][] = POOL_SIZES.map(() => []);

function takeBuffer(size: number): Uint8Array {
  for (let index = 0; index < POOL_SIZES.length; index++) {
    if (POOL_SIZES[index] >= size) {
      return pool[index].pop() ?? new Uint8Array(POOL_SIZES[index]);
    }
  }
  return new Uint8Array(size);
}

function giveBack(buffer: Uint8Array): void {
  const index = POOL_SIZES.indexOf(buffer.length);
  if (index !== -1 && pool[index].length < POOL_DEPTH) pool[index].push(buffer);
}

/** A WebSocket speaking IRC over an upgraded socket, readable and writable like a byte stream. */
export class WebSocketTransport implements Transport {
  #conn: Transport;
  #framing: WebSocketFraming;
  #parser: FrameParser;
  #incoming: Uint8Array[] = [];
  /** Writes (data and control frames) run one after another, in order. */
  #writes: Promise<unknown> = Promise.resolve();
  #ended = false;
  #closed = false;
  #inFlight = 0;
  /** Writes queued or going. */
  #queued = 0;
  /** Whether frames this side sends are masked (it is the client). */
  #masked: boolean;
  #closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #strictDecoder = new TextDecoder("utf-8", { fatal: true });

  /**
   * Wraps `conn`, just upgraded, speaking `framing`; `leftover` holds bytes
   * read past the HTTP request (frames the client sent right away). As
   * `client` (a Deno program such as the bench connecting to a server) it
   * sends masked frames and expects unmasked ones.
   */
  constructor(
    conn: Transport,
    framing: WebSocketFraming,
    leftover: Uint8Array = new Uint8Array(0),
    role: "server" | "client" = "server",
  ) {
    this.#conn = conn;
    this.#framing = framing;
    this.#masked = role === "client";
    this.#parser = new FrameParser(
      {
        onMessage: (opcode, payload) => this.#onMessage(opcode, payload),
        onPing: (payload) =>
          this.#send(encodeFrames(Opcode.pong, [payload], this.#masked)),
        onClose: () => this.#finish(CloseCode.normal),
        onError: (code, reason) => this.#finish(code, reason),
      },
      MAX_MESSAGE_BYTES,
      !this.#masked,
    );
    if (leftover.length > 0) this.#parser.push(leftover);
  }

  /** Copies received bytes (each message, then CR LF) into `buffer`; null once the socket is closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#incoming.length === 0) {
      if (this.#ended) return null;
      // Frames are read into the caller's buffer (the connection sizes it to
      // the traffic, so idle users hold little); the parser copies out what
      // it keeps before the buffer is reused for the messages.
      const count = await this.#conn.read(buffer);
      if (count === null) {
        this.#ended = true;
        return null;
      }
      this.#parser.push(buffer.subarray(0, count));
    }
    // As many queued messages as fit, so a burst is handled in one go.
    let count = 0;
    let taken = 0;
    while (taken < this.#incoming.length && count < buffer.length) {
      const head = this.#incoming[taken];
      const size = Math.min(head.length, buffer.length - count);
      buffer.set(head.subarray(0, size), count);
      count += size;
      if (size === head.length) taken++;
      else this.#incoming[taken] = head.subarray(size);
    }
    this.#incoming.splice(0, taken);
    return count;
  }

  /**
   * Sends each CR LF-terminated line of `bytes` as one message, all in one
   * socket write. Text frames must be valid UTF-8, and these are: the
   * server encodes every line from a string, and decodes what TCP users send
   * with U+FFFD for bytes that are not UTF-8, so no check is needed here.
   */
  async write(bytes: Uint8Array): Promise<number> {
    const opcode = this.#framing === "text" ? Opcode.text : Opcode.binary;
    const buffer = takeBuffer(framedSize(bytes, this.#masked));
    try {
      await this.#queue(frameLines(opcode, bytes, buffer, this.#masked));
    } finally {
      giveBack(buffer);
    }
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
    this.#queue(closeFrame(code, reason, this.#masked)).then(
      () => this.#closeConn(),
      () => this.#closeConn(),
    );
  }

  /** Queues control frames nobody waits for. */
  #send(frames: Uint8Array): void {
    this.#queue(frames).catch(() => {});
  }

  /** Writes `frames` after any write still queued or going, so frames never interleave. */
  #queue(frames: Uint8Array): Promise<void> {
    // The common case, nothing queued, skips the chain's extra promises.
    const write = this.#queued === 0
      ? this.#writeNow(frames)
      : this.#writes.then(() => this.#writeNow(frames));
    this.#queued++;
    const settled = write.then(
      () => void this.#queued--,
      () => void this.#queued--,
    );
    // The chain goes on after a failed write; the caller sees the failure.
    this.#writes = settled;
    return write;
  }

  async #writeNow(frames: Uint8Array): Promise<void> {
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
