/**
 * Password hashing: argon2id (hash-wasm) in the PHC string form
 * `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, verified by recomputing the hash
 * with the stored parameters and comparing in constant time. The cost is
 * OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane).
 *
 * @module
 */

/**
 * hash-wasm, loaded on the first hash: most servers never hash a password,
 * and the module with its WebAssembly costs memory in every process.
 */
async function loadArgon2id(): Promise<typeof import("hash-wasm").argon2id> {
  return (await import("hash-wasm")).argon2id;
}

/** Memory cost in KiB. */
const MEMORY_KIB = 19456;
/** Passes over memory. */
const ITERATIONS = 2;
/** Lanes. */
const PARALLELISM = 1;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

/** Shortest password accepted by default, in characters. */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted, in bytes (a bound on hashing work; it fits one SASL message). */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * Why a password is refused for a new account or oper (shorter than
 * `minLength` characters, too long, control characters), or `undefined`
 * when it is acceptable.
 */
export function passwordProblem(
  password: string,
  minLength = MIN_PASSWORD_LENGTH,
): string | undefined {
  if (password === "" || [...password].length < minLength) {
    return `Passwords must be at least ${minLength} characters long`;
  }
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    return `Passwords must be at most ${MAX_PASSWORD_BYTES} bytes long`;
  }
  if ([...password].some((char) => char < " " || char === "\x7f")) {
    return "Passwords may not contain control characters";
  }
  return undefined;
}

/** Hashes `password` with a fresh random salt; resolves to a PHC string. */
export async function hashPassword(password: string): Promise<string> {
  const argon2id = await loadArgon2id();
  return argon2id({
    password,
    salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
    parallelism: PARALLELISM,
    iterations: ITERATIONS,
    memorySize: MEMORY_KIB,
    hashLength: HASH_BYTES,
    outputType: "encoded",
  });
}

const PHC =
  /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Decodes unpadded base64. */
function fromBase64(text: string): Uint8Array {
  const padded = text + "=".repeat((4 - text.length % 4) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

/** Whether `hash` looks like a PHC argon2id string this module can verify. */
export function isPasswordHash(hash: string): boolean {
  return PHC.test(hash);
}

/**
 * Whether `a` and `b` are the same bytes, in time that depends only on their
 * lengths: every byte is compared, differences are folded into one value.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Whether `password` matches the PHC string `hash`; false for a malformed hash. */
export async function verifyPassword(
  password: string,
  hash: string,
): Promise<boolean> {
  const match = PHC.exec(hash);
  if (match === null) return false;
  const [, memory, iterations, parallelism, salt, digest] = match;
  const expected = fromBase64(digest);
  const argon2id = await loadArgon2id();
  const actual = await argon2id({
    password,
    salt: fromBase64(salt),
    parallelism: Number(parallelism),
    iterations: Number(iterations),
    memorySize: Number(memory),
    hashLength: expected.length,
    outputType: "binary",
  });
  return sameBytes(actual, expected);
}
