/**
 * The wire side of IRCv3 SASL 3.1/3.2, pure: AUTHENTICATE data comes in
 * base64 chunks of at most 400 bytes (a chunk of exactly 400 means more
 * follows; `+` is an empty chunk), and server challenges go out the same
 * way. Also decodes PLAIN's `authzid NUL authcid NUL password`.
 *
 * @module
 */

import { fromBase64, toBase64 } from "./scram.ts";

/** Longest AUTHENTICATE parameter, in bytes. */
export const AUTHENTICATE_CHUNK = 400;
/** Most base64 bytes one SASL message may take once its chunks are joined. */
export const MAX_SASL_MESSAGE = 4096;

/** The mechanisms offered, as CAP `sasl=` lists them. */
export const MECHANISMS = ["PLAIN", "SCRAM-SHA-256"] as const;

/**
 * What one AUTHENTICATE parameter adds up to: more to come, a whole
 * message, a parameter over 400 bytes (905), a message over
 * {@link MAX_SASL_MESSAGE} (904), or one that is not base64 (904).
 */
export type ChunkResult =
  | { kind: "more" }
  | { kind: "message"; bytes: Uint8Array }
  | { kind: "too-long" }
  | { kind: "too-much" }
  | { kind: "bad-base64" };

/** Joins AUTHENTICATE chunks into whole client messages. */
export class ChunkAssembler {
  #parts: string[] = [];
  #size = 0;

  /** Adds one parameter of AUTHENTICATE. */
  push(param: string): ChunkResult {
    if (param.length > AUTHENTICATE_CHUNK) {
      this.#reset();
      return { kind: "too-long" };
    }
    if (param !== "+") {
      this.#parts.push(param);
      this.#size += param.length;
    }
    if (this.#size > MAX_SASL_MESSAGE) {
      this.#reset();
      return { kind: "too-much" };
    }
    if (param.length === AUTHENTICATE_CHUNK) return { kind: "more" };
    const text = this.#parts.join("");
    this.#reset();
    const bytes = fromBase64(text);
    return bytes === undefined
      ? { kind: "bad-base64" }
      : { kind: "message", bytes };
  }

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
  }
}

/** The AUTHENTICATE parameters that carry `data` to the client. */
export function chunkForClient(data: Uint8Array): string[] {
  const text = toBase64(data);
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += AUTHENTICATE_CHUNK) {
    chunks.push(text.slice(at, at + AUTHENTICATE_CHUNK));
  }
  if (text.length % AUTHENTICATE_CHUNK === 0) chunks.push("+");
  return chunks;
}

/** PLAIN's three fields. */
export interface PlainCredentials {
  /** Identity to act as; empty for the authcid itself. */
  authzid: string;
  /** The account name. */
  authcid: string;
  /** The password. */
  password: string;
}

/** Decodes a PLAIN message, or `undefined` when it is not three UTF-8 fields. */
export function parsePlain(bytes: Uint8Array): PlainCredentials | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const fields = text.split("\0");
  if (fields.length !== 3) return undefined;
  const [authzid, authcid, password] = fields;
  return { authzid, authcid, password };
}
