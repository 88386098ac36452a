/**
 * The plain-text and TLS listeners, and the accept loop they share. TLS
 * handshakes run per connection with a deadline that closes the socket (see
 * `tls/relay.ts`), so a stalled or failed handshake never blocks accepting
 * others nor holds a socket open.
 *
 * @module
 */

import { describeHandshakeFailure } from "../tls/errors.ts";
import {
  explainListenTlsError,
  KeyPairError,
  loadKeyPair,
} from "../tls/key_pair.ts";
import { listenTlsRelay } from "../tls/relay.ts";
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

/** A listening socket that hands out ready connections. */
export interface ConnectionSource {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Resolves with the next connection; rejects with `Deno.errors.BadResource` once closed. */
  accept(): Promise<Accepted>;
  /** For a TLS source: handshakes new clients with this pair from now on, leaving connected ones be. */
  setKeyPair?(pair: { cert: string; key: string }): void;
  /** Stops listening. */
  close(): void;
}

/** `host:port` (IPv6 in brackets) of an address, for logs. */
export function formatAddress(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** Which listener a flag sets: what messages call its port, and the flag that changes it. */
export interface ListenRole {
  /** How messages name the port: `port`, `TLS port`, `web port`. */
  label: string;
  /** The flag that sets it: `--port`, `--tls-port`, `--web-port`. */
  flag: string;
}

/** The plain-text, TLS and web listeners' roles. */
export const LISTEN_ROLES = {
  plain: { label: "port", flag: "--port" },
  tls: { label: "TLS port", flag: "--tls-port" },
  web: { label: "web port", flag: "--web-port" },
} as const satisfies Record<string, ListenRole>;

/** A listener that could not start; the message names the address and the flag to change. */
export class ListenError extends Error {
  /** Creates the error with its sentence and the system error behind it. */
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "ListenError";
  }
}

function isLookupFailure(error: unknown): boolean {
  return error instanceof Error &&
    /lookup address|Name or service not known|nodename nor servname|No address associated/i
      .test(error.message);
}

/** Whether `error` is about the address to listen on (not, say, a certificate). */
export function isAddressError(error: unknown): boolean {
  return error instanceof Deno.errors.AddrInUse ||
    error instanceof Deno.errors.AddrNotAvailable || isLookupFailure(error);
}

/**
 * A sentence for a failure to listen on `host:port` in `role`, naming the
 * flag to change: a taken port, a host that does not resolve or is not this
 * machine's, a port that needs privileges. Undefined for other errors.
 */
export function explainListenError(
  error: unknown,
  role: ListenRole,
  host: string,
  port: number,
): ListenError | undefined {
  if (error instanceof Deno.errors.AddrInUse) {
    return new ListenError(
      `address already in use: cannot listen on ${host} ${role.label} ${port}: another program (maybe another tertulia) holds it; stop it, or choose another port with ${role.flag}`,
      error,
    );
  }
  if (isLookupFailure(error)) {
    return new ListenError(
      `--host ${host}: no such host name (it does not resolve to an address)`,
      error,
    );
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new ListenError(
      `--host ${host}: not an address of this machine (use one of its addresses, or 0.0.0.0 for all)`,
      error,
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new ListenError(
      `${role.flag} ${port}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`,
      error,
    );
  }
  return undefined;
}

/** Runs `open`, turning an address failure into a {@link ListenError} for `role`. */
export async function openListener<T>(
  role: ListenRole,
  host: string,
  port: number,
  open: () => T | Promise<T>,
): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw explainListenError(error, role, host, port) ?? error;
  }
}

/** Opens the plain-text listener on `host:port`. */
export function listenPlain(host: string, port: number): ConnectionSource {
  const listener = Deno.listen({ hostname: host, port });
  return {
    addr: listener.addr,
    async accept() {
      const conn = await listener.accept();
      return { conn, remote: conn.remoteAddr, secure: false };
    },
    close: () => listener.close(),
  };
}

/** What {@link listenTls} needs besides the address and files. */
export interface TlsListenOptions {
  /** Longest a TLS handshake may take, in ms. */
  handshakeTimeoutMs: number;
  /** Writes a log line (one per failed handshake, with the client's address). */
  log: (line: string) => void;
}

/**
 * Opens the TLS listener on `host` with the certificate and key files of
 * `tls`. Errors name the file at fault. Connections come out handshaken.
 */
export async function listenTls(
  host: string,
  tls: TlsOptions,
  options: TlsListenOptions,
): Promise<ConnectionSource> {
  const { cert, key } = await loadKeyPair(tls);
  let relay;
  try {
    relay = listenTlsRelay({
      hostname: host,
      port: tls.port,
      cert,
      key,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      onHandshakeFailure: (remote, error) =>
        options.log(
          `TLS handshake failed from ${formatAddress(remote)}: ${
            describeHandshakeFailure(error)
          }`,
        ),
    });
  } catch (error) {
    if (isAddressError(error)) throw error;
    throw new KeyPairError(explainListenTlsError(error, tls));
  }
  return {
    addr: relay.addr,
    async accept() {
      const { conn, remote } = await relay.accept();
      return { conn, remote, secure: true };
    },
    setKeyPair: (pair) => relay.setKeyPair(pair),
    close: () => relay.close(),
  };
}

/** What {@link acceptLoop} needs. */
export interface AcceptLoopOptions {
  /** Receives each ready connection. */
  onConnection: (accepted: Accepted) => void;
  /** Writes a log line. */
  log: (line: string) => void;
}

/**
 * Accepts connections until the source is closed. Errors from `accept`
 * (such as running out of file descriptors) are logged and retried after a
 * short pause, never thrown.
 */
export async function acceptLoop(
  source: ConnectionSource,
  options: AcceptLoopOptions,
): Promise<void> {
  while (true) {
    let accepted: Accepted;
    try {
      accepted = await source.accept();
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
    options.onConnection(accepted);
  }
}
