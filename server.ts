/**
 * tertulia's server: an IRC server (modern.ircdocs.horse, IRCv3 tags) that
 * any IRC client can use. Run it with `deno run -A server.ts [options]`, or
 * import {@link startServer} to run it in-process.
 *
 * @module
 */

import { ChannelPrivacy } from "./accounts/channel_privacy.ts";
import { openAccountsDatabase } from "./accounts/database.ts";
import { hashPassword, passwordProblem } from "./accounts/passwords.ts";
import { Accounts } from "./accounts/service.ts";
import {
  type Connection,
  openConnection,
  type Transport,
} from "./server/connection.ts";
import type {
  HistoryHook,
  ReloadReport,
  ServerContext,
} from "./server/context.ts";
import { openHistoryHook } from "./server/history_hook.ts";
import { EventLoopLag } from "./metrics/event_loop.ts";
import { renderPrometheus } from "./metrics/prometheus.ts";
import { metricsRoute } from "./metrics/route.ts";
import { serverMetrics } from "./metrics/server_metrics.ts";
import { createTrafficCounts, type TransportKind } from "./metrics/traffic.ts";
import type { DatabaseSync } from "node:sqlite";
import {
  acceptLoop,
  type ConnectionSource,
  explainListenError,
  formatAddress,
  LISTEN_ROLES,
  listenPlain,
  listenTls,
  openListener,
} from "./server/listener.ts";
import {
  defaultServerConfig,
  type LoadedConfig,
  parseServerArgs,
  resolveOptions,
  type ServerOptions,
  USAGE,
  UsageError,
} from "./server/options.ts";
import { VERSION } from "./protocol/version.ts";
import { readMotd, Reloader } from "./server/reload.ts";
import { createLog } from "./server/log.ts";
import { createChatState } from "./server/state.ts";
import { ConfigError } from "./settings/config_file.ts";
import {
  describeDevCertificates,
  ensureDevCertificates,
} from "./tls/dev_certs.ts";
import { listenWeb, type WebListener } from "./web/listener.ts";
import { pageRoutes } from "./web/page_routes.ts";
import type { Route } from "./web/routes.ts";
import { webSocketRoute } from "./web/socket.ts";

/** The option, history-hook and web-route types embedders need, re-exported from `server/` and `web/`. */
export type { HistoryHook, Route, ServerOptions, WebListener };

/** Software version shown in 002, 004 and VERSION (from `protocol/version.ts`). */
export { VERSION };

/** Options of {@link startServer}: any {@link ServerOptions} plus an optional history hook. */
export type StartOptions = Partial<ServerOptions> & {
  /** Chat history to record channel messages and replay them on JOIN; none by default. */
  history?: HistoryHook;
  /** Routes the web listener tries before the chat page's own (e.g. `GET /metrics`). */
  webRoutes?: Route[];
  /** The config file the options came from, which {@link RunningServer.reload} reads again. */
  config?: LoadedConfig;
};

/** A running server. */
export interface RunningServer {
  /** Bound addresses: the plain-text listener first (unless TLS-only), then TLS. */
  addresses: Deno.NetAddr[];
  /** The shared server context (state, counts, hooks), for embedding and tests. */
  context: ServerContext;
  /** The web chat listener, when `web` is set (and its port was free). */
  web?: WebListener;
  /** Reads the config, MOTD and TLS files again and applies what can change live (also `context.reload`); logs the outcome, never rejects. */
  reload(): Promise<ReloadReport>;
  /** Sends every client `ERROR :Server shutting down`, closes the listeners and waits for all connections to close. */
  close(): Promise<void>;
}

/** Starts listening and serving. Rejects if a port is taken or a MOTD/TLS file cannot be read. */
export async function startServer(
  startOptions: StartOptions = {},
): Promise<RunningServer> {
  const { history: givenHistory, webRoutes = [], config, ...rest } =
    startOptions;
  const options = resolveOptions(rest);
  // Reads options.logFormat and logLevel per line, so a reload changes them.
  options.log = createLog(options, rest.log);
  // Reloads replace these; the caller's objects stay as they were given.
  if (options.web !== undefined) options.web = { ...options.web };
  if (options.tls !== undefined) options.tls = { ...options.tls };
  const motd = options.motd === undefined
    ? undefined
    : await readMotd(options.motd);
  // A history the server opened itself (from `options.db`) is closed with it.
  const ownedHistory = givenHistory === undefined
    ? openHistoryHook(options)
    : undefined;
  const history = givenHistory ?? ownedHistory;
  // The accounts tables share the history file; they are opened after the
  // history store so a second server on the file meets its clear refusal.
  let accountsDb: DatabaseSync;
  try {
    accountsDb = openAccountsDatabase(options.db);
  } catch (error) {
    ownedHistory?.store.close();
    throw error;
  }
  const closeStores = () => {
    ownedHistory?.store.close();
    accountsDb.close();
  };
  const accounts = new Accounts(accountsDb, {
    login: options.loginThrottle,
    register: options.registerThrottle,
  });
  const state = createChatState();
  accounts.channels.restoreAll(state);
  const context: ServerContext = {
    options,
    state,
    motd,
    startedAt: new Date(),
    version: VERSION,
    counts: { unregistered: 0, registered: 0, invisible: 0, peak: 0 },
    output: { queuedBytes: 0, peakQueuedBytes: 0 },
    traffic: createTrafficCounts(),
    history,
    channelPrivacy: new ChannelPrivacy(accountsDb, Date.now()),
    accounts,
    now: Date.now,
    log: options.log,
  };

  // Loaded only for a node of a network: the Redis client behind it adds
  // about 25 MB to the RSS of every server that loads it.
  const cluster = options.redis === undefined
    ? undefined
    : new (await import("./cluster/node.ts")).ClusterNode(
      context,
      { url: options.redis, node: options.name, network: options.network },
    );
  if (cluster !== undefined) {
    context.network = cluster;
    context.now = () => cluster.now();
    try {
      await cluster.start();
    } catch (error) {
      closeStores();
      throw error;
    }
  }

  const listeners: ConnectionSource[] = [];
  try {
    if (!options.tlsOnly) {
      listeners.push(
        await openListener(
          LISTEN_ROLES.plain,
          options.host,
          options.port,
          () => listenPlain(options.host, options.port),
        ),
      );
    }
    const { tls } = options;
    if (tls !== undefined) {
      listeners.push(
        await openListener(
          LISTEN_ROLES.tls,
          options.host,
          tls.port,
          () =>
            listenTls(options.host, tls, {
              handshakeTimeoutMs: options.tlsHandshakeTimeout * 1000,
              log: options.log,
            }),
        ),
      );
    }
  } catch (error) {
    for (const listener of listeners) listener.close();
    await cluster?.stop();
    closeStores();
    throw error;
  }

  const connections = new Set<Connection>();
  const perIp = new Map<string, number>();

  function refuse(conn: Transport, remote: Deno.NetAddr, why: string): void {
    options.log(`refused ${formatAddress(remote)} (${why})`);
    conn.write(new TextEncoder().encode(`ERROR :${why}\r\n`))
      .catch(() => {})
      .finally(() => {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      });
  }

  /** Every connection, TCP or WebSocket, comes through here: limits first, then the IRC session. */
  function admit(
    conn: Transport,
    remote: Deno.NetAddr,
    secure: boolean,
    kind: TransportKind = secure ? "tls" : "tcp",
  ) {
    const ip = remote.hostname;
    const fromIp = perIp.get(ip) ?? 0;
    const { traffic } = context;
    if (options.maxClients > 0 && connections.size >= options.maxClients) {
      traffic.refused++;
      return refuse(conn, remote, "Server is full");
    }
    if (options.maxPerIp > 0 && fromIp >= options.maxPerIp) {
      traffic.refused++;
      return refuse(conn, remote, "Too many connections from your IP address");
    }
    perIp.set(ip, fromIp + 1);
    traffic.open[kind]++;
    traffic.accepted[kind]++;
    // Each batch is one write; Nagle would hold the next one back for an ACK.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const connection = openConnection(context, {
      transport: conn,
      remote,
      secure,
      // Only a byte stream on the plain-text port can carry a stray ClientHello.
      rejectTls: !secure && "setNoDelay" in conn,
      onClosed: (closed) => {
        connections.delete(closed);
        traffic.open[kind]--;
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      },
    });
    connections.add(connection);
  }

  const loops = listeners.map((listener) =>
    acceptLoop(listener, {
      onConnection: ({ conn, remote, secure }) => admit(conn, remote, secure),
      log: options.log,
    })
  );
  const addresses = listeners.map((listener) => listener.addr);
  for (const [index, address] of addresses.entries()) {
    const tls = index > 0 || options.tlsOnly ? " (TLS)" : "";
    options.log(`listening on ${formatAddress(address)}${tls}`);
  }
  const lag = new EventLoopLag();
  const metrics = metricsRoute({
    render: () => renderPrometheus(serverMetrics(context, lag)),
    token: () => options.metricsToken,
  });
  let web: WebListener | undefined;
  try {
    web = await startWeb(context, [...webRoutes, metrics], admit);
  } catch (error) {
    lag.stop();
    for (const listener of listeners) listener.close();
    await Promise.all(loops);
    closeStores();
    throw error;
  }

  const reloader = new Reloader({
    context,
    keyPairHolders: () => [...listeners, ...(web === undefined ? [] : [web])],
  }, config);
  context.reload = () => reloader.reload();

  const sweepMs = Math.max(
    10,
    Math.min(
      1000,
      options.pingInterval * 250,
      options.pingTimeout * 250,
      options.registrationTimeout * 250,
    ),
  );
  const sweep = setInterval(() => {
    const now = context.now();
    for (const connection of connections) connection.tick(now);
  }, sweepMs);

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    clearInterval(sweep);
    lag.stop();
    for (const listener of listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all(loops);
    await cluster?.stop();
    ownedHistory?.store.flush();
    const open = [...connections];
    for (const connection of open) {
      connection.end("Server shutting down", {
        error: "Server shutting down",
        announce: false,
      });
    }
    await Promise.all(open.map((connection) => connection.closed));
    await web?.close();
    closeStores();
  }

  return {
    addresses,
    context,
    web,
    reload: () => reloader.reload(),
    close: () => closing ??= close(),
  };
}

/**
 * Starts the web listener `context.options.web` asks for, serving `extra`
 * routes, the WebSocket and the page; none when it asks for none, or when
 * its port is taken and it is optional (logged).
 */
async function startWeb(
  context: ServerContext,
  extra: Route[],
  admit: (
    conn: Transport,
    remote: Deno.NetAddr,
    secure: boolean,
    kind: TransportKind,
  ) => void,
): Promise<WebListener | undefined> {
  const { options } = context;
  if (options.web === undefined) return undefined;
  const routes = [
    ...extra,
    webSocketRoute({
      admit: (conn, remote, secure) => admit(conn, remote, secure, "websocket"),
      // Read per request, so a reload's new origins apply at once.
      get origins() {
        return options.web?.origins ?? [];
      },
      log: options.log,
    }),
    ...await pageRoutes(options.log),
  ];
  let web: WebListener;
  try {
    web = await listenWeb({
      host: options.host,
      port: options.web.port,
      tls: options.tls,
      tlsHandshakeTimeoutMs: options.tlsHandshakeTimeout * 1000,
      routes,
      // Read per request, so a reload's new proxies apply at once.
      get trustedProxies() {
        return options.web?.trustedProxies ?? [];
      },
      log: options.log,
    });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse) || !options.web.optional) {
      throw explainListenError(
        error,
        LISTEN_ROLES.web,
        options.host,
        options.web.port,
      ) ?? error;
    }
    options.log(
      `web chat not started: ${options.host} port ${options.web.port} is in use (choose another with --web-port, or --no-web)`,
    );
    return undefined;
  }
  options.log(`web chat at ${web.url}`);
  return web;
}

/**
 * `server.ts hash-password`: reads one password from standard input (never
 * from the command line, where `ps` would show it) and prints its argon2id
 * hash, for the `opers` setting. Exits 2 on a refused password.
 */
async function hashPasswordCommand(): Promise<void> {
  if (Deno.stdin.isTerminal()) {
    console.error("Password (not echoed), then Enter:");
    Deno.stdin.setRaw(true);
  }
  const bytes: number[] = [];
  const buffer = new Uint8Array(1024);
  reading: while (true) {
    const count = await Deno.stdin.read(buffer);
    if (count === null) break;
    for (const byte of buffer.subarray(0, count)) {
      if (byte === 0x0a || byte === 0x0d) break reading;
      if (byte === 0x03) Deno.exit(130);
      bytes.push(byte);
    }
  }
  if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(false);
  const password = new TextDecoder().decode(new Uint8Array(bytes));
  const problem = passwordProblem(password);
  if (problem !== undefined) {
    console.error(`error: ${problem}`);
    Deno.exit(2);
  }
  console.log(await hashPassword(password));
}

/** `--write-config FILE`: writes the commented default config, never over an existing file. */
async function writeDefaultConfig(path: string): Promise<void> {
  try {
    const text = await defaultServerConfig();
    await Deno.writeTextFile(path, text, { createNew: true });
  } catch (error) {
    const reason = error instanceof Deno.errors.AlreadyExists
      ? "it already exists (remove it or choose another name)"
      : error instanceof Error
      ? error.message
      : String(error);
    console.error(`error: --write-config ${path}: cannot write it: ${reason}`);
    Deno.exit(1);
  }
  console.error(
    `wrote the default configuration to ${path}; start with --config ${path}`,
  );
}

async function main(args: string[]): Promise<void> {
  if (args[0] === "hash-password") {
    if (args.length > 1) {
      console.error(
        "error: hash-password takes no arguments; it reads the password from standard input",
      );
      Deno.exit(2);
    }
    return await hashPasswordCommand();
  }
  let parsed;
  try {
    parsed = await parseServerArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // A config file's error names its line; the flags' usage would bury it.
    const usage = error instanceof ConfigError ? "" : `\n\n${USAGE}`;
    console.error(`error: ${error.message}${usage}`);
    Deno.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  if (parsed.version) {
    console.log(VERSION);
    return;
  }
  if (parsed.writeConfig !== undefined) {
    await writeDefaultConfig(parsed.writeConfig);
    return;
  }
  // Lines before the server runs, in the format and level it will use.
  const log = createLog(resolveOptions(parsed.options));
  if (parsed.devCertificates !== undefined) {
    const { dir, names } = parsed.devCertificates;
    try {
      const certs = await ensureDevCertificates({ dir, names });
      describeDevCertificates(certs, {
        host: parsed.options.host,
        port: parsed.options.tls?.port,
      }).forEach((line) => log(line));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(
        `error: cannot set up development certificates in ${dir}: ${reason}`,
      );
      Deno.exit(1);
    }
  }
  // Signals are caught before listening, so one sent right after the
  // "listening" line still shuts down cleanly.
  let server: RunningServer | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping || server === undefined) {
      stopping = true;
      return;
    }
    stopping = true;
    server.context.log("shutting down");
    const deadline = setTimeout(() => Deno.exit(0), 4000);
    await server.close();
    clearTimeout(deadline);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGHUP", () => {
    if (server !== undefined && !stopping) server.reload();
  });
  try {
    server = await startServer({ ...parsed.options, config: parsed.config });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      Deno.exit(2);
    } else {
      console.error(`error: ${error instanceof Error ? error.message : error}`);
    }
    Deno.exit(1);
  }
  const { context } = server;
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    context.log(`unhandled rejection: ${event.reason}`, "error");
  });
  if (stopping) {
    stopping = false;
    await stop();
  }
}

if (import.meta.main) await main(Deno.args);
