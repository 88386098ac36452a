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

import { disconnectCause } from "../metrics/traffic.ts";
import { LineFramer, type LineSink } from "../protocol/framer.ts";
import { Numeric } from "../protocol/numerics.ts";
import { plainQuitReason } from "../tls/errors.ts";
import { looksLikeClientHello } from "../tls/sniff.ts";
import { dispatchLine } from "./commands.ts";
import type { ServerContext, Session } from "./context.ts";
import { departUser } from "./departure.ts";
import { encodeLine } from "./delivery.ts";
import { formatAddress } from "./listener.ts";
import { reply } from "./replies.ts";
import { LineQueue } from "./line_queue.ts";
import { MAX_WRITE_BYTES, WriteBuffers } from "./write_buffers.ts";
import { createUser, type Outbox, type User } from "./state.ts";

/** Read buffer of a quiet connection: small, since every idle connection holds one. */
const SMALL_READ_BYTES = 512;
/** Read buffer used while a connection sends more than fits the small one. */
const LARGE_READ_BYTES = 8192;
/** Queued output that is written at once rather than at the end of the event-loop turn. */
const EAGER_FLUSH_BYTES = 16384;
/**
 * Queued output above which a connection holds back the clients whose
 * commands feed it: their input is not read any further until it drains.
 * See docs/backpressure.md for the bound this gives.
 */
export const SOFT_SENDQ_BYTES = 32768;
/** Queued output at or below which held-back clients are read again. */
const RESUME_SENDQ_BYTES = 8192;
/**
 * A connection over {@link SOFT_SENDQ_BYTES} that writes less than
 * {@link STALL_PROGRESS_BYTES} in this long is stalled: it stops holding
 * others back, and its queue grows until the hard sendq drops it. It is
 * live again once it catches up (down to {@link RESUME_SENDQ_BYTES}); a
 * trickle does not count, or a reader whose socket opens a crack now and
 * then would hold everyone back again and again.
 */
const STALL_MS = 500;
/** Least output a connection holding others back must write per {@link STALL_MS} not to count as stalled. */
const STALL_PROGRESS_BYTES = 8192;
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A received line that was not valid UTF-8 (held apart so its sender can be warned). */
class InvalidUtf8Line {
  readonly line: string;
  constructor(line: string) {
    this.line = line;
  }
}

/** The length of a queued line, for the recvq accounting. */
function lineLength(entry: string | InvalidUtf8Line): number {
  return typeof entry === "string" ? entry.length : entry.line.length;
}

class ClientConnection implements Connection, Session, Outbox, LineSink {
  /** Connections with new output, flushed together after the input at hand is handled. */
  static #pendingFlushes: ClientConnection[] = [];
  static #flushTimerSet = false;
  /** The connection whose command is running: the source of what is being sent. */
  static #dispatching: ClientConnection | undefined = undefined;

  readonly user: User;
  readonly address: string;
  readonly ip: string;
  password: string | undefined = undefined;
  gotUser = false;
  capNegotiating = false;
  capVersion = 0;

  #server: ServerContext;
  #transport: Transport;
  #rejectTls: boolean;
  #onClosed: (connection: Connection) => void;
  #connectedAt: number;

  /** Output not yet written. */
  #queue = new LineQueue();
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

  /** Connections held back because this one's queue is over the soft limit; made on first use. */
  #heldBack: ClientConnection[] | undefined = undefined;
  /** How many congested connections hold this one's input back. */
  #holders = 0;
  /** Wakes the read loop once no connection holds it back. */
  #resumeReading: (() => void) | undefined = undefined;
  /** Bytes written so far, so the stall check can tell a slow reader from a stalled one. */
  #written = 0;
  #stalled = false;
  #stallTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  #lastInput: number;
  #pingSentAt = 0;

  #tokens: number;
  #refilledAt: number;
  #inbox: (string | InvalidUtf8Line)[] = [];
  #inboxHead = 0;
  #inboxBytes = 0;
  #drainTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #endOfInput = false;
  /** Frames input with this connection as its sink: methods, not closures per connection. */
  #framer: LineFramer;

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
    this.#framer = new LineFramer(this);
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
      this.#endSoon("SendQ exceeded");
      return;
    }
    this.#server.traffic.linesOut++;
    this.#push(bytes);
    if (this.#queuedBytes > SOFT_SENDQ_BYTES && !this.#stalled) {
      this.#holdBackSource();
    }
  }

  quit(reason: string, error?: string): void {
    this.end(reason, { error });
  }

  end(reason: string, quit: QuitOptions = {}): void {
    const server = this.#server;
    const { user } = this;
    const announce = quit.announce ?? true;
    if (this.#closing) {
      // Closed while its departure waits for the log, which brought a QUIT
      // it had sent before: it leaves now, with that reason, as it does on
      // the other nodes at this point of the log.
      if (
        server.network?.applying && server.state.users.get(user.key) === user
      ) {
        departUser(server, user, reason, announce, true);
      }
      return;
    }
    // On a network, a departure the log did not bring is applied when the
    // log brings it back, on every node in the same place.
    if (
      !(user.registered &&
        server.network?.departLater(this, reason, announce) === true)
    ) {
      departUser(server, user, reason, announce, true);
    }
    this.#closing = true;
    this.#releaseHeldBack();
    server.traffic.disconnects[disconnectCause(reason)]++;
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
    // A connection keeps its queue's slots while busy; idle, none.
    if (!this.#writing) this.#queue.release();
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

  // Microtasks and timers are set in methods of their own: a closure over
  // `this` in a hot method (#push, send, onLine) makes V8 allocate a context
  // on every call of it, whether the closure is made or not, which was a
  // third of all allocation in the burst scenario.

  /** Flushes in a microtask. */
  #flushSoon(): void {
    queueMicrotask(() => this.#flush());
  }

  /** Ends the connection, without flushing, in a microtask. */
  #endSoon(reason: string): void {
    queueMicrotask(() => this.end(reason, { hard: true }));
  }

  /** Runs the delayed lines after `delay` ms. */
  #drainIn(delay: number): void {
    this.#drainTimer = setTimeout(() => this.#drain(), delay);
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
    const output = this.#server.output;
    output.queuedBytes += bytes.length;
    if (output.queuedBytes > output.peakQueuedBytes) {
      output.peakQueuedBytes = output.queuedBytes;
    }
    if (this.#writing) return;
    if (this.#queuedBytes >= EAGER_FLUSH_BYTES) {
      if (!this.#eagerFlushScheduled) {
        this.#eagerFlushScheduled = true;
        this.#flushSoon();
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

  /**
   * Takes the next write off the queue: queued lines joined up to
   * {@link MAX_WRITE_BYTES} by {@link WriteBuffers.join} (a lone line is
   * written as it is, unjoined).
   */
  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    let count = 1;
    let total = queue.at(0).length;
    while (
      count < queue.length && total + queue.at(count).length <= MAX_WRITE_BYTES
    ) {
      total += queue.at(count++).length;
    }
    const batch = count > 1
      ? WriteBuffers.join(queue, count, total)
      : queue.at(0);
    queue.drop(count);
    return batch;
  }

  /** The writer: sends everything queued, a batch per write, until the queue is empty. */
  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    this.#eagerFlushScheduled = false;
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#isClosed) {
        const batch = this.#takeBatch();
        let offset = 0;
        while (offset < batch.length) {
          // A view only for the rest of a short write: one per write adds up.
          const written = await this.#transport.write(
            offset === 0 ? batch : batch.subarray(offset),
          );
          offset += written;
          this.#wrote(written);
        }
        WriteBuffers.release(batch);
      }
    } catch (error) {
      if (!this.#closing) {
        this.#lost("Write", error);
      }
    }
    this.#writing = false;
    if (this.#closing && !this.#isClosed) this.#finishClose();
  }

  /** Accounts for `count` bytes written; wakes held-back sources once the queue is short. */
  #wrote(count: number): void {
    this.#queuedBytes -= count;
    this.#server.output.queuedBytes -= count;
    this.#written += count;
    if (this.#queuedBytes <= RESUME_SENDQ_BYTES) {
      this.#stalled = false;
      this.#releaseHeldBack();
    }
  }

  /**
   * Backpressure: stops reading from the connection whose command is
   * running (if any) until this queue drains. Checked after each line, so
   * every source adds at most one line beyond the soft limit.
   */
  #holdBackSource(): void {
    const source = ClientConnection.#dispatching;
    if (source === undefined || source.#closing) return;
    const heldBack = this.#heldBack ??= [];
    if (heldBack.includes(source)) return;
    heldBack.push(source);
    source.#holders++;
    if (this.#stallTimer === undefined) this.#watchForStall();
  }

  /** Marks this connection stalled if it writes under {@link STALL_PROGRESS_BYTES} within {@link STALL_MS}. */
  #watchForStall(): void {
    const written = this.#written;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#heldBack === undefined) return;
      if (this.#written - written < STALL_PROGRESS_BYTES) {
        this.#stalled = true;
        this.#releaseHeldBack();
      } else {
        this.#watchForStall();
      }
    }, STALL_MS);
  }

  /**
   * Lets every held-back source go. The stall timer is left to run out (it
   * does nothing once none is held back) rather than cleared: a reader that
   * goes over the soft limit and back many times a second then arms one
   * timer per {@link STALL_MS}, not one per time. Its window may then start
   * before the queue went over again; that only counts more bytes written,
   * so it never makes a reader look stalled.
   */
  #releaseHeldBack(): void {
    const heldBack = this.#heldBack;
    if (heldBack === undefined) return;
    this.#heldBack = undefined;
    for (const source of heldBack) source.#release();
  }

  /**
   * Holds this client's later lines back until the returned function is
   * called, so a command that finishes asynchronously (a password check)
   * is answered before the next one runs.
   */
  hold(): () => void {
    this.#holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  /** One holder let go; input resumes once none is left. */
  #release(): void {
    if (--this.#holders > 0) return;
    const resume = this.#resumeReading;
    if (resume !== undefined) {
      this.#resumeReading = undefined;
      resume();
    } else if (
      this.#inboxHead < this.#inbox.length && this.#drainTimer === undefined
    ) {
      this.#drainIn(0);
    }
  }

  #finishClose(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#drainTimer);
    clearTimeout(this.#stallTimer);
    this.#releaseHeldBack();
    this.#server.output.queuedBytes -= this.#queuedBytes;
    this.#queuedBytes = 0;
    this.#queue.clear();
    this.#inbox = [];
    try {
      this.#transport.close();
    } catch {
      // Already closed by the peer or by a failed write.
    }
    const resume = this.#resumeReading;
    this.#resumeReading = undefined;
    resume?.();
    this.#resolveClosed?.();
    this.#onClosed(this);
  }

  /**
   * Ends the connection after a failed read or write. The QUIT reason is a
   * plain sentence; library details of an unusual failure go to the log only,
   * never to other users' screens.
   */
  #lost(kind: "Read" | "Write", error: unknown): void {
    const plain = plainQuitReason(error);
    if (plain === null) {
      this.#server.log(
        `${kind.toLowerCase()} error from ${this.address}: ${describe(error)}`,
      );
    }
    this.end(plain ?? `${kind} error`, { hard: true });
  }

  #refill(now: number): void {
    const { floodBurst, floodRate } = this.#server.options;
    this.#tokens = Math.min(
      floodBurst,
      this.#tokens + (now - this.#refilledAt) * floodRate / 1000,
    );
    this.#refilledAt = now;
  }

  /** Runs one line, or on a network hands a registered user's line to its log. */
  #dispatch(entry: string | InvalidUtf8Line): void {
    this.#server.traffic.linesIn++;
    const line = typeof entry === "string" ? entry : entry.line;
    const invalidUtf8 = typeof entry !== "string";
    const network = this.#server.network;
    if (network !== undefined && this.user.registered) {
      network.submit(this, line, invalidUtf8);
    } else {
      this.runLine(line, invalidUtf8);
    }
  }

  /**
   * Runs one line with this connection as the source of what it sends (so
   * backpressure reaches it); a network runs it so when its log brings it
   * back, even if the connection is closing by then.
   */
  runLine(line: string, invalidUtf8: boolean): void {
    const outer = ClientConnection.#dispatching;
    ClientConnection.#dispatching = this;
    try {
      dispatchLine(this.#server, this, line, invalidUtf8);
    } finally {
      ClientConnection.#dispatching = outer;
    }
  }

  /** Whether flood control lets one more line through now (taking its token). */
  #takeToken(): boolean {
    if (this.#server.options.floodRate === 0) return true;
    if (this.#tokens < 1) this.#refill(this.#server.now());
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Runs delayed lines while neither flood control nor backpressure holds them. */
  #drain(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    while (
      !this.#closing && this.#holders === 0 &&
      this.#inboxHead < this.#inbox.length && this.#takeToken()
    ) {
      const entry = this.#inbox[this.#inboxHead++];
      this.#inboxBytes -= lineLength(entry);
      this.#dispatch(entry);
    }
    if (this.#inboxHead >= this.#inbox.length) {
      this.#inbox = [];
      this.#inboxHead = 0;
      if (this.#endOfInput && !this.#closing) this.end("Connection closed");
    } else if (!this.#closing && this.#holders === 0) {
      const wait = (1 - this.#tokens) * 1000 / this.#server.options.floodRate;
      this.#drainIn(Math.max(1, wait));
    }
  }

  /** A line from the framer: run now, or queued behind flood control or backpressure. */
  onLine(line: string, invalidUtf8: boolean): void {
    if (this.#closing) return;
    const entry = invalidUtf8 ? new InvalidUtf8Line(line) : line;
    if (
      this.#holders === 0 && this.#inboxHead >= this.#inbox.length &&
      this.#takeToken()
    ) {
      this.#dispatch(entry);
      return;
    }
    this.#inbox.push(entry);
    this.#inboxBytes += lineLength(entry);
    if (this.#inboxBytes > this.#server.options.recvq) {
      this.end("Excess Flood", { error: "Excess Flood" });
    } else if (this.#holders === 0 && this.#drainTimer === undefined) {
      this.#drainIn(0);
    }
  }

  /** A line over the length limit from the framer: answered with 417. */
  onOverflow(): void {
    if (!this.#closing) {
      reply(
        this.#server,
        this.user,
        Numeric.ERR_INPUTTOOLONG,
        "Input line was too long",
      );
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
        this.#framer.push(buffer.subarray(0, count));
        if (count === buffer.length && buffer.length < LARGE_READ_BYTES) {
          buffer = new Uint8Array(LARGE_READ_BYTES);
        } else if (
          count < SMALL_READ_BYTES && buffer.length > SMALL_READ_BYTES
        ) {
          buffer = new Uint8Array(SMALL_READ_BYTES);
        }
        // Backpressure: read no more until the queues this input fills drain.
        while (this.#holders > 0 && !this.#closing) {
          await new Promise<void>((resolve) => this.#resumeReading = resolve);
          this.#drain();
        }
      }
    } catch (error) {
      if (!this.#closing) {
        this.#lost("Read", error);
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
