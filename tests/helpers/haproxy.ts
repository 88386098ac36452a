/**
 * A real HAProxy in front of a test network: TCP mode, round robin over the
 * nodes' ports, health checks every 500 ms and redispatch, so a client that
 * reconnects after its node died lands on a live one.
 *
 * @module
 */

import { join } from "node:path";
import { connectClient, type IrcClient } from "./irc_client.ts";
import { findBinary, freePort, waitForPort } from "./peer_servers.ts";
import { collectOutput } from "./child_output.ts";

/** Whether `haproxy` (Debian package `haproxy`) is installed. */
export const HAPROXY_AVAILABLE = findBinary("haproxy") !== undefined;

/** A running load balancer. */
export interface TestBalancer {
  /** The port on 127.0.0.1 clients connect to. */
  readonly port: number;
  /** Everything HAProxy wrote so far. */
  log(): string;
  /** Connects a client through the balancer (closed by `close`). */
  connect(): Promise<IrcClient>;
  /** Closes every client, stops HAProxy and removes its configuration. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How many fresh ports {@link startHaproxy} tries when the chosen one was taken meanwhile. */
const START_ATTEMPTS = 3;

/**
 * HAProxy's configuration: one TCP frontend on `port`, round robin over
 * `backends`, each checked by a TCP connect every 500 ms and out after one
 * failure; a connection that cannot reach its node is retried and sent to
 * another. Long client and server timeouts: IRC connections idle.
 */
export function haproxyConfig(port: number, backends: number[]): string {
  const servers = backends.map((backend, i) =>
    `  server node${
      i + 1
    } 127.0.0.1:${backend} check inter 500ms fall 1 rise 1\n`
  ).join("");
  return `global
  maxconn 1000
  # One thread: round robin then takes the servers strictly in turn.
  nbthread 1
  log stderr format raw local0 info

defaults
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 1h
  timeout server 1h
  retries 2
  option redispatch

frontend irc
  bind 127.0.0.1:${port}
  default_backend nodes

backend nodes
  balance roundrobin
${servers}`;
}

/**
 * Starts `haproxy -f CONFIG -db` (foreground) balancing over `backends` (the
 * nodes' ports, in node order) on a free port, and resolves once that port
 * accepts connections. Throws, with HAProxy's output, if it does not come up.
 */
export async function startHaproxy(backends: number[]): Promise<TestBalancer> {
  const binary = findBinary("haproxy");
  if (binary === undefined) {
    throw new Error("haproxy not found: install the haproxy package");
  }
  const dir = await Deno.makeTempDir({ prefix: "tertulia-haproxy-" });
  const config = join(dir, "haproxy.cfg");
  let logText = "";
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    await Deno.writeTextFile(config, haproxyConfig(port, backends));
    const child = new Deno.Command(binary, {
      args: ["-f", config, "-db"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const done = collectOutput(child, (text) => logText += text);
    const stop = async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await done;
    };
    try {
      await waitForPort(port, { abandon: done });
    } catch (error) {
      await stop();
      if (attempt < START_ATTEMPTS) continue;
      await Deno.remove(dir, { recursive: true });
      throw new Error(
        `haproxy did not start: ${(error as Error).message}\n${logText}`,
      );
    }
    const clients: IrcClient[] = [];
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await Promise.all(clients.map((client) => client.close()));
        await stop();
        await Deno.remove(dir, { recursive: true });
      })();
      return closing;
    };
    return {
      port,
      log: () => logText,
      async connect() {
        const client = await connectClient({ port });
        clients.push(client);
        return client;
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }
}
