/**
 * Third-party IRC peers for the interop tests: finding a Debian peer binary
 * (so a test can skip, naming the missing package), picking a free port, and
 * running a real ngIRCd on it with a generated configuration.
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

/** Options for {@link startNgircd}. */
export interface NgircdOptions {
  /** Server name announced to clients (must contain a dot). Default `"ngircd.test"`. */
  serverName?: string;
  /** One-line message of the day. Default `"tertulia interop test server"`. */
  motd?: string;
  /** Longest nickname accepted. Default 30, tertulia's NICKLEN. */
  nickLength?: number;
  /** Milliseconds to wait for the port to accept connections. Default 10 000. */
  startTimeoutMs?: number;
}

/** A running ngIRCd started by {@link startNgircd}. */
export interface PeerServer {
  /** Port on 127.0.0.1 the server listens on. */
  port: number;
  /** Server name it announces as the source of its replies. */
  serverName: string;
  /** Everything the daemon has logged so far (it logs to stderr in the foreground). */
  log(): string;
  /** Stops the daemon, waits for it to exit, and removes its temporary directory. */
  close(): Promise<void>;
}

/** Builds an ngIRCd configuration: no PAM, ident or DNS, no flood penalties, no per-IP limit. */
export function ngircdConfig(
  port: number,
  options: Required<Pick<NgircdOptions, "serverName" | "motd" | "nickLength">>,
): string {
  return `[Global]
Name = ${options.serverName}
Info = tertulia interop peer
AdminInfo1 = tertulia tests
AdminInfo2 = 127.0.0.1
AdminEMail = tests@tertulia.invalid
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = ${options.motd}

[Limits]
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = ${options.nickLength}
MaxPenaltyTime = 0
PingTimeout = 300
PongTimeout = 60

[Options]
PAM = no
Ident = no
DNS = no
ConnectIPv6 = no
`;
}

/** How often {@link startNgircd} picks a new port when the chosen one was taken meanwhile. */
const START_ATTEMPTS = 3;

/**
 * Starts a real ngIRCd in the foreground (`-n -f conf`) on a free port of
 * 127.0.0.1 with a generated configuration in a temporary directory, and
 * resolves once the port accepts connections. Run as root, ngIRCd drops to
 * the `nobody` user by itself. Throws, with the daemon's log, if it does not
 * come up.
 */
export async function startNgircd(
  options: NgircdOptions = {},
): Promise<PeerServer> {
  const binary = findBinary("ngircd");
  if (binary === undefined) {
    throw new Error("ngircd not found: install the ngircd apt package");
  }
  const settings = {
    serverName: options.serverName ?? "ngircd.test",
    motd: options.motd ?? "tertulia interop test server",
    nickLength: options.nickLength ?? 30,
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await launchNgircd(
        binary,
        settings,
        options.startTimeoutMs ?? 10_000,
      );
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launchNgircd(
  binary: string,
  settings: Required<Pick<NgircdOptions, "serverName" | "motd" | "nickLength">>,
  startTimeoutMs: number,
): Promise<PeerServer> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-ngircd-" });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const configPath = join(dir, "ngircd.conf");
  await Deno.writeTextFile(configPath, ngircdConfig(port, settings));
  await Deno.chmod(configPath, 0o644);

  const child = new Deno.Command(binary, {
    args: ["-n", "-f", configPath],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logText = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      logText += decoder.decode(chunk, { stream: true });
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

  try {
    await waitForPort(port, { timeoutMs: startTimeoutMs, abandon: exited });
  } catch (error) {
    await close();
    throw new Error(
      `ngircd did not start on port ${port}: ${
        (error as Error).message
      }\n${logText}`,
    );
  }
  return { port, serverName: settings.serverName, log: () => logText, close };
}
