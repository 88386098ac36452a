/**
 * Loads the PEM certificate and key a TLS listener serves, turning every way
 * the files can be wrong into a sentence that names the file.
 *
 * @module
 */

import type { CertificatePair } from "./certificates.ts";

/** Where a TLS listener's certificate chain and private key are. */
export interface KeyPairFiles {
  /** Path of the PEM certificate chain. */
  certFile: string;
  /** Path of the PEM private key. */
  keyFile: string;
}

/** A certificate or key file that cannot be used; the message names the file and the fix. */
export class KeyPairError extends Error {
  /** Creates the error with a sentence for the operator. */
  constructor(message: string) {
    super(message);
    this.name = "KeyPairError";
  }
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;
const ENCRYPTED_KEY =
  /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

async function readPem(what: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new KeyPairError(`TLS ${what} file not found: ${path}`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new KeyPairError(
        `cannot read the TLS ${what} file ${path}: permission denied (run the server as a user who can read it)`,
      );
    }
    throw new KeyPairError(
      `cannot read the TLS ${what} file ${path}: ${(error as Error).message}`,
    );
  }
}

/**
 * Reads and checks a certificate chain and private key. Throws a
 * {@link KeyPairError} naming the file when one is missing, unreadable, not
 * PEM, or an encrypted key.
 */
export async function loadKeyPair(
  files: KeyPairFiles,
): Promise<CertificatePair> {
  const cert = await readPem("certificate", files.certFile);
  const key = await readPem("key", files.keyFile);
  if (!CERTIFICATE.test(cert)) {
    const hint = PRIVATE_KEY.test(cert)
      ? " (it holds a private key: are --cert and --key swapped?)"
      : "";
    throw new KeyPairError(
      `${files.certFile} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")${hint}`,
    );
  }
  if (ENCRYPTED_KEY.test(key)) {
    throw new KeyPairError(
      `${files.keyFile} is an encrypted private key: decrypt it first (openssl pkey -in ${files.keyFile} -out server.key)`,
    );
  }
  if (!PRIVATE_KEY.test(key)) {
    throw new KeyPairError(
      `${files.keyFile} holds no PEM private key ("-----BEGIN PRIVATE KEY-----")`,
    );
  }
  return { cert, key };
}

/**
 * Explains why `Deno.listenTls` refused a pair {@link loadKeyPair} accepted:
 * usually a key that belongs to another certificate.
 */
export function explainListenTlsError(
  error: unknown,
  files: KeyPairFiles,
): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("KeyMismatch")) {
    return `the private key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`;
  }
  if (/No certificates found|No keys found/.test(message)) {
    return `${files.certFile} or ${files.keyFile} holds no usable PEM data: ${message}`;
  }
  return `cannot use the TLS certificate ${files.certFile} with key ${files.keyFile}: ${message}`;
}
