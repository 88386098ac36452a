/**
 * The Redis side of a network: one stream that orders everything the
 * network does, node leases, the epoch that tells a Redis that lost its
 * data, and the hand-over of snapshots to starting nodes. Only I/O lives
 * here; what the entries mean is `node.ts`'s business.
 *
 * @module
 */

import { Redis } from "ioredis";
import { casefold } from "../protocol/names.ts";

/** One entry read back from the log: its id and its field/value list. */
export type LogEntry = [id: string, fields: string[]];

/** Entries kept in the stream; older ones are trimmed (approximately). */
const STREAM_LENGTH = 100_000;
/** Channel lines kept in the shared history, for nodes that were away (approximately). */
const HISTORY_LENGTH = 10_000;
/** Most stream entries one read returns (the node paces how many it applies per turn). */
const READ_COUNT = 256;
/** How long a starting node waits for a running node's snapshot, in seconds. */
const SNAPSHOT_WAIT_SECONDS = 5;

/** What the owner of a {@link RedisLog} hears about the connection. */
export interface RedisLogEvents {
  /** The connection to Redis was lost. */
  down(reason: string): void;
  /** It is back (after a {@link RedisLogEvents.down}). */
  up(): void;
}

/** `url` without its password (`redis://:secret@host` shows as `redis://:***@host`), for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, "$1***@");
}

/** The stream, leases and snapshots of one network in one Redis. */
export class RedisLog {
  #writer: Redis;
  #reader: Redis;
  #prefix: string;
  #connected = false;
  #started = false;
  #closed = false;

  constructor(url: string, network: string, events: RedisLogEvents) {
    const options = {
      lazyConnect: true,
      // Nothing is queued while Redis is away: the node refuses instead.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    // The lines of one event-loop turn go out as one pipeline, one socket
    // write, not one write per XADD (order is kept: one connection).
    this.#writer = new Redis(url, { ...options, enableAutoPipelining: true });
    this.#reader = new Redis(url, options);
    this.#prefix = `tertulia:${network}:`;
    // Errors are reported through close/ready; this only keeps ioredis quiet.
    this.#writer.on("error", () => {});
    this.#reader.on("error", () => {});
    this.#writer.on("close", () => {
      if (this.#connected && !this.#closed) {
        this.#connected = false;
        events.down("connection closed");
      }
    });
    this.#writer.on("ready", () => {
      if (this.#started && !this.#connected && !this.#closed) {
        this.#connected = true;
        events.up();
      }
    });
  }

  /** Connects both clients; rejects with a message naming the URL when Redis does not answer. */
  async connect(url: string): Promise<void> {
    try {
      await Promise.all([this.#writer.connect(), this.#reader.connect()]);
      this.#connected = true;
      this.#started = true;
    } catch (error) {
      this.close();
      throw new Error(
        `cannot reach Redis at ${redactUrl(url)} (--redis): ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  /** Whether the writer's connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Appends one entry to the log; resolves with its id. */
  async append(fields: string[]): Promise<string> {
    const id = await this.#writer.xadd(
      `${this.#prefix}log`,
      "MAXLEN",
      "~",
      STREAM_LENGTH,
      "*",
      ...fields,
    );
    return id as string;
  }

  /** Entries after `after`, waiting up to `blockMs` for some; empty on timeout. */
  async read(after: string, blockMs: number): Promise<LogEntry[]> {
    const answer = await this.#reader.xread(
      "COUNT",
      READ_COUNT,
      "BLOCK",
      blockMs,
      "STREAMS",
      `${this.#prefix}log`,
      after,
    );
    return (answer?.[0]?.[1] ?? []) as LogEntry[];
  }

  /** The id of the newest entry, or `0-0` for an empty log. */
  async lastId(): Promise<string> {
    const [entry] = await this.#writer.xrevrange(
      `${this.#prefix}log`,
      "+",
      "-",
      "COUNT",
      1,
    );
    return entry?.[0] ?? "0-0";
  }

  /**
   * The epoch of this Redis's data: made on first use, so a Redis that
   * restarted empty shows a new one and nodes know the old log is gone.
   */
  async epoch(): Promise<string> {
    const key = `${this.#prefix}epoch`;
    await this.#writer.set(key, crypto.randomUUID(), "NX");
    return (await this.#writer.get(key)) ?? "";
  }

  /** Claims or renews `node`'s lease for `ttlMs`. */
  async renewLease(node: string, incarnation: string, ttlMs: number) {
    await this.#writer.set(
      `${this.#prefix}node:${node}`,
      incarnation,
      "PX",
      ttlMs,
    );
  }

  /** Gives `node`'s lease up (a clean shutdown). */
  async dropLease(node: string): Promise<void> {
    await this.#writer.del(`${this.#prefix}node:${node}`);
  }

  /** Names of the nodes holding a lease now. */
  async liveNodes(): Promise<string[]> {
    const names: string[] = [];
    const pattern = `${this.#prefix}node:*`;
    let cursor = "0";
    do {
      const [next, keys] = await this.#writer.scan(
        cursor,
        "MATCH",
        pattern,
        "COUNT",
        100,
      );
      cursor = next;
      for (const key of keys) names.push(key.slice(pattern.length - 1));
    } while (cursor !== "0");
    return names;
  }

  /** Adds one channel line to the network's shared history (the newest lines are kept). */
  async keepHistory(json: string): Promise<void> {
    await this.#writer.xadd(
      `${this.#prefix}history`,
      "MAXLEN",
      "~",
      HISTORY_LENGTH,
      "*",
      "d",
      json,
    );
  }

  /** The shared history, oldest first. */
  async history(): Promise<string[]> {
    const entries = await this.#writer.xrange(
      `${this.#prefix}history`,
      "-",
      "+",
    );
    return entries.map(([, fields]) => fields[1]);
  }

  /** Keeps the stored form of account `name` (new names only). */
  async keepAccount(name: string, json: string): Promise<void> {
    await this.#writer.hsetnx(`${this.#prefix}accounts`, casefold(name), json);
  }

  /** Every account kept so far, in stored form. */
  async accounts(): Promise<string[]> {
    return await this.#writer.hvals(`${this.#prefix}accounts`);
  }

  /** Offers the state as of entry `helloId` to the node that wrote that entry. */
  async offerSnapshot(helloId: string, json: string): Promise<void> {
    const key = `${this.#prefix}snapshot:${helloId}`;
    await this.#writer.multi().rpush(key, json).expire(key, 30).exec();
  }

  /** The first snapshot offered for `helloId`, or undefined after a few seconds without one. */
  async takeSnapshot(helloId: string): Promise<string | undefined> {
    const answer = await this.#reader.blpop(
      `${this.#prefix}snapshot:${helloId}`,
      SNAPSHOT_WAIT_SECONDS,
    );
    return answer?.[1];
  }

  /** Closes both connections. */
  close(): void {
    this.#closed = true;
    this.#writer.disconnect();
    this.#reader.disconnect();
  }
}
