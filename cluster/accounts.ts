/**
 * Accounts as JSON, so one registered on a node can be stored by the others
 * (its hash and SCRAM keys travel, never a password).
 *
 * @module
 */

import { fromBase64, toBase64 } from "../accounts/scram.ts";
import type { Account } from "../accounts/store.ts";

/** Bytes of a base64 field; an unreadable one is an error, not an empty key. */
function bytesOf(text: string): Uint8Array {
  const bytes = fromBase64(text);
  if (bytes === undefined) throw new Error("an account field is not base64");
  return bytes;
}

/** `account` in its stored, shareable form. */
export function encodeAccount(account: Account): string {
  const { scram } = account;
  return JSON.stringify({
    name: account.name,
    passwordHash: account.passwordHash,
    createdAt: account.createdAt,
    scram: {
      salt: toBase64(scram.salt),
      iterations: scram.iterations,
      storedKey: toBase64(scram.storedKey),
      serverKey: toBase64(scram.serverKey),
    },
  });
}

/** The account {@link encodeAccount} wrote. */
export function decodeAccount(json: string): Account {
  const data = JSON.parse(json);
  return {
    name: data.name,
    passwordHash: data.passwordHash,
    createdAt: data.createdAt,
    scram: {
      salt: bytesOf(data.scram.salt),
      iterations: data.scram.iterations,
      storedKey: bytesOf(data.scram.storedKey),
      serverKey: bytesOf(data.scram.serverKey),
    },
  };
}
