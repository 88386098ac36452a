/**
 * Third-party IRC peers for the interop tests: finding a Debian peer binary
 * (so a test can skip, naming the missing package), picking a free port, and
 * running a real ngIRCd or InspIRCd on it with a generated configuration.
 *
 * @module
 */

import { join } from "node:path";

/** Directories searched for peer binaries besides `PATH` (daemons live in sbin). */
const EXTRA_BINARY_DIRS = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/** Returns the absolute path of `binary` on `PATH` or in the sbin directories, or `undefined`. */
export function findBinary(binary: string): string | undefined {
  const path = Deno.env.get("PATH") ?? "";
  const dirs = [
    ...path.split(":").filter((dir) => dir !== ""),
    ...EXTRA_BINARY_DIRS,
  ];
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Whether the peer executable `binary` (e.g. `"ngircd"`, `"irssi"`) is installed. */
export function peerAvailable(binary: string): boolean {
  return findBinary(binary) !== undefined;
}

/**
 * `Deno.test` name and `ignore` flag for a test that needs peers. `peers` maps
 * each Debian package name to whether it is available; when any is missing the
 * test is ignored and its name says `(skipped: apt package X missing)`, so a
 * local run never passes silently.
 */
export function peerTestOptions(
  name: string,
  peers: Record<string, boolean>,
): { name: string; ignore: boolean } {
  const missing = Object.entries(peers)
    .filter(([, available]) => !available)
    .map(([aptPackage]) => aptPackage);
  if (missing.length === 0) return { name, ignore: false };
  const noun = missing.length === 1 ? "package" : "packages";
  return {
    name: `${name} (skipped: apt ${noun} ${missing.join(", ")} missing)`,
    ignore: true,
  };
}

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago: listens on
 * port 0, reads the port the kernel chose, and closes the listener. Another
 * process may take it before the caller binds, so callers retry on failure.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Resolves once `port` on 127.0.0.1 accepts a TCP connection, polling with
 * exponential backoff (5 ms doubling up to 200 ms). Rejects after `timeoutMs`,
 * or as soon as `abandon` resolves (e.g. the server process exited).
 */
export async function waitForPort(
  port: number,
  options: { timeoutMs?: number; abandon?: Promise<unknown> } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let abandoned = false;
  options.abandon?.then(() => abandoned = true, () => abandoned = true);
  let delay = 5;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
    }
    if (abandoned) {
      throw new Error(`Nothing listens on port ${port}: the server exited`);
    }
    if (Date.now() >= deadline) {
      throw new Error(`Port ${port} did not accept a connection in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** Options for {@link startNgircd} and {@link startInspircd}. */
export interface PeerServerOptions {
  /** Server name announced to clients (must contain a dot). Default `"ngircd.test"` or `"inspircd.test"`. */
  serverName?: string;
  /** One-line message of the day. Default `"tertulia interop test server"`. */
  motd?: string;
  /** Longest nickname accepted. Default 30, tertulia's NICKLEN. */
  nickLength?: number;
  /** Milliseconds to wait for the daemon to log that it listens. Default 10 000. */
  startTimeoutMs?: number;
  /** Port to listen on. Default: a free one, and another if it was taken meanwhile. */
  port?: number;
}

/** Options for {@link startNgircd}. */
export interface NgircdOptions extends PeerServerOptions {
  /** Also listen for TLS (GnuTLS) on a second free port, with this PEM certificate and key. Default: no TLS. */
  tls?: { certFile: string; keyFile: string };
}

/** Settings every generated configuration needs. */
export type PeerServerSettings = Required<
  Pick<PeerServerOptions, "serverName" | "motd" | "nickLength">
>;

/** A running third-party IRC server started by {@link startNgircd} or {@link startInspircd}. */
export interface PeerServer {
  /** Port on 127.0.0.1 the server listens on. */
  port: number;
  /** Port of the TLS listener, when one was asked for. */
  tlsPort?: number;
  /** Server name it announces as the source of its replies. */
  serverName: string;
  /** Everything the daemon has written to stdout and stderr so far. */
  log(): string;
  /** Stops the daemon, waits for it to exit, and removes its temporary directory. */
  close(): Promise<void>;
}

/**
 * Builds an ngIRCd configuration: no PAM, ident or DNS, no flood penalties,
 * no per-IP limit; with `tls`, an [SSL] section listening on `tls.port`.
 */
export function ngircdConfig(
  port: number,
  settings: PeerServerSettings,
  tls?: { port: number; certFile: string; keyFile: string },
): string {
  const ssl = tls === undefined ? "" : `
[SSL]
CertFile = ${tls.certFile}
KeyFile = ${tls.keyFile}
Ports = ${tls.port}
`;
  return `[Global]
Name = ${settings.serverName}
Info = tertulia interop peer
AdminInfo1 = tertulia tests
AdminInfo2 = 127.0.0.1
AdminEMail = tests@tertulia.invalid
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = ${settings.motd}

[Limits]
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = ${settings.nickLength}
MaxPenaltyTime = 0
PingTimeout = 300
PongTimeout = 60

[Options]
PAM = no
Ident = no
DNS = no
ConnectIPv6 = no
${ssl}`;
}

/**
 * Builds an InspIRCd 3 configuration: no ident or DNS, no fake lag or
 * per-IP limits, and the IRCv3 modules a modern network loads (CAP,
 * server-time, echo-message, message-tags, multi-prefix).
 */
export function inspircdConfig(
  port: number,
  settings: PeerServerSettings,
  motdPath: string,
): string {
  return `<server name="${settings.serverName}" description="tertulia interop peer" network="InteropNet">
<admin name="tertulia tests" nick="tests" email="tests@tertulia.invalid">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect allow="*" timeout="60" threshold="100000" pingfreq="300" hardsendq="1048576" softsendq="1048576" recvq="65536" localmax="100000" globalmax="100000" useident="no" resolvehostnames="no" commandrate="100000000" fakelag="off" maxchans="1000">
<files motd="${motdPath}">
<dns timeout="1">
<options prefixquit="Quit: ">
<limits maxnick="${settings.nickLength}" maxchan="50">
<module name="cap">
<module name="ircv3">
<module name="ircv3_servertime">
<module name="ircv3_echomessage">
<module name="ircv3_ctctags">
<module name="namesx">
`;
}

/** What {@link launchDaemon} needs to know about one kind of server. */
interface DaemonSpec {
  /** Debian package, named when the binary is missing. */
  aptPackage: string;
  /** Executable name. */
  binary: string;
  /** Server name to report back. */
  serverName: string;
  /** Writes the configuration for `port` into `dir` and returns the daemon's arguments. */
  prepare(dir: string, port: number): Promise<string[]>;
  /** The log line that says the daemon listens on `port` and is ready. */
  ready(port: number): RegExp;
  /** A log line that says a listener could not be bound, for daemons that keep running after that. */
  bindFailed?: RegExp;
  /** Milliseconds to wait for the ready line and the port. */
  startTimeoutMs: number;
  /** The port asked for, if any; otherwise a free one is picked per attempt. */
  port?: number;
}

/** How often a daemon is started on a new port when the chosen one was taken meanwhile. */
const START_ATTEMPTS = 3;

/**
 * Starts a real ngIRCd in the foreground (`-n -f conf`) on a free port of
 * 127.0.0.1 with a generated configuration in a temporary directory, and
 * resolves once it logs that it listens. Run as root, ngIRCd drops to the
 * `nobody` user by itself (after reading the TLS key). Throws, with the
 * daemon's log, if it does not come up.
 */
export async function startNgircd(
  options: NgircdOptions = {},
): Promise<PeerServer> {
  const settings = resolveSettings(options, "ngircd.test");
  const { tls } = options;
  let tlsPort: number | undefined;
  const server = await startDaemon({
    aptPackage: "ngircd",
    binary: "ngircd",
    serverName: settings.serverName,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    port: options.port,
    async prepare(dir, port) {
      tlsPort = tls === undefined ? undefined : freePort();
      const configPath = join(dir, "ngircd.conf");
      const config = ngircdConfig(
        port,
        settings,
        tls && tlsPort !== undefined ? { port: tlsPort, ...tls } : undefined,
      );
      await Deno.writeTextFile(configPath, config);
      await Deno.chmod(configPath, 0o644);
      return ["-n", "-f", configPath];
    },
    // The TLS listener is logged after the plain one.
    ready: (port) =>
      new RegExp(
        `Now listening on \\[127\\.0\\.0\\.1\\]:${tlsPort ?? port}\\b`,
      ),
  });
  return tlsPort === undefined ? server : { ...server, tlsPort };
}

/**
 * Starts a real InspIRCd 3 in the foreground (`--nofork --nopid`, and
 * `--runasroot` when root) like {@link startNgircd}. InspIRCd completes a
 * registration on its once-a-second timer, so each client takes up to a
 * second longer to be welcomed than on ngIRCd.
 */
export function startInspircd(
  options: PeerServerOptions = {},
): Promise<PeerServer> {
  const settings = resolveSettings(options, "inspircd.test");
  return startDaemon({
    aptPackage: "inspircd",
    binary: "inspircd",
    serverName: settings.serverName,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    port: options.port,
    async prepare(dir, port) {
      const motdPath = join(dir, "motd.txt");
      await Deno.writeTextFile(motdPath, settings.motd + "\n");
      const configPath = join(dir, "inspircd.conf");
      await Deno.writeTextFile(
        configPath,
        inspircdConfig(port, settings, motdPath),
      );
      const root = Deno.uid() === 0 ? ["--runasroot"] : [];
      return ["--config", configPath, "--nofork", "--nopid", ...root];
    },
    ready: () => /InspIRCd is now running/,
    bindFailed: /listeners failed to bind/,
  });
}

function resolveSettings(
  options: PeerServerOptions,
  serverName: string,
): PeerServerSettings {
  return {
    serverName: options.serverName ?? serverName,
    motd: options.motd ?? "tertulia interop test server",
    nickLength: options.nickLength ?? 30,
  };
}

async function startDaemon(spec: DaemonSpec): Promise<PeerServer> {
  const binary = findBinary(spec.binary);
  if (binary === undefined) {
    throw new Error(
      `${spec.binary} not found: install the ${spec.aptPackage} apt package`,
    );
  }
  let lastError: unknown;
  const attempts = spec.port === undefined ? START_ATTEMPTS : 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await launchDaemon(binary, spec);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launchDaemon(
  binary: string,
  spec: DaemonSpec,
): Promise<PeerServer> {
  const dir = await Deno.makeTempDir({ prefix: `tertulia-${spec.binary}-` });
  await Deno.chmod(dir, 0o755);
  const port = spec.port ?? freePort();
  const args = await spec.prepare(dir, port);

  const child = new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logText = "";
  let onLog = () => {};
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      logText += decoder.decode(chunk, { stream: true });
      onLog();
    }
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.status;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await exited;
      await drained;
      await Deno.remove(dir, { recursive: true });
    })();
    return closed;
  };

  // Ready means the daemon says so in its log: a probe connection alone could
  // reach another process that took the port first.
  const readyLine = spec.ready(port);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onLog = () => {
      if (spec.bindFailed?.test(logText)) {
        reject(new Error("it could not bind the port"));
      } else if (readyLine.test(logText)) resolve();
    };
    exited.then(() => reject(new Error("it exited")));
    timer = setTimeout(
      () =>
        reject(
          new Error(`it did not log ${readyLine} in ${spec.startTimeoutMs} ms`),
        ),
      spec.startTimeoutMs,
    );
  });
  try {
    await ready;
    await waitForPort(port, {
      timeoutMs: spec.startTimeoutMs,
      abandon: exited,
    });
  } catch (error) {
    await close();
    throw new Error(
      `${spec.binary} did not start on port ${port}: ${
        (error as Error).message
      }\n${logText}`,
    );
  } finally {
    clearTimeout(timer);
  }
  return { port, serverName: spec.serverName, log: () => logText, close };
}
