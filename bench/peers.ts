/**
 * Starts the servers under test as separate processes, each fresh, with a
 * configuration that lifts connection and flood limits as far as the server
 * allows: tertulia (`deno run server.ts`), ngIRCd and InspIRCd from Debian.
 *
 * @module
 */

import { join } from "node:path";
import {
  findBinary,
  freePort,
  ngircdConfig,
  waitForPort,
} from "../tests/helpers/peer_servers.ts";

/** The servers the bench knows how to start. */
export const SERVER_KINDS = ["tertulia", "ngircd", "inspircd"] as const;

/** One of {@link SERVER_KINDS}. */
export type ServerKind = typeof SERVER_KINDS[number];

/** Open files allowed to each server process (raised with `ulimit -n` before exec). */
const SERVER_OPEN_FILES = 65536;

/** What each bench configuration lifts, and what it could not, per server (for the report). */
export const LIMIT_NOTES: Record<ServerKind, string> = {
  tertulia: "--flood-rate 0 (no flood control), --max-clients 0 and " +
    "--max-per-ip 0 (no limits), --sendq and --recvq 64 MiB, ping interval " +
    "and registration timeout 1 h, --no-history except in scenario 5 " +
    "(--db in a fresh directory). Nothing left that could not be lifted.",
  ngircd: "MaxConnections 0 and MaxConnectionsIP 0 (no limits), MaxJoins 0, " +
    "MaxPenaltyTime 0 (no penalty delays), DNS, Ident and PAM off. " +
    "Compile-time and not liftable: at most 3 commands per client per " +
    "event-loop pass (MAX_COMMANDS), read buffer 2 KiB, write buffer 32 KiB " +
    "per client (a client whose unsent output passes it is disconnected), " +
    "listen backlog 10 (so the storm keeps only 10 registrations in flight; " +
    "more makes the kernel drop SYNs, retried after 1 s or more), and " +
    "every event-loop pass scans all connections, so registering gets " +
    "slower as clients accumulate.",
  inspircd: "connect class: localmax/globalmax/limit 1,000,000, " +
    "threshold 1,000,000 and commandrate 1,000,000,000 (no fake lag), " +
    "fakelag off, hardsendq 64 MiB, softsendq 1 MiB, recvq 1 MiB, " +
    "no hostname lookups, ping 1 h; performance: softlimit 65000, " +
    "somaxconn 4096, netbuffersize 64 KiB, no clone checks on connect. " +
    "Not liftable: registration completes in the once-a-second background " +
    "pass (1.0 s from USER to 001 even for a lone client), so the storm needs " +
    "many registrations in flight; the per-command penalty still accrues " +
    "(it is never reached).",
};

/**
 * Arguments for `bash` that raise `ulimit -n` to {@link SERVER_OPEN_FILES}
 * (or the hard limit, if lower) and then exec `argv`, so the process keeps
 * its pid. `name` is the script's `$0`; `redirect` is appended to the exec.
 */
export function raisedFileLimitArgs(
  name: string,
  argv: string[],
  redirect = "",
): string[] {
  return [
    "-c",
    `ulimit -n ${SERVER_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec "$@" ${redirect}`,
    name,
    ...argv,
  ];
}

/**
 * How far a server's limits are lifted. `lifted`: every limit the
 * configuration can lift (see {@link LIMIT_NOTES}). `burst`: flood control
 * off, as for trusted bots or a bridge, but send queues at each server's
 * default size, so a reader that stalls is dropped as in production.
 * `burst-flood`: each server's own default flood control and send queues.
 */
export type LimitProfile = "lifted" | "burst" | "burst-flood";

/** What the burst profiles change, per server (for the report). */
export const BURST_NOTES: Record<ServerKind, string> = {
  tertulia: "burst: `--flood-rate 0` with the default `--sendq` (1 MiB) and " +
    "`--recvq`; burst-flood: every default (10 lines/s after a burst of 20)",
  ngircd: "burst: as lifted (its send buffer is fixed at compile time); " +
    "burst-flood: the default `MaxPenaltyTime` (penalties apply)",
  inspircd: "burst: as lifted but `hardsendq` 1 MiB (its default); " +
    "burst-flood: also the default threshold, commandrate and fake lag",
};

/** Options for {@link startBenchServer}. */
export interface StartOptions {
  /** Which limits to lift; defaults to `lifted`. */
  limits?: LimitProfile;
  /** Directory for configuration, logs and the history database. */
  dir: string;
  /** tertulia only: persist channel history in a SQLite database in `dir`. */
  history?: boolean;
  /** tertulia only: write a V8 CPU profile (`deno run --cpu-prof`) into this directory on exit. */
  cpuProfileDir?: string;
  /** tertulia only: V8 flags (`deno run --v8-flags=…`); defaults to {@link TERTULIA_V8_FLAGS}. */
  v8Flags?: string;
  /** tertulia only: serve the web chat (IRC over WebSocket) on a free port; otherwise `--no-web`. */
  web?: boolean;
  /** tertulia only: run as one node of the network this Redis holds (`--redis`, `--name`, `--network`). */
  cluster?: { redis: string; name: string; network: string };
}

/** A server process started by {@link startBenchServer}. */
export interface BenchServer {
  /** Which server this is. */
  kind: ServerKind;
  /** Process id, for `/proc/<pid>`. */
  pid: number;
  /** Port on 127.0.0.1. */
  port: number;
  /** tertulia with {@link StartOptions.web}: the web listener's port. */
  webPort?: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
}

const TERTULIA_ENTRY = new URL("../server.ts", import.meta.url).pathname;

/**
 * The V8 flags `deno task server` and `deno task compile` give tertulia
 * (deno.json), so the bench measures it as it is run. A young generation
 * of 1 MiB semi-spaces instead of V8's default (growing to 16 MiB) lowers
 * peak RSS under load by 5 to 20 MiB; a 1.5 GiB old-generation limit
 * instead of V8's default (4 GiB on a machine with this much memory) makes
 * V8 let its heap grow to about twice the live data before a full
 * collection instead of four times, which takes 20 to 30 MiB off the
 * fan-out and burst peaks (see bench/README.md and docs/backpressure.md).
 */
export const TERTULIA_V8_FLAGS =
  "--max-semi-space-size=1,--max-old-space-size=1536";

/** The Debian package that provides each peer. */
const PACKAGES: Record<Exclude<ServerKind, "tertulia">, string> = {
  ngircd: "ngircd",
  inspircd: "inspircd",
};

/**
 * Returns `null` when `kind` can run here, else why not. A missing peer is
 * installed with apt-get when running as root; otherwise it is skipped.
 */
export async function unavailableReason(
  kind: ServerKind,
): Promise<string | null> {
  if (kind === "tertulia") {
    try {
      await Deno.stat(TERTULIA_ENTRY);
      return null;
    } catch {
      return `${TERTULIA_ENTRY} not found`;
    }
  }
  return await binaryUnavailableReason(kind, PACKAGES[kind]);
}

/**
 * Returns `null` when the executable `binary` is installed, else why not.
 * A missing one is installed from the Debian package `aptPackage` with
 * apt-get when running as root.
 */
export async function binaryUnavailableReason(
  binary: string,
  aptPackage: string,
): Promise<string | null> {
  if (findBinary(binary) !== undefined) return null;
  if (Deno.uid() !== 0) {
    return `${binary} is not installed and installing it needs root ` +
      `(apt-get install ${aptPackage})`;
  }
  console.error(`Installing ${aptPackage} with apt-get …`);
  let install = await aptGet([
    "install",
    "-y",
    "--no-install-recommends",
    aptPackage,
  ]);
  if (!install.success) {
    // The package lists may be missing (fresh container): update once, retry.
    await aptGet(["update"]);
    install = await aptGet([
      "install",
      "-y",
      "--no-install-recommends",
      aptPackage,
    ]);
  }
  if (install.success && findBinary(binary) !== undefined) return null;
  return `apt-get install ${aptPackage} failed: ${
    new TextDecoder().decode(install.stderr).trim().split("\n").pop()
  }`;
}

/** Runs apt-get non-interactively; a failure to start counts as a failed run. */
function aptGet(
  args: string[],
): Promise<{ success: boolean; stderr: Uint8Array }> {
  return new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => ({
    success: false,
    stderr: new TextEncoder().encode(String(error)),
  }));
}

/** InspIRCd 3 configuration for the bench: one open connect class, no lookups, quiet. */
export function inspircdConfig(
  port: number,
  dir: string,
  limits: LimitProfile = "lifted",
): string {
  const flood = limits === "burst-flood"
    ? ""
    : `threshold="1000000" commandrate="1000000000" fakelag="no"\n         `;
  const hardsendq = limits === "lifted" ? 67108864 : 1048576;
  return `<server name="inspircd.bench" description="tertulia bench peer" network="bench">
<admin name="bench" nick="bench" email="bench@tertulia.invalid">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="*" timeout="3600" pingfreq="3600"
         localmax="1000000" globalmax="1000000" limit="1000000"
         maxchans="1000" ${flood}hardsendq="${hardsendq}" softsendq="1048576" recvq="1048576"
         resolvehostnames="no" useident="no">
<performance softlimit="65000" somaxconn="4096" netbuffersize="65536"
             clonesonconnect="no" quietbursts="yes" nouserdns="yes">
<security hideserver="" userstats="Pu" maxtargets="20">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes">
<limits maxnick="30" maxchan="50">
<channels users="1000" opers="1000">
<files motd="${dir}/motd">
<pid file="${dir}/inspircd.pid">
<dns server="127.0.0.1" timeout="3">
`;
}

/** Command line for one server kind, writing its configuration into `dir`. */
async function commandFor(
  kind: ServerKind,
  port: number,
  options: StartOptions,
  webPort: number | undefined,
): Promise<string[]> {
  const { dir } = options;
  const limits = options.limits ?? "lifted";
  switch (kind) {
    case "tertulia": {
      const args = [
        Deno.execPath(),
        "run",
        "-A",
        ...(options.cpuProfileDir === undefined
          ? []
          : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]),
        ...((options.v8Flags ?? TERTULIA_V8_FLAGS) === ""
          ? []
          : [`--v8-flags=${options.v8Flags ?? TERTULIA_V8_FLAGS}`]),
        TERTULIA_ENTRY,
        "--port",
        String(port),
        ...(limits === "burst-flood" ? [] : ["--flood-rate", "0"]),
        "--max-clients",
        "0",
        "--max-per-ip",
        "0",
        ...(limits === "lifted"
          ? ["--sendq", "67108864", "--recvq", "67108864"]
          : []),
        "--ping-interval",
        "3600",
        "--registration-timeout",
        "3600",
      ];
      if (options.history) args.push("--db", join(dir, "history.db"));
      else if ((await tertuliaHelp()).includes("--no-history")) {
        args.push("--no-history");
      }
      // The bench measures IRC over TCP unless asked for the web listener.
      if (webPort !== undefined) args.push("--web-port", String(webPort));
      else if ((await tertuliaHelp()).includes("--no-web")) {
        args.push("--no-web");
      }
      if (options.cluster !== undefined) {
        const { redis, name, network } = options.cluster;
        args.push("--redis", redis, "--name", name, "--network", network);
      }
      return args;
    }
    case "ngircd": {
      const config = join(dir, "ngircd.conf");
      let text = ngircdConfig(port, {
        serverName: "ngircd.bench",
        motd: "tertulia bench peer",
        nickLength: 30,
      }).replace("[Limits]\n", "[Limits]\nMaxConnections = 0\n")
        .replace(/PingTimeout = \d+/, "PingTimeout = 3600");
      if (limits === "burst-flood") {
        text = text.replace("MaxPenaltyTime = 0\n", "");
      }
      await Deno.writeTextFile(config, text);
      await Deno.chmod(config, 0o644);
      return [findBinary("ngircd")!, "-n", "-f", config];
    }
    case "inspircd": {
      const config = join(dir, "inspircd.conf");
      await Deno.writeTextFile(join(dir, "motd"), "tertulia bench peer\n");
      await Deno.writeTextFile(config, inspircdConfig(port, dir, limits));
      return [
        findBinary("inspircd")!,
        "--nofork",
        "--runasroot",
        "--nopid",
        "--config",
        config,
      ];
    }
  }
}

/**
 * Starts `kind` fresh on a free port, with `ulimit -n` raised to
 * {@link SERVER_OPEN_FILES} (or the hard limit), and resolves once the port
 * accepts connections. Output goes to `<dir>/<kind>.log`.
 */
export async function startBenchServer(
  kind: ServerKind,
  options: StartOptions,
): Promise<BenchServer> {
  await Deno.chmod(options.dir, 0o755);
  const port = freePort();
  const webPort = kind === "tertulia" && options.web ? freePort() : undefined;
  const argv = await commandFor(kind, port, options, webPort);
  const logPath = join(options.dir, `${kind}.log`);
  const child = new Deno.Command("bash", {
    args: raisedFileLimitArgs(kind, argv, `>>"${logPath}" 2>&1`),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const exited = child.status;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5000);
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };

  try {
    await waitForPort(port, { timeoutMs: 20_000, abandon: exited });
    if (webPort !== undefined) {
      await waitForPort(webPort, { timeoutMs: 20_000, abandon: exited });
    }
  } catch (error) {
    await stop();
    const tail = (await Deno.readTextFile(logPath)).split("\n").slice(-15);
    throw new Error(
      `${kind} did not start: ${(error as Error).message}\n${tail.join("\n")}`,
    );
  }
  return { kind, pid: child.pid, port, webPort, stop };
}

/** The accept backlog of the socket listening on `port` (Send-Q in `ss -ltn`), or `fallback`. */
export async function listenBacklog(
  port: number,
  fallback = 128,
): Promise<number> {
  try {
    const output = await new Deno.Command("ss", {
      args: ["-ltnH", `sport = :${port}`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const fields = new TextDecoder().decode(output.stdout).trim().split(/\s+/);
    const backlog = Number(fields[2]);
    return Number.isInteger(backlog) && backlog > 0 ? backlog : fallback;
  } catch {
    return fallback;
  }
}

/** A one-line version of `kind`: git commit for tertulia, the daemon's own banner for peers. */
export async function serverVersion(kind: ServerKind): Promise<string> {
  const run = async (command: string, args: string[]) => {
    try {
      const output = await new Deno.Command(command, {
        args,
        stdout: "piped",
        stderr: "piped",
        cwd: new URL("..", import.meta.url).pathname,
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      return text.trim().split("\n")[0];
    } catch {
      return "unknown";
    }
  };
  switch (kind) {
    case "tertulia":
      return `commit ${await run("git", ["rev-parse", "--short", "HEAD"])}`;
    case "ngircd":
      return await run(findBinary("ngircd") ?? "ngircd", ["--version"]);
    case "inspircd":
      return await run(findBinary("inspircd") ?? "inspircd", ["--version"]);
  }
}

let help: Promise<string> | undefined;

/** tertulia's `--help` text, read once, to learn which flags this version has. */
function tertuliaHelp(): Promise<string> {
  help ??= new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TERTULIA_ENTRY, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output().then((output) => new TextDecoder().decode(output.stdout));
  return help;
}

/** Whether this tertulia accepts `--db` (history persistence), read from its `--help`. */
export async function tertuliaHasHistory(): Promise<boolean> {
  return (await tertuliaHelp()).includes("--db");
}

/** Whether this tertulia can join a network over Redis (`--redis`), read from its `--help`. */
export async function tertuliaHasCluster(): Promise<boolean> {
  return (await tertuliaHelp()).includes("--redis");
}
