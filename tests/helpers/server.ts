/**
 * Starts the server in-process on port 0 for a test, with its log captured,
 * and cleans up every client connected through it.
 *
 * @module
 */

import {
  type RunningServer,
  type StartOptions,
  startServer,
} from "../../server.ts";
import { startClusterPeers } from "./cluster.ts";
import {
  connectClient,
  type ConnectOptions,
  type IrcClient,
} from "./irc_client.ts";

/** A server running for one test. */
export interface TestServer {
  /** Port of the plain-text listener (or the TLS one when TLS-only). */
  port: number;
  /** Port of the web listener, when started with `web`. */
  webPort: number | undefined;
  /** The running server. */
  server: RunningServer;
  /** Log lines written so far. */
  logs: string[];
  /** Connects a client (closed automatically by `close`). */
  connect(options?: Partial<ConnectOptions>): Promise<IrcClient>;
  /** Connects a client and registers it as `nick` with optional caps. */
  client(nick: string, caps?: string[]): Promise<IrcClient>;
  /** Connects a WebSocket client to the web listener and registers it as `nick`. */
  webClient(
    nick: string,
    webSocket?: ConnectOptions["webSocket"],
  ): Promise<IrcClient>;
  /** Closes every client and the server. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Whether every test server is a node of a three-node network
 * (`TERTULIA_TEST_CLUSTER=1`, as `deno task test:cluster` runs the server
 * tests): see {@link startClusterPeers}.
 */
const CLUSTER_MODE = Deno.env.get("TERTULIA_TEST_CLUSTER") === "1";

/**
 * Starts a test server on 127.0.0.1 port 0. Flood control is off unless the
 * options set `floodRate`, so tests can send quickly. In cluster mode (and
 * unless the options name a Redis) it joins a fresh Redis where two other
 * nodes each hold a member of `#peers`.
 */
export async function startTestServer(
  options: StartOptions = {},
): Promise<TestServer> {
  const logs: string[] = [];
  const peers = CLUSTER_MODE && options.redis === undefined
    ? await startClusterPeers()
    : undefined;
  let server: RunningServer;
  try {
    server = await startServer({
      host: "127.0.0.1",
      port: 0,
      floodRate: 0,
      log: (line) => logs.push(line),
      redis: peers?.url,
      ...options,
    });
  } catch (error) {
    await peers?.close();
    throw error;
  }
  const port = server.addresses[0].port;
  const webPort = server.web?.addr.port;
  const clients: IrcClient[] = [];
  const close = async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
    await peers?.close();
  };
  const connect = async (connectOptions: Partial<ConnectOptions> = {}) => {
    const client = await connectClient({ port, ...connectOptions });
    clients.push(client);
    return client;
  };
  return {
    port,
    webPort,
    server,
    logs,
    connect,
    async client(nick, caps) {
      const client = await connect();
      await client.register(nick, { caps });
      return client;
    },
    async webClient(nick, webSocket = {}) {
      if (webPort === undefined) throw new Error("started without `web`");
      const client = await connect({ port: webPort, webSocket });
      await client.register(nick);
      return client;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Runs `fn` with a fresh test server and always closes it afterwards. */
export async function withServer(
  options: StartOptions,
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/**
 * Polls `condition` every 10 ms until it holds, for state that has no event
 * to wait on (such as connection counts); fails after `timeout` ms naming `what`.
 */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeout = 5000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
