/**
 * The load generator: opens many registered clients, runs a channel fan-out
 * with senders that carry a send timestamp and sequence number in every
 * message, and counts what each receiver gets (deliveries, losses, latency).
 *
 * @module
 */

import { Numeric } from "../protocol.ts";
import { type BenchClient, connectClient, PAYLOAD_MARK } from "./client.ts";
import { percentile } from "./stats.ts";

/** Options for {@link openClients}. */
export interface OpenOptions {
  /** Server port on 127.0.0.1. */
  port: number;
  /** The port client `index` connects to (one node of a network each); defaults to `port` for all. */
  portOf?: (index: number) => number;
  /** How many clients to connect, register and join. */
  count: number;
  /** The channel client `index` joins. */
  channelOf: (index: number) => string;
  /** Clients connecting and registering at once. Defaults to 200. */
  concurrency?: number;
  /** Read buffer per client, in bytes. Defaults to 16384. */
  readBytes?: number;
  /** Nickname prefix; client `i` is `<prefix><i>`. Defaults to `b`. */
  nickPrefix?: string;
  /** Time allowed for each registration or join step, in ms. Defaults to 30000. */
  stepTimeoutMs?: number;
  /** Connect over WebSocket to tertulia's web listener on `port` instead of TCP. */
  webSocket?: boolean;
}

/** Clients that registered and joined, and how long that took. */
export interface OpenedClients {
  /** The clients, in index order. */
  clients: BenchClient[];
  /** Wall time from the first connect to the last join, in seconds. */
  seconds: number;
}

/**
 * Connects `count` clients, registers each (NICK, USER, wait for 001) and
 * joins it to its channel (wait for 366), at most `concurrency` at a time.
 * Throws if any client fails; the ones already open are closed first.
 */
export async function openClients(
  options: OpenOptions,
): Promise<OpenedClients> {
  const concurrency = Math.min(options.count, options.concurrency ?? 200);
  const prefix = options.nickPrefix ?? "b";
  const timeout = options.stepTimeoutMs ?? 30000;
  const clients: BenchClient[] = new Array(options.count);
  let next = 0;
  let failure: Error | null = null;

  async function openOne(index: number): Promise<void> {
    const client = await connectClient({
      port: options.portOf?.(index) ?? options.port,
      readBytes: options.readBytes,
      webSocket: options.webSocket,
    });
    clients[index] = client;
    const nick = `${prefix}${index}`;
    const channel = options.channelOf(index);
    // The burst ends with the MOTD (or 422, no MOTD): waiting for that, not
    // 001, keeps its 422 from answering the JOIN below when lines arrive one
    // per read (WebSocket).
    const welcome = client.waitFor(
      (m) =>
        m.command === Numeric.RPL_ENDOFMOTD ||
        m.command === Numeric.ERR_NOMOTD || isFailure(m.command),
      timeout,
    );
    await client.send(`NICK ${nick}\r\nUSER ${nick} 0 * :bench\r\n`);
    const welcomed = await welcome;
    if (
      welcomed.command !== Numeric.RPL_ENDOFMOTD &&
      welcomed.command !== Numeric.ERR_NOMOTD
    ) {
      throw new Error(`${nick} not registered: ${describe(welcomed)}`);
    }
    const joined = client.waitFor(
      (m) =>
        (m.command === Numeric.RPL_ENDOFNAMES && m.params[1] === channel) ||
        isFailure(m.command),
      timeout,
    );
    await client.send(`JOIN ${channel}\r\n`);
    const reply = await joined;
    if (reply.command !== Numeric.RPL_ENDOFNAMES) {
      throw new Error(`${nick} could not join ${channel}: ${describe(reply)}`);
    }
  }

  async function worker(): Promise<void> {
    while (failure === null && next < options.count) {
      const index = next++;
      try {
        await openOne(index);
      } catch (error) {
        failure ??= new Error(
          `Client ${index} of ${options.count}: ${(error as Error).message}`,
        );
      }
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  if (failure !== null) {
    closeClients(clients);
    throw failure;
  }
  return { clients, seconds };
}

/**
 * Connects a client that registers as `nick`, joins `channel` and from then
 * on never reads: the stalled member of a burst. Resolves once the server
 * welcomed it (001) and the JOIN is sent; some servers (InspIRCd) refuse a
 * JOIN before 001, so the JOIN waits for it. Throws after `timeoutMs`.
 */
export async function openStalledClient(
  port: number,
  nick: string,
  channel: string,
  timeoutMs = 30000,
): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(
      new TextEncoder().encode(`NICK ${nick}\r\nUSER ${nick} 0 * :stalled\r\n`),
    );
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    let text = "";
    while (!/^:\S+ 001 /m.test(text)) {
      const count = await conn.read(buffer);
      if (count === null) throw new Error(`${nick} was closed before 001`);
      text = (text + decoder.decode(buffer.subarray(0, count))).slice(-2048);
    }
    await conn.write(new TextEncoder().encode(`JOIN ${channel}\r\n`));
    return conn;
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
    throw new Error(`${nick} did not register: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Options for {@link runChurn}. */
export interface ChurnOptions {
  /** Server port on 127.0.0.1. */
  port: number;
  /** Connect, register, join, message and quit cycles to run. */
  cycles: number;
  /** Cycles in flight at once. Defaults to 50. */
  concurrency?: number;
  /** The channel each cycle joins and speaks in. */
  channel: string;
  /** Number of the first cycle, so nicknames stay unique across calls. Defaults to 0. */
  first?: number;
  /** Time allowed for each step, in ms. Defaults to 30000. */
  stepTimeoutMs?: number;
}

/**
 * Runs `cycles` short sessions: connect, register (wait for 001), join
 * (wait for 366), one PRIVMSG, QUIT, and wait until the server closes the
 * socket. Resolves with the wall time in seconds; throws on the first
 * failure.
 */
export async function runChurn(options: ChurnOptions): Promise<number> {
  const timeout = options.stepTimeoutMs ?? 30000;
  const first = options.first ?? 0;
  let next = 0;
  let failure: Error | null = null;

  async function cycle(index: number): Promise<void> {
    const client = await connectClient({ port: options.port, readBytes: 4096 });
    try {
      const nick = `c${first + index}`;
      const welcome = client.waitFor(
        (m) => m.command === Numeric.RPL_WELCOME || isFailure(m.command),
        timeout,
      );
      await client.send(`NICK ${nick}\r\nUSER ${nick} 0 * :churn\r\n`);
      const welcomed = await welcome;
      if (welcomed.command !== Numeric.RPL_WELCOME) {
        throw new Error(`${nick} not registered: ${describe(welcomed)}`);
      }
      const joined = client.waitFor(
        (m) => m.command === Numeric.RPL_ENDOFNAMES || isFailure(m.command),
        timeout,
      );
      await client.send(`JOIN ${options.channel}\r\n`);
      const reply = await joined;
      if (reply.command !== Numeric.RPL_ENDOFNAMES) {
        throw new Error(`${nick} could not join: ${describe(reply)}`);
      }
      const closed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${nick} was not closed after QUIT`)),
          timeout,
        );
        client.onLost = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      await client.send(
        `PRIVMSG ${options.channel} :hello from ${nick}\r\nQUIT :bye\r\n`,
      );
      await closed;
    } finally {
      client.close();
    }
  }

  async function worker(): Promise<void> {
    while (failure === null && next < options.cycles) {
      const index = next++;
      try {
        await cycle(index);
      } catch (error) {
        failure ??= new Error(
          `Churn cycle ${first + index}: ${(error as Error).message}`,
        );
      }
    }
  }

  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: Math.min(options.cycles, options.concurrency ?? 50) },
      worker,
    ),
  );
  if (failure !== null) throw failure;
  return (performance.now() - started) / 1000;
}

/** Closes every client in `clients` (holes allowed). */
export function closeClients(clients: readonly (BenchClient | undefined)[]) {
  for (const client of clients) client?.close();
}

function isFailure(command: string): boolean {
  return command.length === 3 && (command[0] === "4" || command[0] === "5");
}

function describe(message: { command: string; params: string[] }): string {
  return `${message.command} ${message.params.join(" ")}`;
}

/** Options for {@link runFanout}. */
export interface FanoutOptions {
  /** The channel every client has joined. */
  channel: string;
  /** Clients `0 … senders-1` send; every client receives. */
  senders: number;
  /** Messages per sender. */
  messages: number;
  /**
   * Messages a sender may have in flight: sent but not yet received by every
   * other client. 0 means no limit beyond TCP backpressure. Defaults to 50.
   */
  window?: number;
  /** Messages per socket write. Defaults to 10. */
  batch?: number;
  /** Length of each PRIVMSG line the senders write, CR LF included. Defaults to about 120. */
  lineBytes?: number;
  /** Give up when no delivery arrives for this long, in ms. Defaults to 10000. */
  stallTimeoutMs?: number;
}

/** What one fan-out run measured. */
export interface FanoutResult {
  /** Deliveries expected: senders × messages × (clients − 1). */
  expected: number;
  /** Payload lines received by clients other than their sender. */
  deliveries: number;
  /** Expected deliveries that never arrived. */
  lost: number;
  /** Deliveries that arrived more than once, out of order, or back at their sender. */
  anomalies: number;
  /** Clients whose connection the server closed or that failed during the run. */
  disconnects: number;
  /** From the first send to the last delivery, in seconds. */
  seconds: number;
  /** `deliveries / seconds`. */
  deliveriesPerSecond: number;
  /** Median send-to-receive latency, in ms. */
  p50Ms: number;
  /** 99th percentile latency, in ms. */
  p99Ms: number;
  /** Largest latency, in ms. */
  maxMs: number;
}

/** Filler that brings each PRIVMSG line to roughly 120 bytes, like a chat message. */
const FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do";

/**
 * The filler that brings a sender's line to about `lineBytes` (CR LF
 * included; the sender, sequence and timestamp take up to 30 bytes).
 */
function fillerFor(channel: string, lineBytes: number | undefined): string {
  if (lineBytes === undefined) return FILLER;
  const room = Math.max(0, lineBytes - `PRIVMSG ${channel} :~`.length - 32);
  return FILLER.repeat(Math.ceil(room / FILLER.length) || 1).slice(0, room);
}

/** Parses the unsigned decimal at `index` of `line`; returns -1 when there is none. */
function readNumber(line: string, index: number): number {
  let value = 0;
  let digits = 0;
  for (; index < line.length; index++, digits++) {
    const code = line.charCodeAt(index) - 48;
    if (code < 0 || code > 9) break;
    value = value * 10 + code;
  }
  return digits === 0 ? -1 : value;
}

/**
 * Runs one fan-out: each sender sends `messages` lines
 * `PRIVMSG <channel> :~<sender> <seq> <µs timestamp> <filler>` as fast as
 * its window and TCP allow, and every client counts what it receives per
 * sender. Resolves when every expected delivery arrived or nothing arrived
 * for `stallTimeoutMs`. Does not close the clients.
 */
export async function runFanout(
  clients: readonly BenchClient[],
  options: FanoutOptions,
): Promise<FanoutResult> {
  const count = clients.length;
  const senders = Math.min(options.senders, count);
  const { messages, channel } = options;
  const window = options.window ?? 50;
  const batch = Math.max(1, Math.min(options.batch ?? 10, window || Infinity));
  const stallTimeoutMs = options.stallTimeoutMs ?? 10000;
  const filler = fillerFor(channel, options.lineBytes);
  const expected = senders * messages * (count - 1);

  // next[receiver * senders + sender] is the next sequence number expected.
  const next = new Int32Array(count * senders);
  const latencies = new Float32Array(expected);
  // receivedBy[sender * messages + seq] counts the clients that got it;
  // complete[sender] is how many of its messages every receiver has.
  const receivedBy = new Int32Array(senders * messages);
  const complete = new Int32Array(senders);
  const ackWaiters: (((ok: boolean) => void) | null)[] = new Array(senders)
    .fill(null);
  const ackThreshold = new Int32Array(senders);
  let deliveries = 0;
  let anomalies = 0;
  let disconnects = 0;
  let lastDelivery = 0;
  let finished = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => finish = resolve);

  function wakeSender(sender: number, ok: boolean): void {
    const waiter = ackWaiters[sender];
    if (waiter === null) return;
    ackWaiters[sender] = null;
    waiter(ok);
  }

  function end(): void {
    if (finished) return;
    finished = true;
    for (let s = 0; s < senders; s++) wakeSender(s, false);
    finish();
  }

  clients.forEach((client, receiver) => {
    const base = receiver * senders;
    client.onLost = () => {
      disconnects++;
      // Messages can no longer reach everyone: stop sending.
      for (let s = 0; s < senders; s++) wakeSender(s, false);
    };
    client.onPayload = (line, mark, now) => {
      let index = mark + PAYLOAD_MARK.length;
      const sender = readNumber(line, index);
      index = line.indexOf(" ", index) + 1;
      const seq = readNumber(line, index);
      index = line.indexOf(" ", index) + 1;
      const sentAt = readNumber(line, index);
      if (
        sender < 0 || sender >= senders || seq < 0 || sentAt < 0 ||
        sender === receiver || seq < next[base + sender]
      ) {
        anomalies++;
        return;
      }
      if (seq !== next[base + sender]) anomalies++;
      next[base + sender] = seq + 1;
      if (deliveries < expected) {
        latencies[deliveries] = now * 1000 - sentAt;
      }
      deliveries++;
      lastDelivery = now;
      if (
        seq < messages && ++receivedBy[sender * messages + seq] === count - 1
      ) {
        let done = complete[sender];
        while (
          done < messages && receivedBy[sender * messages + done] === count - 1
        ) {
          done++;
        }
        complete[sender] = done;
        if (ackWaiters[sender] !== null && done >= ackThreshold[sender]) {
          wakeSender(sender, true);
        }
      }
      if (deliveries >= expected) end();
    };
  });

  async function send(sender: number): Promise<void> {
    const client = clients[sender];
    let seq = 0;
    while (seq < messages && !finished) {
      let room = messages - seq;
      if (window > 0) {
        room = Math.min(room, complete[sender] + window - seq);
        if (room < batch && seq + room < messages) {
          ackThreshold[sender] = seq + batch - window;
          const ok = await new Promise<boolean>((resolve) =>
            ackWaiters[sender] = resolve
          );
          if (!ok) return;
          continue;
        }
      }
      const lines = Math.min(batch, room);
      const sentAt = Math.round(performance.now() * 1000);
      let text = "";
      for (let i = 0; i < lines; i++, seq++) {
        text += `PRIVMSG ${channel} :~${sender} ${seq} ${sentAt} ${filler}\r\n`;
      }
      await client.send(text);
    }
  }

  const started = performance.now();
  lastDelivery = started;
  const stallCheck = setInterval(() => {
    if (performance.now() - lastDelivery > stallTimeoutMs) end();
  }, 100);
  const sending = Promise.all(
    Array.from({ length: senders }, (_, s) => send(s).catch(() => {})),
  );
  await done;
  clearInterval(stallCheck);
  await sending;
  for (const client of clients) {
    client.onPayload = null;
    client.onLost = null;
  }

  const received = Math.min(deliveries, expected);
  const sorted = latencies.subarray(0, received).sort();
  const seconds = (lastDelivery - started) / 1000;
  return {
    expected,
    deliveries,
    lost: Math.max(0, expected - deliveries),
    anomalies,
    disconnects,
    seconds,
    deliveriesPerSecond: seconds > 0 ? deliveries / seconds : 0,
    p50Ms: percentile(sorted, 0.5) / 1000,
    p99Ms: percentile(sorted, 0.99) / 1000,
    maxMs: percentile(sorted, 1) / 1000,
  };
}
