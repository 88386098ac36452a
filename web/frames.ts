/**
 * WebSocket framing (RFC 6455) for the server side: the handshake's accept
 * key, outgoing frames written many to one buffer (so a batch of IRC lines is
 * one socket write, as for TCP), and an incremental parser for the masked
 * frames clients send. Pure: bytes in, bytes out.
 *
 * @module
 */

/** The GUID RFC 6455 §1.3 appends to the client's key. */
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Frame opcodes. */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Close codes the server sends. */
export const CloseCode = {
  normal: 1000,
  protocolError: 1002,
  invalidData: 1007,
  tooBig: 1009,
} as const;

/** The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`. */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + HANDSHAKE_GUID),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

function headerSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

function writeHeader(
  out: Uint8Array,
  at: number,
  opcode: number,
  length: number,
  masked: boolean,
): number {
  // A masked frame gets the all-zero mask: valid, and the payload stays as is.
  const maskBit = masked ? 0x80 : 0;
  const maskBytes = masked ? 4 : 0;
  out[at] = 0x80 | opcode;
  if (length < 126) {
    out[at + 1] = maskBit | length;
    return at + 2 + maskBytes;
  }
  if (length < 65536) {
    out[at + 1] = maskBit | 126;
    out[at + 2] = length >> 8;
    out[at + 3] = length & 0xff;
    return at + 4 + maskBytes;
  }
  out[at + 1] = maskBit | 127;
  new DataView(out.buffer, out.byteOffset).setBigUint64(at + 2, BigInt(length));
  return at + 10 + maskBytes;
}

/**
 * Frames, one per payload, all in one buffer: unmasked as a server sends
 * them, or (`masked`, for a client) with the all-zero mask, since the
 * buffer starts zeroed.
 */
export function encodeFrames(
  opcode: number,
  payloads: readonly Uint8Array[],
  masked = false,
): Uint8Array {
  let total = 0;
  for (const payload of payloads) {
    total += headerSize(payload.length, masked) + payload.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const payload of payloads) {
    at = writeHeader(out, at, opcode, payload.length, masked);
    out.set(payload, at);
    at += payload.length;
  }
  return out;
}

const LF = 0x0a;
const CR = 0x0d;

/** Bytes {@link frameLines} needs for `bytes`. */
export function framedSize(bytes: Uint8Array, masked = false): number {
  let total = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(LF, start);
    if (end === -1) end = bytes.length;
    const length = (end > start && bytes[end - 1] === CR ? end - 1 : end) -
      start;
    if (length > 0) total += headerSize(length, masked) + length;
    start = end + 1;
  }
  return total;
}

/**
 * One frame per CR LF (or LF)-terminated line of `bytes`, line endings
 * dropped, written into `out` (at least {@link framedSize} bytes, zeroed
 * where masks go when `masked`); returns the part written. This is
 * {@link encodeFrames} for a batch of IRC lines without slicing it first:
 * it runs for every write to every web user.
 */
export function frameLines(
  opcode: number,
  bytes: Uint8Array,
  out: Uint8Array,
  masked = false,
): Uint8Array {
  let at = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(LF, start);
    if (end === -1) end = bytes.length;
    const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (lineEnd > start) {
      at = writeHeader(out, at, opcode, lineEnd - start, masked);
      if (masked) out.fill(0, at - 4, at);
      out.set(bytes.subarray(start, lineEnd), at);
      at += lineEnd - start;
    }
    start = end + 1;
  }
  return out.subarray(0, at);
}

/** A close frame with `code` and a short reason (`masked` from a client). */
export function closeFrame(
  code: number,
  reason = "",
  masked = false,
): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return encodeFrames(Opcode.close, [payload], masked);
}

/** What the parser reports. */
export interface FrameEvents {
  /** A whole data message (fragments joined). */
  onMessage(
    opcode: typeof Opcode.text | typeof Opcode.binary,
    payload: Uint8Array,
  ): void;
  /** A ping: answer with a pong carrying `payload`. */
  onPing(payload: Uint8Array): void;
  /** The client closes; `code` is 1005 when it gave none. */
  onClose(code: number): void;
  /** The client broke the protocol: close with `code`. */
  onError(code: number, reason: string): void;
}

/**
 * Parses client frames as bytes arrive. Client frames must be masked; a
 * message (all its fragments) may be at most `maxMessageBytes`; control
 * frames at most 125 bytes and never fragmented. After an error or a close
 * it ignores further input.
 */
export class FrameParser {
  #events: FrameEvents;
  #maxMessageBytes: number;
  #masked: boolean;
  #pending: Uint8Array = new Uint8Array(0);
  #fragments: Uint8Array[] = [];
  #fragmentsBytes = 0;
  #fragmentOpcode = 0;
  #done = false;

  /**
   * A parser reporting to `events`. `masked` (the default) parses what
   * clients send; false parses a server's unmasked frames (a client's side).
   */
  constructor(events: FrameEvents, maxMessageBytes: number, masked = true) {
    this.#events = events;
    this.#maxMessageBytes = maxMessageBytes;
    this.#masked = masked;
  }

  /** Feeds received bytes. */
  push(chunk: Uint8Array): void {
    if (this.#done) return;
    let data = chunk;
    if (this.#pending.length > 0) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending);
      data.set(chunk, this.#pending.length);
    }
    let at = 0;
    while (!this.#done) {
      const used = this.#frame(data, at);
      if (used === 0) break;
      at += used;
    }
    this.#pending = at < data.length ? data.slice(at) : new Uint8Array(0);
  }

  /** Parses one frame at `at`; returns the bytes it took, 0 when it is not all here yet. */
  #frame(data: Uint8Array, at: number): number {
    if (data.length - at < 2) return 0;
    const first = data[at];
    const second = data[at + 1];
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    let length = second & 0x7f;
    let offset = at + 2;
    if ((first & 0x70) !== 0) {
      return this.#fail(CloseCode.protocolError, "reserved bits set");
    }
    if (((second & 0x80) !== 0) !== this.#masked) {
      return this.#fail(
        CloseCode.protocolError,
        this.#masked
          ? "client frames must be masked"
          : "server frames must not be masked",
      );
    }
    if (length === 126) {
      if (data.length - offset < 2) return 0;
      length = (data[offset] << 8) | data[offset + 1];
      offset += 2;
    } else if (length === 127) {
      if (data.length - offset < 8) return 0;
      const big = new DataView(data.buffer, data.byteOffset).getBigUint64(
        offset,
      );
      if (big > BigInt(this.#maxMessageBytes)) {
        return this.#fail(CloseCode.tooBig, "message too big");
      }
      length = Number(big);
      offset += 8;
    }
    const control = opcode >= 0x8;
    if (control && (length > 125 || !fin)) {
      return this.#fail(CloseCode.protocolError, "bad control frame");
    }
    if (!control && this.#fragmentsBytes + length > this.#maxMessageBytes) {
      return this.#fail(CloseCode.tooBig, "message too big");
    }
    const maskBytes = this.#masked ? 4 : 0;
    if (data.length - offset < maskBytes + length) return 0;
    const payload = data.slice(offset + maskBytes, offset + maskBytes + length);
    if (this.#masked) {
      const mask = data.subarray(offset, offset + 4);
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    }
    this.#handle(opcode, fin, payload);
    return offset + maskBytes + length - at;
  }

  #handle(opcode: number, fin: boolean, payload: Uint8Array): void {
    switch (opcode) {
      case Opcode.ping:
        this.#events.onPing(payload);
        return;
      case Opcode.pong:
        return;
      case Opcode.close:
        this.#done = true;
        this.#events.onClose(
          payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005,
        );
        return;
      case Opcode.text:
      case Opcode.binary:
        if (this.#fragmentOpcode !== 0) {
          this.#fail(CloseCode.protocolError, "expected a continuation frame");
          return;
        }
        if (fin) {
          this.#events.onMessage(opcode, payload);
          return;
        }
        this.#fragmentOpcode = opcode;
        this.#fragments = [payload];
        this.#fragmentsBytes = payload.length;
        return;
      case Opcode.continuation: {
        if (this.#fragmentOpcode === 0) {
          this.#fail(CloseCode.protocolError, "continuation of nothing");
          return;
        }
        this.#fragments.push(payload);
        this.#fragmentsBytes += payload.length;
        if (!fin) return;
        const whole = new Uint8Array(this.#fragmentsBytes);
        let at = 0;
        for (const part of this.#fragments) {
          whole.set(part, at);
          at += part.length;
        }
        const messageOpcode = this.#fragmentOpcode as typeof Opcode.text;
        this.#fragmentOpcode = 0;
        this.#fragments = [];
        this.#fragmentsBytes = 0;
        this.#events.onMessage(messageOpcode, whole);
        return;
      }
      default:
        this.#fail(CloseCode.protocolError, `unknown opcode ${opcode}`);
    }
  }

  #fail(code: number, reason: string): number {
    this.#done = true;
    this.#events.onError(code, reason);
    return 0;
  }
}
