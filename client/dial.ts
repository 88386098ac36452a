/**
 * Opening the client's connection to a server, over TCP or TLS, and saying
 * in plain words why it failed.
 *
 * @module
 */

import { commandFor } from "../settings/launcher.ts";
import { explainClientTlsError } from "../tls/errors.ts";

/** Where and how to connect. */
export interface DialOptions {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Connect with TLS when set; `caFile` is a PEM file of CAs to trust instead of the system roots. */
  tls?: { caFile?: string };
}

/** A connection failure, with a sentence for people in `message`. */
export class ConnectError extends Error {
  /** Creates the error; `cause` is the underlying exception. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectError";
  }
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new ConnectError(`Cannot read CA file ${path}: ${reason}.`, {
      cause: error,
    });
  }
}

/** Turns a failure to connect to `options` into a sentence that says what to do. */
export function describeConnectError(
  error: unknown,
  options: DialOptions,
): string {
  if (error instanceof ConnectError) return error.message;
  const where = `${options.host}:${options.port}`;
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.ConnectionRefused) {
    return `Could not connect to ${where}: connection refused.\n` +
      `Is the server running? Start it with \`${commandFor("server")}\`, ` +
      "or pick another one with --host and --port.";
  }
  if (/lookup|resolve|Name or service not known/i.test(reason)) {
    return `Could not find the host ${options.host}. Check the --host flag.`;
  }
  if (error instanceof Deno.errors.TimedOut) {
    return `Connecting to ${where} timed out. Check the host and port.`;
  }
  if (options.tls !== undefined) {
    const explained = explainClientTlsError(error, {
      host: options.host,
      port: options.port,
      caFile: options.tls.caFile,
    });
    return `TLS connection to ${where} failed: ${explained ?? reason}`;
  }
  return `Could not connect to ${where}: ${reason}`;
}

/**
 * Makes TLS trust the operating system's root certificates (as well as the
 * Mozilla set Deno bundles) unless the user chose a store with
 * `DENO_TLS_CA_STORE`. Takes effect when it runs before the first TLS
 * connection of the process.
 */
export function trustSystemRoots(): void {
  if (Deno.env.get("DENO_TLS_CA_STORE") === undefined) {
    Deno.env.set("DENO_TLS_CA_STORE", "system,mozilla");
  }
}

/**
 * Opens a TCP (or, with `tls`, TLS) connection and, for TLS, completes the
 * handshake so certificate problems surface here rather than at the first read.
 * TLS trusts the system's roots plus the CAs in `tls.caFile`, if given.
 */
export async function dialServer(
  options: DialOptions,
): Promise<Deno.Conn> {
  const { host, port } = options;
  if (options.tls === undefined) {
    return await Deno.connect({ hostname: host, port });
  }
  trustSystemRoots();
  const caCerts = options.tls.caFile === undefined
    ? undefined
    : [await readCaFile(options.tls.caFile)];
  const conn = await Deno.connectTls({ hostname: host, port, caCerts });
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}
