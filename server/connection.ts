/**
 * Per-connection I/O: the read loop with the bounded line framer, token-bucket
 * flood control, the bounded send queue with batched writes, keepalive and
 * registration deadlines, and connect/disconnect bookkeeping.
 *
 * A connection is a class rather than a function with closures on purpose:
 * its methods live once on the prototype, which keeps the memory of each of
 * thousands of idle connections small. The one object is the user's outbox,
 * the session handlers see and the connection the server sweeps.
 *
 * @module
 */

import { createLineSplitter } from "../protocol/framer.ts";
import { Numeric } from "../protocol/numerics.ts";
import { looksLikeClientHello } from "../tls/sniff.ts";
import { dispatchLine } from "./commands.ts";
import type { ServerContext, Session } from "./context.ts";
import { createRelay, encodeLine, sendToNeighbours } from "./delivery.ts";
import { formatAddress } from "./listener.ts";
import { reply } from "./replies.ts";
import {
  createUser,
  type Outbox,
  prefixOf,
  removeUser,
  type User,
} from "./state.ts";

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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class ClientConnection implements Connection, Session, Outbox {
  /** Connections with new output, flushed together after the input at hand is handled. */
  static #pendingFlushes: ClientConnection[] = [];
  static #flushTimerSet = false;

  readonly user: User;
  readonly address: string;
  readonly ip: string;
  password: string | undefined = undefined;
  gotUser = false;
  capNegotiating = false;

  #server: ServerContext;
  #transport: Transport;
  #rejectTls: boolean;
  #onClosed: (connection: Connection) => void;
  #connectedAt: number;

  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  #flushScheduled = false;
  #eagerFlushScheduled = false;
  #closing = false;
  #overflowed = false;
  #isClosed = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #closedPromise: Promise<void> | undefined = undefined;
  #resolveClosed: (() => void) | undefined = undefined;

  #lastInput: number;
  #pingSentAt = 0;

  #tokens: number;
  #refilledAt: number;
  #inbox: string[] = [];
  #inboxHead = 0;
  #inboxBytes = 0;
  #drainTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #endOfInput = false;
  #split: (chunk: Uint8Array) => void;

  constructor(server: ServerContext, init: ConnectionInit) {
    this.#server = server;
    this.#transport = init.transport;
    this.#rejectTls = init.rejectTls;
    this.#onClosed = init.onClosed;
    this.ip = init.remote.hostname;
    this.address = formatAddress(init.remote);
    const now = server.now();
    this.#connectedAt = now;
    this.#lastInput = now;
    this.#tokens = server.options.floodBurst;
    this.#refilledAt = now;
    this.user = createUser({
      host: this.ip,
      secure: init.secure,
      outbox: this,
      now,
    });
    this.#split = createLineSplitter({
      onLine: (line) => this.#onLine(line),
      onOverflow: () => {
        if (!this.#closing) {
          reply(
            server,
            this.user,
            Numeric.ERR_INPUTTOOLONG,
            "Input line was too long",
          );
        }
      },
    });
  }

  get session(): Session {
    return this;
  }

  get closed(): Promise<void> {
    if (this.#isClosed) return Promise.resolve();
    this.#closedPromise ??= new Promise((resolve) =>
      this.#resolveClosed = resolve
    );
    return this.#closedPromise;
  }

  /** Starts reading; the connection runs until it ends. */
  start(): void {
    this.#server.counts.unregistered++;
    this.#readLoop();
  }

  send(bytes: Uint8Array): void {
    if (this.#closing || this.#overflowed) return;
    if (this.#queuedBytes + bytes.length > this.#server.options.sendq) {
      // Deferred: this may run in the middle of a broadcast loop.
      this.#overflowed = true;
      queueMicrotask(() => this.end("SendQ exceeded", { hard: true }));
      return;
    }
    this.#push(bytes);
  }

  quit(reason: string, error?: string): void {
    this.end(reason, { error });
  }

  end(reason: string, quit: QuitOptions = {}): void {
    if (this.#closing) return;
    const server = this.#server;
    const { user } = this;
    if (user.registered) {
      if (quit.announce ?? true) {
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
    this.#closing = true;
    server.log(`disconnect ${user.nick} ${this.address} (${reason})`);
    if (quit.error !== undefined && !quit.hard) {
      this.#push(encodeLine(`ERROR :${quit.error}`));
    }
    const flushing = this.#writing || this.#flushScheduled ||
      this.#eagerFlushScheduled;
    if (quit.hard || !flushing) {
      this.#finishClose();
    } else {
      this.#closeTimer = setTimeout(() => this.#finishClose(), CLOSE_FLUSH_MS);
    }
  }

  tick(now: number): void {
    if (this.#closing) return;
    const { options } = this.#server;
    if (!this.user.registered) {
      if (now - this.#connectedAt >= options.registrationTimeout * 1000) {
        this.end("Registration timeout", { error: "Registration timeout" });
      }
      return;
    }
    if (this.#pingSentAt === 0) {
      if (now - this.#lastInput >= options.pingInterval * 1000) {
        this.#pingSentAt = now;
        this.send(encodeLine(`PING :${options.name}`));
      }
    } else if (now - this.#pingSentAt >= options.pingTimeout * 1000) {
      this.end("Ping timeout", { error: "Ping timeout" });
    }
  }

  static #runPendingFlushes(): void {
    ClientConnection.#flushTimerSet = false;
    const connections = ClientConnection.#pendingFlushes;
    ClientConnection.#pendingFlushes = [];
    for (const connection of connections) connection.#flush();
  }

  #push(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (this.#writing) return;
    if (this.#queuedBytes >= EAGER_FLUSH_BYTES) {
      if (!this.#eagerFlushScheduled) {
        this.#eagerFlushScheduled = true;
        queueMicrotask(() => this.#flush());
      }
    } else if (!this.#flushScheduled) {
      // Flushed on the next turn of the event loop, so lines queued while
      // handling every read that completed in this turn share one write.
      this.#flushScheduled = true;
      ClientConnection.#pendingFlushes.push(this);
      if (!ClientConnection.#flushTimerSet) {
        ClientConnection.#flushTimerSet = true;
        setTimeout(ClientConnection.#runPendingFlushes, 0);
      }
    }
  }

  /** The writer: sends everything queued, one write per batch, until the queue is empty. */
  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    this.#eagerFlushScheduled = false;
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#isClosed) {
        const batch = concat(this.#queue, this.#queuedBytes);
        this.#queue = [];
        let offset = 0;
        while (offset < batch.length) {
          offset += await this.#transport.write(batch.subarray(offset));
        }
        this.#queuedBytes -= batch.length;
      }
    } catch (error) {
      if (!this.#closing) {
        this.end(`Write error: ${describe(error)}`, { hard: true });
      }
    }
    this.#writing = false;
    if (this.#closing && !this.#isClosed) this.#finishClose();
  }

  #finishClose(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#drainTimer);
    this.#queue = [];
    this.#inbox = [];
    try {
      this.#transport.close();
    } catch {
      // Already closed by the peer or by a failed write.
    }
    this.#resolveClosed?.();
    this.#onClosed(this);
  }

  #refill(now: number): void {
    const { floodBurst, floodRate } = this.#server.options;
    this.#tokens = Math.min(
      floodBurst,
      this.#tokens + (now - this.#refilledAt) * floodRate / 1000,
    );
    this.#refilledAt = now;
  }

  #drain(): void {
    this.#drainTimer = undefined;
    this.#refill(this.#server.now());
    while (
      !this.#closing && this.#inboxHead < this.#inbox.length &&
      this.#tokens >= 1
    ) {
      this.#tokens--;
      const line = this.#inbox[this.#inboxHead++];
      this.#inboxBytes -= line.length;
      dispatchLine(this.#server, this, line);
    }
    if (this.#inboxHead >= this.#inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
      if (this.#endOfInput) this.end("Connection closed");
    } else if (!this.#closing) {
      const wait = (1 - this.#tokens) * 1000 / this.#server.options.floodRate;
      this.#drainTimer = setTimeout(() => this.#drain(), Math.max(1, wait));
    }
  }

  #onLine(line: string): void {
    if (this.#closing) return;
    const server = this.#server;
    if (server.options.floodRate === 0) {
      dispatchLine(server, this, line);
      return;
    }
    if (this.#inboxHead >= this.#inbox.length) {
      this.#refill(server.now());
      if (this.#tokens >= 1) {
        this.#tokens--;
        dispatchLine(server, this, line);
        return;
      }
    }
    this.#inbox.push(line);
    this.#inboxBytes += line.length;
    if (this.#inboxBytes > server.options.recvq) {
      this.end("Excess Flood", { error: "Excess Flood" });
    } else if (this.#drainTimer === undefined) {
      this.#drainTimer = setTimeout(() => this.#drain(), 0);
    }
  }

  async #readLoop(): Promise<void> {
    let buffer = new Uint8Array(SMALL_READ_BYTES);
    let first = true;
    try {
      while (!this.#closing) {
        const count = await this.#transport.read(buffer);
        if (this.#closing) return;
        if (count === null) {
          if (this.#inboxHead < this.#inbox.length) this.#endOfInput = true;
          else this.end("Connection closed");
          return;
        }
        if (
          first && this.#rejectTls &&
          looksLikeClientHello(buffer.subarray(0, count))
        ) {
          this.#server.log(
            `TLS handshake on the plain-text port from ${this.address}; closing`,
          );
          this.end("TLS on plain-text port", { hard: true });
          return;
        }
        first = false;
        this.#lastInput = this.#server.now();
        this.#pingSentAt = 0;
        this.#split(buffer.subarray(0, count));
        if (count === buffer.length && buffer.length < LARGE_READ_BYTES) {
          buffer = new Uint8Array(LARGE_READ_BYTES);
        } else if (
          count < SMALL_READ_BYTES && buffer.length > SMALL_READ_BYTES
        ) {
          buffer = new Uint8Array(SMALL_READ_BYTES);
        }
      }
    } catch (error) {
      if (!this.#closing) {
        this.end(`Read error: ${describe(error)}`, { hard: true });
      }
    }
  }
}

/** Starts serving one accepted connection: reading, dispatching and writing until it ends. */
export function openConnection(
  server: ServerContext,
  init: ConnectionInit,
): Connection {
  const connection = new ClientConnection(server, init);
  connection.start();
  return connection;
}
