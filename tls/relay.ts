/**
 * A TLS listener whose handshake deadline really closes the socket.
 *
 * `Deno.listenTls` cannot drop a stalled handshake: closing a `TlsConn`
 * whose handshake has not finished leaves its socket open until the peer
 * gives up, so a slow client could hold file descriptors forever. Here the
 * public port is a plain TCP listener; each connection is relayed, byte for
 * byte, to a private `Deno.listenTls` on loopback. The relay owns the client's
 * socket, so at the deadline it closes it, and the private side then fails
 * its handshake and frees everything.
 *
 * @module
 */

/** Options for {@link listenTlsRelay}. */
export interface TlsRelayOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** Longest a client may take from connecting to finishing its handshake, in ms. */
  handshakeTimeoutMs: number;
  /** Called once for each connection whose handshake failed or timed out, with the client's address; the connection is then closed. */
  onHandshakeFailure: (remote: Deno.NetAddr, error: unknown) => void;
}

/** A connection whose TLS handshake has completed. */
export interface SecureConnection {
  /** The decrypted connection; closing it closes the client's socket. */
  conn: Deno.TlsConn;
  /** The client's address (not the relay's loopback one). */
  remote: Deno.NetAddr;
}

/** The listener {@link listenTlsRelay} returns. */
export interface TlsRelayListener {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  /** Resolves with the next connection that completed its handshake; rejects with `Deno.errors.BadResource` once closed. */
  accept(): Promise<SecureConnection>;
  /**
   * Handshakes new clients with this certificate chain and key from now on
   * (rotation); connected clients keep their sessions. Throws like
   * `Deno.listenTls` for a bad certificate or key, keeping the old pair.
   */
  setKeyPair(pair: { cert: string; key: string }): void;
  /** Stops listening and closes every connection still handshaking. */
  close(): void;
}

/** Error for a handshake that did not finish in time. */
export class HandshakeTimeoutError extends Error {
  /** Creates the error for a deadline of `ms` milliseconds. */
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "HandshakeTimeoutError";
  }
}

/** How long a failed handshake's alert may take to reach the client before its socket is closed anyway. */
const ALERT_GRACE_MS = 1000;
const COPY_BUFFER_BYTES = 16 * 1024;

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Copies `from` to `to` until `from` ends or either fails. */
async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(COPY_BUFFER_BYTES);
  try {
    while (true) {
      const count = await from.read(buffer);
      if (count === null) return;
      let written = 0;
      while (written < count) {
        written += await to.write(buffer.subarray(written, count));
      }
    }
  } catch {
    // A reset or a socket closed under us ends the copy like EOF.
  }
}

/**
 * Calls `onConn` with each connection `listener` accepts until it is closed.
 * Other accept errors (out of file descriptors and the like) pause the loop
 * briefly instead of ending it.
 */
async function acceptEach<C extends Deno.Conn>(
  listener: Deno.Listener<C>,
  isClosed: () => boolean,
  onConn: (conn: C) => void,
): Promise<void> {
  while (true) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (isClosed() || error instanceof Deno.errors.BadResource) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    onConn(conn);
  }
}

/**
 * Listens for TLS on `hostname:port`, handshaking each client with a
 * deadline that closes its socket. Throws like `Deno.listen` (e.g.
 * `AddrInUse`) and `Deno.listenTls` (a bad certificate or key).
 */
export function listenTlsRelay(options: TlsRelayOptions): TlsRelayListener {
  const listenInner = (pair: { cert: string; key: string }) =>
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair });
  let inner = listenInner(options);
  let outer: Deno.Listener;
  try {
    outer = Deno.listen({ hostname: options.hostname, port: options.port });
  } catch (error) {
    inner.close();
    throw error;
  }
  let innerAddr = inner.addr;
  // Private listeners of replaced key pairs, closed once every handshake
  // that may have been relayed to them is over.
  const retired = new Map<Deno.TlsListener, ReturnType<typeof setTimeout>>();

  // Private connections are matched with the client they carry by the
  // relay's local port; whichever side shows up first waits for the other.
  const unclaimed = new Map<number, Deno.TlsConn>();
  // Ports whose relay gave up before its private connection arrived.
  const abandoned = new Set<number>();
  const waiters = new Map<number, (conn: Deno.TlsConn) => void>();
  const arrival = (port: number): Promise<Deno.TlsConn> => {
    const early = unclaimed.get(port);
    if (early === undefined) {
      return new Promise((resolve) => waiters.set(port, resolve));
    }
    unclaimed.delete(port);
    return Promise.resolve(early);
  };

  const ready: SecureConnection[] = [];
  const acceptors: PromiseWithResolvers<SecureConnection>[] = [];
  // What `close` must stop: handshakes under way, and failed connections
  // still letting their alert drain. Established ones belong to the server.
  const pending = new Set<() => void>();
  let closed = false;

  function deliver(connection: SecureConnection): void {
    const acceptor = acceptors.shift();
    if (acceptor !== undefined) acceptor.resolve(connection);
    else ready.push(connection);
  }

  async function relay(client: Deno.TcpConn): Promise<void> {
    const remote = client.remoteAddr;
    client.setNoDelay(true);
    let link: Deno.TcpConn;
    try {
      link = await Deno.connect({
        hostname: "127.0.0.1",
        port: innerAddr.port,
      });
    } catch (error) {
      closeQuietly(client);
      options.onHandshakeFailure(remote, error);
      return;
    }
    link.setNoDelay(true);
    const port = link.localAddr.port;
    let tls: Deno.TlsConn | undefined;
    let delivered = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const timeout = Promise.withResolvers<never>();
    const closeAll = () => {
      clearTimeout(grace);
      pending.delete(stop);
      closeQuietly(client);
      closeQuietly(link);
      // Once delivered, the TlsConn is the server's to close.
      if (tls !== undefined && !delivered) closeQuietly(tls);
    };
    const stop = () => {
      timeout.reject(new Deno.errors.BadResource("listener closed"));
      closeAll();
    };
    // The client's end of input is passed on, so a TLS alert it sent before
    // hanging up is still read. The private side ending ends both: the
    // server closing its TlsConn closes the client's socket.
    copy(client, link).then(() => link.closeWrite().catch(closeAll));
    copy(link, client).then(closeAll);

    const timer = setTimeout(
      () =>
        timeout.reject(new HandshakeTimeoutError(options.handshakeTimeoutMs)),
      options.handshakeTimeoutMs,
    );
    pending.add(stop);
    try {
      tls = await Promise.race([arrival(port), timeout.promise]);
      await Promise.race([tls.handshake(), timeout.promise]);
      pending.delete(stop);
      delivered = true;
      deliver({ conn: tls, remote });
    } catch (error) {
      if (error instanceof HandshakeTimeoutError || closed) {
        closeAll();
      } else {
        // Let the TLS alert reach the client before its socket closes.
        if (tls !== undefined) closeQuietly(tls);
        grace = setTimeout(closeAll, ALERT_GRACE_MS);
      }
      if (!closed) options.onHandshakeFailure(remote, error);
    } finally {
      clearTimeout(timer);
      if (waiters.delete(port)) abandoned.add(port);
    }
  }

  const claim = (conn: Deno.TlsConn) => {
    const port = (conn.remoteAddr as Deno.NetAddr).port;
    const waiter = waiters.get(port);
    if (abandoned.delete(port)) {
      closeQuietly(conn);
    } else if (waiter === undefined) {
      // Here before its relay, or from another local process: kept until
      // claimed or the listener closes.
      unclaimed.set(port, conn);
    } else {
      waiters.delete(port);
      waiter(conn);
    }
  };
  acceptEach(inner, () => closed, claim);
  acceptEach(outer, () => closed, (client) => relay(client as Deno.TcpConn));

  return {
    addr: outer.addr as Deno.NetAddr,
    accept() {
      const connection = ready.shift();
      if (connection !== undefined) return Promise.resolve(connection);
      if (closed) {
        return Promise.reject(new Deno.errors.BadResource("listener closed"));
      }
      const acceptor = Promise.withResolvers<SecureConnection>();
      acceptors.push(acceptor);
      return acceptor.promise;
    },
    setKeyPair(pair) {
      const next = listenInner(pair);
      const old = inner;
      inner = next;
      innerAddr = next.addr;
      acceptEach(next, () => closed, claim);
      const timer = setTimeout(() => {
        retired.delete(old);
        closeQuietly(old);
      }, options.handshakeTimeoutMs + 1000);
      Deno.unrefTimer(timer);
      retired.set(old, timer);
    },
    close() {
      if (closed) return;
      closed = true;
      outer.close();
      inner.close();
      for (const [listener, timer] of retired) {
        clearTimeout(timer);
        closeQuietly(listener);
      }
      retired.clear();
      for (const stop of [...pending]) stop();
      for (const conn of unclaimed.values()) closeQuietly(conn);
      unclaimed.clear();
      for (const { conn } of ready.splice(0)) closeQuietly(conn);
      for (const acceptor of acceptors.splice(0)) {
        acceptor.reject(new Deno.errors.BadResource("listener closed"));
      }
    },
  };
}
