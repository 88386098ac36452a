/**
 * A throwaway `redis-server` for the cluster tests: loopback only, a free
 * port, nothing saved to disk; it can be killed and started again on the same
 * port, as a Redis restart looks to the nodes.
 *
 * @module
 */

import { findBinary, freePort, peerTestOptions } from "./peer_servers.ts";
import { collectOutput } from "./child_output.ts";

/** Whether `redis-server` (Debian package `redis-server`) is installed. */
export const REDIS_AVAILABLE = findBinary("redis-server") !== undefined;

/**
 * `Deno.test` name and `ignore` flag for a test that needs Redis: ignored,
 * saying so in its name, when `redis-server` is missing.
 */
export function redisTestOptions(
  name: string,
): { name: string; ignore: boolean } {
  return peerTestOptions(name, { "redis-server": REDIS_AVAILABLE });
}

/** A running (or deliberately stopped) test Redis. */
export interface TestRedis {
  /** Its port on 127.0.0.1; the same across {@link TestRedis.start}. */
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, as the nodes' `--redis` takes it. */
  readonly url: string;
  /** Whether a `redis-server` process is running now. */
  readonly running: boolean;
  /** The running process's id (for `/proc`, as the bench reads its CPU), or undefined while stopped. */
  readonly pid: number | undefined;
  /** Everything the current and earlier processes wrote to stdout and stderr. */
  log(): string;
  /** Kills the process with SIGKILL (its data is gone) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a fresh, empty Redis on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** Kills it and starts it again, empty. */
  restart(): Promise<void>;
  /** Kills it for good. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How many fresh ports {@link startRedis} tries when the chosen one was taken meanwhile. */
const START_ATTEMPTS = 3;

/** Longest wait for a starting Redis to answer PING. */
const START_TIMEOUT_MS = 10_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends one inline command (such as `PING` or `INFO server`) to the Redis on
 * `port` and returns its reply: a status, error or integer reply as its line
 * without CR LF (`+PONG`), a bulk reply as its payload. Throws if nothing
 * listens there.
 */
export async function redisCommand(
  port: number,
  command: string,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode(`${command}\r\n`));
    let reply = new Uint8Array(0);
    const buffer = new Uint8Array(65536);
    while (true) {
      const end = reply.indexOf(10);
      if (end > 0) {
        const head = decoder.decode(reply.subarray(0, end - 1));
        if (!head.startsWith("$")) return head;
        const length = Number(head.slice(1));
        if (length < 0) return "";
        if (reply.length >= end + 1 + length + 2) {
          return decoder.decode(reply.subarray(end + 1, end + 1 + length));
        }
      }
      const count = await conn.read(buffer);
      if (count === null) {
        throw new Error(`Redis closed before replying to ${command}`);
      }
      const grown = new Uint8Array(reply.length + count);
      grown.set(reply);
      grown.set(buffer.subarray(0, count), reply.length);
      reply = grown;
    }
  } finally {
    conn.close();
  }
}

/**
 * Resolves once the Redis on `port` answers PING with PONG and says (in
 * `INFO server`) that it is process `pid`, not another test's Redis that
 * took the port first. Probes again with a backoff (5 ms doubling up to
 * 200 ms) while the port refuses. Rejects as soon as `exited` settles, or
 * after {@link START_TIMEOUT_MS}.
 */
async function waitForPong(
  port: number,
  pid: number,
  exited: Promise<unknown>,
): Promise<void> {
  let gone = false;
  exited.then(() => gone = true, () => gone = true);
  const deadline = Date.now() + START_TIMEOUT_MS;
  let delay = 5;
  let last = "nothing";
  while (!gone) {
    try {
      last = await redisCommand(port, "PING");
      if (last === "+PONG") {
        const info = await redisCommand(port, "INFO server");
        if (info.includes(`process_id:${pid}\r\n`)) return;
        throw new Error(`another process answers on port ${port}`);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
      last = "connection refused";
    }
    if (Date.now() >= deadline) {
      throw new Error(`no PONG in ${START_TIMEOUT_MS} ms (last: ${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 200);
  }
  throw new Error("redis-server exited");
}

/** One `redis-server` process and the draining of its output. */
interface RedisProcess {
  child: Deno.ChildProcess;
  /** Settles once the process has exited and its output is read. */
  done: Promise<void>;
}

function spawnRedis(
  binary: string,
  port: number,
  onOutput: (text: string) => void,
): RedisProcess {
  const child = new Deno.Command(binary, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, done: collectOutput(child, onOutput) };
}

/**
 * Starts `redis-server` on a free port of 127.0.0.1 (`--save ''
 * --appendonly no`) and resolves once it answers PING. Throws, with its log,
 * when `redis-server` is missing or does not come up.
 */
export async function startRedis(): Promise<TestRedis> {
  const binary = findBinary("redis-server");
  if (binary === undefined) {
    throw new Error("redis-server not found: install the redis-server package");
  }
  let logText = "";
  const onOutput = (text: string) => logText += text;
  let current: RedisProcess | undefined;

  const kill = async () => {
    const running = current;
    if (running === undefined) return;
    try {
      running.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await running.done;
    if (current === running) current = undefined;
  };
  const launch = async (port: number) => {
    const started = spawnRedis(binary, port, onOutput);
    current = started;
    try {
      await waitForPong(port, started.child.pid, started.done);
    } catch (error) {
      await kill();
      throw new Error(
        `redis-server did not start on port ${port}: ${
          (error as Error).message
        }\n${logText}`,
      );
    }
  };

  let port = 0;
  for (let attempt = 1; port === 0; attempt++) {
    const candidate = freePort();
    try {
      await launch(candidate);
      port = candidate;
    } catch (error) {
      if (attempt === START_ATTEMPTS) throw error;
    }
  }

  const start = async () => {
    if (current !== undefined) throw new Error("Redis is already running");
    await launch(port);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return current !== undefined;
    },
    get pid() {
      return current?.child.pid;
    },
    log: () => logText,
    kill,
    start,
    async restart() {
      await kill();
      await start();
    },
    close: kill,
    [Symbol.asyncDispose]: kill,
  };
}
