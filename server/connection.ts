/**
 * Per-connection I/O: the read loop with the bounded line framer, token-bucket
 * flood control, the bounded send queue with batched writes, keepalive and
 * registration deadlines, and connect/disconnect bookkeeping.
 *
 * @module
 */

import { createLineSplitter } from "../protocol/framer.ts";
import { looksLikeClientHello } from "../tls/sniff.ts";
import { Numeric } from "../protocol/numerics.ts";
import { dispatchLine } from "./commands.ts";
import type { ServerContext, Session } from "./context.ts";
import { createRelay, encodeLine, sendToNeighbours } from "./delivery.ts";
import { formatAddress } from "./listener.ts";
import { reply } from "./replies.ts";
import { createUser, prefixOf, removeUser } from "./state.ts";

/** Read buffer of a quiet connection: small, since every idle connection holds one. */
const SMALL_READ_BYTES = 512;
/** Read buffer used while a connection sends more than fits the small one. */
const LARGE_READ_BYTES = 8192;
/** Queued output that is written at once rather than at the end of the event-loop turn. */
const EAGER_FLUSH_BYTES = 16384;
/** How long a closing connection may take to flush its last lines. */
const CLOSE_FLUSH_MS = 2000;

/** The byte stream a connection runs over: a `Deno.Conn` or `Deno.TlsConn`. */
export type Transport = Pick<Deno.Conn, "read" | "write" | "close">;

/** How a connection ends. */
export interface QuitOptions {
  /** Line sent as `ERROR :<error>` before closing; none closes without a word. */
  error?: string;
  /** Close at once without flushing (the peer is not reading or is gone). */
  hard?: boolean;
  /** Tell users sharing a channel (default true; false on shutdown). */
  announce?: boolean;
}

/** A live client connection. */
export interface Connection {
  /** The session handlers see. */
  readonly session: Session;
  /** Peer IP address. */
  readonly ip: string;
  /** Runs the keepalive and registration deadlines; called by one server-wide sweep. */
  tick(now: number): void;
  /** Ends the connection. */
  end(reason: string, options?: QuitOptions): void;
  /** Settles once the socket is closed. */
  readonly closed: Promise<void>;
}

/** What {@link openConnection} needs besides the server context. */
export interface ConnectionInit {
  /** The socket. */
  transport: Transport;
  /** Peer address. */
  remote: Deno.NetAddr;
  /** Whether the transport is TLS. */
  secure: boolean;
  /** Close (and log) a connection whose first byte looks like a TLS ClientHello. */
  rejectTls: boolean;
  /** Called once after the socket is closed. */
  onClosed: (connection: Connection) => void;
}

/** Flushes of connections with new output, run together after the input at hand is handled. */
const pendingFlushes: (() => void)[] = [];
let flushTimerSet = false;

function runPendingFlushes(): void {
  flushTimerSet = false;
  const flushes = pendingFlushes.splice(0);
  for (const flush of flushes) flush();
}

/**
 * Schedules `flush` for the next turn of the event loop, so lines queued
 * while handling every read that completed in this turn go out in one write
 * per connection.
 */
function scheduleFlush(flush: () => void): void {
  pendingFlushes.push(flush);
  if (!flushTimerSet) {
    flushTimerSet = true;
    setTimeout(runPendingFlushes, 0);
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Starts serving one accepted connection: reading, dispatching and writing until it ends. */
export function openConnection(
  server: ServerContext,
  init: ConnectionInit,
): Connection {
  const { transport } = init;
  const { options } = server;
  const ip = init.remote.hostname;
  const address = formatAddress(init.remote);
  const connectedAt = server.now();

  let queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let writing = false;
  let flushScheduled = false;
  let eagerFlushScheduled = false;
  let closing = false;
  let overflowed = false;
  let closed = false;
  let closeTimer: ReturnType<typeof setTimeout> | undefined;
  let resolveClosed: () => void = () => {};
  const closedPromise = new Promise<void>((resolve) => resolveClosed = resolve);

  let lastInput = connectedAt;
  let pingSentAt = 0;

  let tokens = options.floodBurst;
  let refilledAt = connectedAt;
  let inbox: string[] = [];
  let inboxHead = 0;
  let inboxBytes = 0;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  let endOfInput = false;

  function finishClose(): void {
    if (closed) return;
    closed = true;
    clearTimeout(closeTimer);
    clearTimeout(drainTimer);
    queue = [];
    inbox = [];
    try {
      transport.close();
    } catch {
      // Already closed by the peer or by a failed write.
    }
    resolveClosed();
    init.onClosed(connection);
  }

  function push(bytes: Uint8Array): void {
    queue.push(bytes);
    queuedBytes += bytes.length;
    if (writing) return;
    if (queuedBytes >= EAGER_FLUSH_BYTES) {
      if (!eagerFlushScheduled) {
        eagerFlushScheduled = true;
        queueMicrotask(flush);
      }
    } else if (!flushScheduled) {
      flushScheduled = true;
      scheduleFlush(flush);
    }
  }

  /** The writer: sends everything queued, one write per batch, until the queue is empty. */
  async function flush(): Promise<void> {
    flushScheduled = false;
    eagerFlushScheduled = false;
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0 && !closed) {
        const batch = concat(queue, queuedBytes);
        queue = [];
        let offset = 0;
        while (offset < batch.length) {
          offset += await transport.write(batch.subarray(offset));
        }
        queuedBytes -= batch.length;
      }
    } catch (error) {
      if (!closing) end(`Write error: ${describe(error)}`, { hard: true });
    }
    writing = false;
    if (closing && !closed) finishClose();
  }

  const outbox = {
    send(bytes: Uint8Array): void {
      if (closing || overflowed) return;
      if (queuedBytes + bytes.length > options.sendq) {
        // Deferred: this may run in the middle of a broadcast loop.
        overflowed = true;
        queueMicrotask(() => end("SendQ exceeded", { hard: true }));
        return;
      }
      push(bytes);
    },
  };

  const user = createUser({
    host: ip,
    secure: init.secure,
    outbox,
    now: connectedAt,
  });

  function end(reason: string, quit: QuitOptions = {}): void {
    if (closing) return;
    const announce = quit.announce ?? true;
    if (user.registered) {
      if (announce) {
        sendToNeighbours(
          user,
          createRelay(prefixOf(user), "QUIT", [reason], { time: server.now() }),
          false,
        );
      }
      server.counts.registered--;
      if (user.invisible) server.counts.invisible--;
    } else {
      server.counts.unregistered--;
    }
    removeUser(server.state, user);
    closing = true;
    server.log(`disconnect ${user.nick} ${address} (${reason})`);
    if (quit.error !== undefined && !quit.hard) {
      push(encodeLine(`ERROR :${quit.error}`));
    }
    if (quit.hard || (!writing && !flushScheduled && !eagerFlushScheduled)) {
      finishClose();
    } else {
      closeTimer = setTimeout(finishClose, CLOSE_FLUSH_MS);
    }
  }

  const session: Session = {
    user,
    address,
    password: undefined,
    gotUser: false,
    capNegotiating: false,
    quit: (reason, error) => end(reason, { error }),
  };

  function refill(now: number): void {
    tokens = Math.min(
      options.floodBurst,
      tokens + (now - refilledAt) * options.floodRate / 1000,
    );
    refilledAt = now;
  }

  function drain(): void {
    drainTimer = undefined;
    refill(server.now());
    while (!closing && inboxHead < inbox.length && tokens >= 1) {
      tokens--;
      const line = inbox[inboxHead++];
      inboxBytes -= line.length;
      dispatchLine(server, session, line);
    }
    if (inboxHead >= inbox.length) {
      inbox = [];
      inboxHead = 0;
      if (endOfInput) end("Connection closed");
    } else if (!closing) {
      const wait = (1 - tokens) * 1000 / options.floodRate;
      drainTimer = setTimeout(drain, Math.max(1, wait));
    }
  }

  function onLine(line: string): void {
    if (closing) return;
    if (options.floodRate === 0) {
      dispatchLine(server, session, line);
      return;
    }
    if (inboxHead >= inbox.length) {
      refill(server.now());
      if (tokens >= 1) {
        tokens--;
        dispatchLine(server, session, line);
        return;
      }
    }
    inbox.push(line);
    inboxBytes += line.length;
    if (inboxBytes > options.recvq) {
      end("Excess Flood", { error: "Excess Flood" });
    } else if (drainTimer === undefined) {
      drainTimer = setTimeout(drain, 0);
    }
  }

  const split = createLineSplitter({
    onLine,
    onOverflow: () => {
      if (!closing) {
        reply(
          server,
          user,
          Numeric.ERR_INPUTTOOLONG,
          "Input line was too long",
        );
      }
    },
  });

  async function readLoop(): Promise<void> {
    let buffer = new Uint8Array(SMALL_READ_BYTES);
    let first = true;
    try {
      while (!closing) {
        const count = await transport.read(buffer);
        if (closing) return;
        if (count === null) {
          if (inboxHead < inbox.length) endOfInput = true;
          else end("Connection closed");
          return;
        }
        if (
          first && init.rejectTls &&
          looksLikeClientHello(buffer.subarray(0, count))
        ) {
          server.log(
            `TLS handshake on the plain-text port from ${address}; closing`,
          );
          end("TLS on plain-text port", { hard: true });
          return;
        }
        first = false;
        lastInput = server.now();
        pingSentAt = 0;
        split(buffer.subarray(0, count));
        if (count === buffer.length && buffer.length < LARGE_READ_BYTES) {
          buffer = new Uint8Array(LARGE_READ_BYTES);
        } else if (
          count < SMALL_READ_BYTES && buffer.length > SMALL_READ_BYTES
        ) {
          buffer = new Uint8Array(SMALL_READ_BYTES);
        }
      }
    } catch (error) {
      if (!closing) end(`Read error: ${describe(error)}`, { hard: true });
    }
  }

  function tick(now: number): void {
    if (closing) return;
    if (!user.registered) {
      if (now - connectedAt >= options.registrationTimeout * 1000) {
        end("Registration timeout", { error: "Registration timeout" });
      }
      return;
    }
    if (pingSentAt === 0) {
      if (now - lastInput >= options.pingInterval * 1000) {
        pingSentAt = now;
        outbox.send(encodeLine(`PING :${options.name}`));
      }
    } else if (now - pingSentAt >= options.pingTimeout * 1000) {
      end("Ping timeout", { error: "Ping timeout" });
    }
  }

  const connection: Connection = {
    session,
    ip,
    tick,
    end,
    closed: closedPromise,
  };
  server.counts.unregistered++;
  readLoop();
  return connection;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
