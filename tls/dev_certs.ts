/**
 * Zero-config development certificates: a local certificate authority and a
 * server certificate it signs, kept in a directory (`certs/` by default),
 * created on first use and reused afterwards.
 *
 * @module
 */

import { commandFor } from "../settings/launcher.ts";
import { join } from "node:path";
import type { CertificateInfo, CertificatePair } from "./certificates.ts";
import { DEV_SERVER_NAMES } from "./names.ts";
import { DEFAULT_TLS_PORT } from "./port.ts";

/** Directory the development certificates live in by default, relative to the working directory. */
export const DEFAULT_CERTS_DIR = "certs";
/** File name of the CA certificate, the file clients pass to `--ca`. */
export const CA_CERT_FILE = "ca.crt";
/** File name of the CA private key (mode 0600). */
export const CA_KEY_FILE = "ca.key";
/** File name of the server certificate. */
export const SERVER_CERT_FILE = "server.crt";
/** File name of the server private key (mode 0600). */
export const SERVER_KEY_FILE = "server.key";

/** A certificate is replaced when it expires within this many milliseconds: one day. */
const RENEW_MARGIN_MS = 24 * 60 * 60 * 1000;
/** Permissions of a private key file: read and write for the owner only. */
const KEY_FILE_MODE = 0o600;

/** Options for {@link ensureDevCertificates}. */
export interface DevCertificateOptions {
  /** Directory to keep the files in; created if missing. Defaults to {@link DEFAULT_CERTS_DIR}. */
  dir?: string;
  /** Names the server certificate covers. Defaults to `localhost` and `127.0.0.1`. */
  names?: readonly string[];
  /** Create a new CA and server certificate even when usable ones exist. Defaults to `false`. */
  force?: boolean;
}

/** Where the development certificates are, and whether this call made them. */
export interface DevCertificates {
  /** The directory holding the files. */
  dir: string;
  /** Path of the CA certificate, for clients' `--ca`. */
  caFile: string;
  /** Path of the server certificate. */
  certFile: string;
  /** Path of the server private key. */
  keyFile: string;
  /** SHA-256 fingerprint of the server certificate, colon-separated hex. */
  fingerprint: string;
  /** Whether this call wrote a new server certificate (`false`: everything was reused). */
  created: boolean;
  /** Whether this call also created a new CA, which clients must be given again. */
  createdAuthority: boolean;
}

async function readPair(
  certFile: string,
  keyFile: string,
): Promise<CertificatePair | null> {
  try {
    return {
      cert: await Deno.readTextFile(certFile),
      key: await Deno.readTextFile(keyFile),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The certificate code, loaded on first use: the X.509 library behind it
 * costs about 20 MB, which a server without `--tls` should not pay.
 */
function certificates(): Promise<typeof import("./certificates.ts")> {
  return import("./certificates.ts");
}

/** Inspects `pair`'s certificate, or gives `null` when it is unreadable. */
async function inspectOrNull(
  pair: CertificatePair | null,
): Promise<CertificateInfo | null> {
  if (pair === null) return null;
  try {
    return await (await certificates()).inspectCertificate(pair.cert);
  } catch {
    return null;
  }
}

function usable(info: CertificateInfo | null, now: number): boolean {
  return info !== null && info.notBefore.getTime() <= now &&
    info.notAfter.getTime() - RENEW_MARGIN_MS > now;
}

function coversNames(info: CertificateInfo, names: readonly string[]): boolean {
  return names.every((name) => info.names.includes(name));
}

async function writePair(
  pair: CertificatePair,
  certFile: string,
  keyFile: string,
): Promise<void> {
  // Remove first: `mode` only applies to a file being created.
  await Deno.remove(keyFile).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.writeTextFile(keyFile, pair.key, {
    mode: KEY_FILE_MODE,
    createNew: true,
  });
  if (Deno.build.os !== "windows") await Deno.chmod(keyFile, KEY_FILE_MODE);
  await Deno.writeTextFile(certFile, pair.cert);
}

/**
 * Makes sure `dir` holds a development CA and a server certificate it signed
 * covering (at least) the wanted names, valid for at least another day. Reuses what is there;
 * reissues only the server certificate when the CA is still good; otherwise
 * (or with `force`) creates both. Private keys are written with mode 0600.
 */
export async function ensureDevCertificates(
  options: DevCertificateOptions = {},
): Promise<DevCertificates> {
  const dir = options.dir ?? DEFAULT_CERTS_DIR;
  const names = options.names ?? DEV_SERVER_NAMES;
  const caFile = join(dir, CA_CERT_FILE);
  const caKeyFile = join(dir, CA_KEY_FILE);
  const certFile = join(dir, SERVER_CERT_FILE);
  const keyFile = join(dir, SERVER_KEY_FILE);
  const now = Date.now();

  let authority = options.force ? null : await readPair(caFile, caKeyFile);
  if (!usable(await inspectOrNull(authority), now)) authority = null;
  const server = authority === null ? null : await readPair(certFile, keyFile);
  const serverInfo = await inspectOrNull(server);
  const paths = { dir, caFile, certFile, keyFile };
  if (
    authority !== null && serverInfo !== null && usable(serverInfo, now) &&
    coversNames(serverInfo, names)
  ) {
    return {
      ...paths,
      fingerprint: serverInfo.fingerprint,
      created: false,
      createdAuthority: false,
    };
  }

  await Deno.mkdir(dir, { recursive: true });
  const {
    createCertificateAuthority,
    inspectCertificate,
    issueServerCertificate,
  } = await certificates();
  const createdAuthority = authority === null;
  if (authority === null) {
    authority = await createCertificateAuthority();
    await writePair(authority, caFile, caKeyFile);
  }
  const issued = await issueServerCertificate(authority, { names });
  await writePair(issued, certFile, keyFile);
  const { fingerprint } = await inspectCertificate(issued.cert);
  return { ...paths, fingerprint, created: true, createdAuthority };
}

/** Where the server listens for TLS, so the printed client command can name it. */
export interface ListenHint {
  /** The server's `--host`; omitted from the command for loopback and wildcard addresses. */
  host?: string;
  /** The TLS port; omitted for the default and for 0 (chosen at start). */
  port?: number;
}

/** Hosts a client on the same machine reaches with its default `--host`. */
const DEFAULT_REACHABLE = new Set([
  "127.0.0.1",
  "localhost",
  "0.0.0.0",
  "::",
  "[::]",
]);

/**
 * The lines a server prints about its development certificates: where the
 * CA file is, the client command that trusts it, and the server
 * certificate's fingerprint, so users can check they reached the right
 * server.
 */
export function describeDevCertificates(
  certs: DevCertificates,
  listen: ListenHint = {},
): string[] {
  const action = certs.createdAuthority
    ? "Created a development CA and server certificate"
    : certs.created
    ? "Renewed the development server certificate"
    : "Using the development certificates";
  let command = `${commandFor("client")} --tls --ca ${certs.caFile}`;
  if (listen.host !== undefined && !DEFAULT_REACHABLE.has(listen.host)) {
    command += ` --host ${listen.host}`;
  }
  if (
    listen.port !== undefined && listen.port !== 0 &&
    listen.port !== DEFAULT_TLS_PORT
  ) command += ` --port ${listen.port}`;
  return [
    `${action} in ${certs.dir}.`,
    `CA certificate: ${certs.caFile} (clients connect with: ${command})`,
    `Server certificate SHA-256 fingerprint: ${certs.fingerprint}`,
  ];
}
