/**
 * A tertulia network for a test: a throwaway Redis and N `server.ts`
 * processes (`node1` … `nodeN`) joined to it, with clients connected to
 * chosen nodes; nodes can be killed (`kill -9`), stopped and started again
 * on their port, and everything is cleaned up at the end.
 *
 * @module
 */

import { join } from "node:path";
import {
  connectClient,
  type ConnectOptions,
  type IrcClient,
} from "./irc_client.ts";
import { type RunningServer, startServer } from "../../server.ts";
import { startRedis, type TestRedis } from "./redis.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";

/** Options for {@link startCluster}. */
export interface ClusterOptions {
  /** How many nodes; default 3. */
  nodes?: number;
  /** The shared `--network`; default `testnet`. */
  network?: string;
  /** Give each node its own history file (`--db` in a temporary directory) instead of `--no-history`. */
  history?: boolean;
  /** More arguments for every node. */
  args?: string[];
}

/** A running network of nodes for one test. Nodes are numbered from 1, as their names. */
export interface TestCluster {
  /** The Redis that holds the network. */
  readonly redis: TestRedis;
  /** The `--network` name. */
  readonly network: string;
  /** How many nodes it has (running or not). */
  readonly size: number;
  /** The name of node `node`: `node1`, `node2`, … */
  name(node: number): string;
  /** The port node `node` listens on; kept across {@link TestCluster.start}. */
  port(node: number): number;
  /** The running process of node `node`; throws while it is down. */
  process(node: number): ServerProcess;
  /** How many log lines node `node`'s current process has written, to wait for lines after a point. */
  logLength(node: number): number;
  /**
   * Resolves with the first log line of node `node`'s current process that
   * matches `pattern`, from line `after` on (default 0, the whole log),
   * waiting up to `timeout` ms (default 20 000) for it to be written.
   */
  logged(
    node: number,
    pattern: RegExp,
    options?: { after?: number; timeout?: number },
  ): Promise<string>;
  /** Connects a client to node `node` (closed by `close`). */
  connect(
    node: number,
    options?: Partial<ConnectOptions>,
  ): Promise<IrcClient>;
  /** Connects a client to node `node` and registers it as `nick` with optional caps. */
  client(node: number, nick: string, caps?: string[]): Promise<IrcClient>;
  /** Kills node `node` with SIGKILL and waits for it to exit. */
  kill(node: number): Promise<void>;
  /** Stops node `node` with SIGTERM (SIGKILL if it lingers) and waits for it to exit. */
  stop(node: number): Promise<void>;
  /** Starts node `node` again, with its name, port and history file, and waits until it has joined. */
  start(node: number): Promise<void>;
  /** Closes every client, stops every node and Redis, and removes the temporary files. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Longest wait for a node to start and join, or to end after SIGTERM. */
const NODE_TIMEOUT_MS = 30_000;

/** Escapes `text` for use inside a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Resolves with the first line of `process`'s log from index `after` that
 * matches `pattern`: one already written, or the next one to come.
 */
export function loggedLine(
  process: ServerProcess,
  pattern: RegExp,
  options: { after?: number; timeout?: number } = {},
): Promise<string> {
  const written = process.stderr.slice(options.after ?? 0).find((line) =>
    pattern.test(line)
  );
  if (written !== undefined) return Promise.resolve(written);
  return process.nextLine(pattern, { timeout: options.timeout ?? 20_000 });
}

/** Sends SIGTERM, then SIGKILL if the process has not ended after {@link NODE_TIMEOUT_MS}. */
async function stopProcess(process: ServerProcess): Promise<void> {
  process.kill("SIGTERM");
  const timer = setTimeout(() => process.kill("SIGKILL"), NODE_TIMEOUT_MS);
  try {
    await process.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a Redis and `options.nodes` (default 3) nodes joined to it, one
 * after the other, each waited for until it logs that it joined the
 * network. Flood control is off on every node, as in the in-process test
 * servers, so tests can send quickly.
 */
export async function startCluster(
  options: ClusterOptions = {},
): Promise<TestCluster> {
  const size = options.nodes ?? 3;
  const network = options.network ?? "testnet";
  const redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix: "tertulia-cluster-" });
  const processes: (ServerProcess | undefined)[] = new Array(size);
  const ports: number[] = new Array(size).fill(0);
  const clients: IrcClient[] = [];

  const name = (node: number) => {
    if (!Number.isInteger(node) || node < 1 || node > size) {
      throw new Error(`no node ${node} in a network of ${size}`);
    }
    return `node${node}`;
  };
  const processOf = (node: number) => {
    const running = processes[node - 1];
    if (running === undefined) throw new Error(`${name(node)} is down`);
    return running;
  };
  const start = async (node: number) => {
    const nodeName = name(node);
    if (processes[node - 1] !== undefined) {
      throw new Error(`${nodeName} is already running`);
    }
    const history = options.history
      ? ["--db", join(dir, `${nodeName}.db`)]
      : ["--no-history"];
    const process = await spawnServer([
      "--port",
      String(ports[node - 1]),
      "--no-web",
      ...history,
      "--flood-rate",
      "0",
      "--redis",
      redis.url,
      "--name",
      nodeName,
      "--network",
      network,
      ...(options.args ?? []),
    ]);
    processes[node - 1] = process;
    ports[node - 1] = process.port;
    try {
      await loggedLine(
        process,
        new RegExp(
          `cluster: ${literal(nodeName)} joined network ${literal(network)}\\b`,
        ),
        { timeout: NODE_TIMEOUT_MS },
      );
    } catch (error) {
      processes[node - 1] = undefined;
      process.kill("SIGKILL");
      await process.exited;
      throw error;
    }
  };
  const end = async (
    node: number,
    how: (p: ServerProcess) => Promise<void>,
  ) => {
    const running = processOf(node);
    processes[node - 1] = undefined;
    await how(running);
  };
  const connect = async (
    node: number,
    connectOptions: Partial<ConnectOptions> = {},
  ) => {
    const client = await connectClient({
      port: processOf(node).port,
      ...connectOptions,
    });
    clients.push(client);
    return client;
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(
        processes.map((running) =>
          running === undefined ? undefined : stopProcess(running)
        ),
      );
      processes.fill(undefined);
      await redis.close();
      await Deno.remove(dir, { recursive: true });
    })();
    return closing;
  };

  try {
    for (let node = 1; node <= size; node++) await start(node);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    redis,
    network,
    size,
    name,
    port: (node) => {
      name(node);
      return ports[node - 1];
    },
    process: processOf,
    logLength: (node) => processOf(node).stderr.length,
    logged: (node, pattern, logOptions) =>
      loggedLine(processOf(node), pattern, logOptions),
    connect,
    async client(node, nick, caps) {
      const client = await connect(node);
      await client.register(nick, { caps });
      return client;
    },
    kill: (node) =>
      end(node, async (running) => {
        running.kill("SIGKILL");
        await running.exited;
      }),
    stop: (node) => end(node, stopProcess),
    start,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Two in-process nodes over a fresh Redis, each holding a member of `#peers`, for a test server to join. */
export interface ClusterPeers {
  /** The Redis URL the test server joins with `redis`. */
  readonly url: string;
  /** Closes the members, both nodes and Redis. */
  close(): Promise<void>;
}

/** The channel where the peer nodes' members sit while a test runs. */
export const PEERS_CHANNEL = "#peers";

/**
 * Starts a Redis and two in-process nodes (`peer1.test`, `peer2.test`), and
 * on each a member (`peer1`, `peer2`) that joins {@link PEERS_CHANNEL}.
 * They keep out of the way of tests written for a lone server as far as
 * IRC lets them: the members are invisible (+i), the channel secret (+s),
 * so WHO and LIST do not show them to strangers. A
 * server started with `redis: url` afterwards takes their state from its
 * snapshot, so it holds both members from its first client on: the test
 * then runs on a node of a three-node network.
 */
export async function startClusterPeers(): Promise<ClusterPeers> {
  const redis = await startRedis();
  const nodes: RunningServer[] = [];
  const members: IrcClient[] = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.all(members.map((member) => member.close()));
      await Promise.all(nodes.map((node) => node.close()));
      await redis.close();
    })();
    return closing;
  };
  try {
    for (const peer of ["peer1", "peer2"]) {
      const logs: string[] = [];
      const node = await startServer({
        host: "127.0.0.1",
        port: 0,
        floodRate: 0,
        name: `${peer}.test`,
        redis: redis.url,
        log: (line) => logs.push(line),
      });
      nodes.push(node);
      const member = await connectClient({ port: node.addresses[0].port });
      members.push(member);
      await member.register(peer);
      await member.send(`MODE ${peer} +i`);
      await member.send(`JOIN ${PEERS_CHANNEL}`);
      await member.waitFor("366", { timeout: NODE_TIMEOUT_MS });
      if (peer === "peer1") {
        await member.send(`MODE ${PEERS_CHANNEL} +s`);
        await member.waitFor("MODE", { timeout: NODE_TIMEOUT_MS });
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { url: redis.url, close };
}
