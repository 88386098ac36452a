/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel binding.
 * Keys are derived once, when the password is set (PBKDF2 through
 * WebCrypto); a login then needs only HMACs, and the stored keys cannot be
 * replayed as a password. Pure apart from WebCrypto: messages in, messages
 * out.
 *
 * @module
 */

import { sameBytes } from "./passwords.ts";

/** PBKDF2 rounds for new keys (RFC 7677's minimum). */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/** What is stored for SCRAM beside the argon2id hash. */
export interface ScramCredentials {
  /** PBKDF2 salt. */
  salt: Uint8Array;
  /** PBKDF2 rounds. */
  iterations: number;
  /** H(ClientKey). */
  storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  serverKey: Uint8Array;
}

const encoder = new TextEncoder();

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Decodes standard base64, or `undefined` when `text` is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    return undefined;
  }
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** HMAC-SHA-256 of `data` under `key`. */
export async function hmac(
  key: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      cryptoKey,
      data as Uint8Array<ArrayBuffer>,
    ),
  );
}

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>),
  );
}

/** SCRAM's SaltedPassword: PBKDF2-HMAC-SHA-256 of the (NFKC-normalised) password. */
export async function saltPassword(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFKC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: salt as Uint8Array<ArrayBuffer>,
        iterations,
      },
      base,
      256,
    ),
  );
}

/** Derives the stored SCRAM keys for `password` (a fresh salt unless one is given). */
export async function deriveScramCredentials(
  password: string,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
  iterations = SCRAM_ITERATIONS,
): Promise<ScramCredentials> {
  const salted = await saltPassword(password, salt, iterations);
  const clientKey = await hmac(salted, encoder.encode("Client Key"));
  return {
    salt,
    iterations,
    storedKey: await sha256(clientKey),
    serverKey: await hmac(salted, encoder.encode("Server Key")),
  };
}

/** One step of an exchange: send `data` and wait, or finish. */
export type ScramStep =
  | { kind: "continue"; data: string }
  | { kind: "success"; data: string; username: string }
  | { kind: "failure"; reason: string };

/** Decodes a SCRAM `saslname` (`=2C` and `=3D` escapes), or `undefined` when malformed. */
function decodeName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

/** A random printable nonce (no commas). */
function randomNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(18)));
}

/** Looks up the credentials of a user name; `undefined` when there is no such account. */
export type ScramLookup = (username: string) => ScramCredentials | undefined;

/**
 * The server's side of one SCRAM-SHA-256 exchange. Call {@link step} with
 * each client message. An unknown user gets a plausible challenge and fails
 * only at the proof, so a probe cannot tell accounts apart from typos.
 */
export class ScramExchange {
  #lookup: ScramLookup;
  #nonce: string;
  #state: "first" | "final" | "done" = "first";
  #username = "";
  #credentials: ScramCredentials | undefined;
  #clientFirstBare = "";
  #serverFirst = "";
  #gs2Header = "";

  /** Uses `lookup` for credentials; `serverNonce` is random unless given (tests). */
  constructor(lookup: ScramLookup, serverNonce = randomNonce()) {
    this.#lookup = lookup;
    this.#nonce = serverNonce;
  }

  /** The user name the client gave in its first message; `""` before it. */
  get username(): string {
    return this.#username;
  }

  /** Handles the next client message. */
  async step(message: string): Promise<ScramStep> {
    if (this.#state === "first") return this.#first(message);
    if (this.#state === "final") return await this.#final(message);
    return { kind: "failure", reason: "exchange already finished" };
  }

  #first(message: string): ScramStep {
    this.#state = "done";
    const match = /^([ny]),(a=[^,]*)?,(n=([^,]*),r=([^,]+)(,.*)?)$/.exec(
      message,
    );
    if (match === null) {
      return {
        kind: "failure",
        reason: message.startsWith("p=")
          ? "channel binding is not supported"
          : "malformed client-first-message",
      };
    }
    const [, , , bare, name, clientNonce] = match;
    const username = decodeName(name);
    if (username === undefined || username === "") {
      return { kind: "failure", reason: "malformed user name" };
    }
    this.#gs2Header = message.slice(0, message.length - bare.length);
    this.#clientFirstBare = bare;
    this.#username = username;
    this.#credentials = this.#lookup(username);
    const salt = this.#credentials?.salt ??
      crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const iterations = this.#credentials?.iterations ?? SCRAM_ITERATIONS;
    this.#nonce = clientNonce + this.#nonce;
    this.#serverFirst = `r=${this.#nonce},s=${toBase64(salt)},i=${iterations}`;
    this.#state = "final";
    return { kind: "continue", data: this.#serverFirst };
  }

  async #final(message: string): Promise<ScramStep> {
    this.#state = "done";
    const proofAt = message.lastIndexOf(",p=");
    const withoutProof = message.slice(0, proofAt);
    const fields = /^c=([^,]*),r=([^,]*)(,.*)?$/.exec(withoutProof);
    const proof = fromBase64(message.slice(proofAt + 3));
    if (proofAt < 0 || fields === null || proof === undefined) {
      return { kind: "failure", reason: "malformed client-final-message" };
    }
    if (fields[2] !== this.#nonce) {
      return { kind: "failure", reason: "nonce mismatch" };
    }
    if (fields[1] !== toBase64(encoder.encode(this.#gs2Header))) {
      return { kind: "failure", reason: "channel binding mismatch" };
    }
    const credentials = this.#credentials;
    if (credentials === undefined) {
      return { kind: "failure", reason: "no such account" };
    }
    const authMessage = encoder.encode(
      `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`,
    );
    const signature = await hmac(credentials.storedKey, authMessage);
    if (proof.length !== signature.length) {
      return { kind: "failure", reason: "wrong password" };
    }
    const clientKey = proof.map((byte, index) => byte ^ signature[index]);
    if (!sameBytes(await sha256(clientKey), credentials.storedKey)) {
      return { kind: "failure", reason: "wrong password" };
    }
    const serverSignature = await hmac(credentials.serverKey, authMessage);
    return {
      kind: "success",
      data: `v=${toBase64(serverSignature)}`,
      username: this.#username,
    };
  }
}
