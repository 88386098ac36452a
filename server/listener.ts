/**
 * Accept loops for the plain-text and TLS listeners. TLS handshakes run per
 * connection with a deadline, so a stalled or failed handshake never blocks
 * accepting others.
 *
 * @module
 */

import {
  explainListenTlsError,
  KeyPairError,
  loadKeyPair,
} from "../tls/key_pair.ts";
import { describeHandshakeFailure } from "../tls/errors.ts";
import type { TlsOptions } from "./options.ts";

/** An accepted, ready-to-use connection. */
export interface Accepted {
  /** The socket (TLS already handshaken when `secure`). */
  conn: Deno.Conn;
  /** Peer address. */
  remote: Deno.NetAddr;
  /** Whether it came in over TLS. */
  secure: boolean;
}

/**
 * Opens the TLS listener on `host` with the certificate and key files of
 * `tls`. Errors name the file at fault.
 */
export async function listenTls(
  host: string,
  tls: TlsOptions,
): Promise<Deno.TlsListener> {
  const { cert, key } = await loadKeyPair(tls);
  try {
    return Deno.listenTls({ hostname: host, port: tls.port, cert, key });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) throw error;
    throw new KeyPairError(explainListenTlsError(error, tls));
  }
}

/** What {@link acceptLoop} needs. */
export interface AcceptLoopOptions {
  /** Whether connections are TLS (then each is handshaken before `onConnection`). */
  secure: boolean;
  /** Longest a TLS handshake may take, in ms. */
  handshakeTimeoutMs: number;
  /** Receives each ready connection. */
  onConnection: (accepted: Accepted) => void;
  /** Writes a log line. */
  log: (line: string) => void;
}

/** `host:port` (IPv6 in brackets) of an address, for logs. */
export function formatAddress(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

async function handshake(
  conn: Deno.TlsConn,
  options: AcceptLoopOptions,
): Promise<void> {
  const remote = conn.remoteAddr as Deno.NetAddr;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      conn.handshake(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`timed out after ${options.handshakeTimeoutMs} ms`),
            ),
          options.handshakeTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    options.log(
      `TLS handshake failed from ${formatAddress(remote)}: ${
        describeHandshakeFailure(error)
      }`,
    );
    try {
      conn.close();
    } catch {
      // The failed handshake may already have closed it.
    }
    return;
  } finally {
    clearTimeout(timer);
  }
  options.onConnection({ conn, remote, secure: true });
}

/**
 * Accepts connections until the listener is closed. Errors from `accept`
 * (such as running out of file descriptors) are logged and retried after a
 * short pause, never thrown.
 */
export async function acceptLoop(
  listener: Deno.Listener,
  options: AcceptLoopOptions,
): Promise<void> {
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (
        error instanceof Deno.errors.BadResource ||
        error instanceof Deno.errors.Interrupted
      ) return;
      options.log(
        `accept failed: ${error instanceof Error ? error.message : error}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (options.secure) {
      handshake(conn as Deno.TlsConn, options);
    } else {
      options.onConnection({
        conn,
        remote: conn.remoteAddr as Deno.NetAddr,
        secure: false,
      });
    }
  }
}
