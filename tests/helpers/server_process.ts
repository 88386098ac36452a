/**
 * Runs `server.ts` as a real subprocess, for tests that need signals
 * (SIGTERM, kill -9) or the command line's exit codes and messages.
 *
 * @module
 */

/** Path of the server entry point. */
export const SERVER_PATH = new URL("../../server.ts", import.meta.url).pathname;

/** A server subprocess that has started listening. */
export interface ServerProcess {
  /** The plain-text port it listens on, or the TLS port when it serves TLS only. */
  port: number;
  /** The TLS port, when {@link SpawnOptions.tls} said to wait for one. */
  tlsPort?: number;
  /** The web listener's port, when it had logged it by the time the IRC listeners had. */
  webPort?: number;
  /** Its process id, e.g. to read `/proc/<pid>/fd`. */
  pid: number;
  /** Its stderr lines so far (the log). */
  stderr: string[];
  /** Sends `signal` to the process. */
  kill(signal: Deno.Signal): void;
  /** Resolves with the next stderr line matching `pattern` logged after this call; rejects after `timeout` ms (default 10000) quoting the log. */
  nextLine(pattern: RegExp, options?: { timeout?: number }): Promise<string>;
  /** Settles with the exit status once the process has ended and its output is drained. */
  exited: Promise<Deno.CommandStatus>;
}

/** What a server run that ended on its own reported. */
export interface ServerExit {
  /** Exit code. */
  code: number;
  /** Everything it wrote to stderr. */
  stderr: string;
}

/** Options for {@link spawnServer}. */
export interface SpawnOptions {
  /** Working directory (where `certs/` and `data/` are relative to). Default: the test's. */
  cwd?: string;
  /** Listeners to wait for: `"plain"` (default), `"both"` (plain and TLS) or `"tls-only"`. */
  tls?: "plain" | "both" | "tls-only";
  /** Another entry point to run instead of `server.ts`, given `args` as they are (no web listener is waited for). */
  script?: string;
}

function command(
  args: string[],
  signal?: AbortSignal,
  cwd?: string,
  script = SERVER_PATH,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal,
  });
}

/**
 * Starts `server.ts` with `args` (add `--port 0`, and `--tls-port 0` with
 * TLS) and resolves once it logs `listening on` for each listener `options`
 * asks for, and the web chat's URL, with the ports it chose. Rejects,
 * quoting stderr, if it exits first. Unless `args` set the web listener,
 * it gets a free port (`--web-port 0`) so parallel tests never compete for
 * the default one.
 */
export function spawnServer(
  args: string[],
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const { script } = options;
  const webArgs = script !== undefined ||
      args.some((arg) => /^--(no-)?web/.test(arg))
    ? []
    : ["--web-port", "0"];
  // The web listener logs its URL (or why it did not start) after the IRC listeners.
  let webLogged = script !== undefined || args.includes("--no-web");
  const child = command([...args, ...webArgs], undefined, options.cwd, script)
    .spawn();
  const stderr: string[] = [];
  const lineWaiters = new Set<(line: string) => void>();
  const wanted = options.tls ?? "plain";
  const ports: { plain?: number; tls?: number; web?: number } = {};
  const { promise: listening, resolve, reject } = Promise.withResolvers<
    { port: number; tlsPort?: number }
  >();
  const drained = (async () => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        stderr.push(line);
        for (const waiter of [...lineWaiters]) waiter(line);
        const match = line.match(/listening on 127\.0\.0\.1:(\d+)( \(TLS\))?$/);
        if (match) ports[match[2] ? "tls" : "plain"] = Number(match[1]);
        const webMatch = line.match(
          /web chat at https?:\/\/127\.0\.0\.1:(\d+)\//,
        );
        if (webMatch) ports.web = Number(webMatch[1]);
        if (webMatch || /web chat not started/.test(line)) webLogged = true;
        if (!webLogged) continue;
        if (wanted === "plain" && ports.plain !== undefined) {
          resolve({ port: ports.plain });
        } else if (
          wanted === "both" && ports.plain !== undefined &&
          ports.tls !== undefined
        ) {
          resolve({ port: ports.plain, tlsPort: ports.tls });
        } else if (wanted === "tls-only" && ports.tls !== undefined) {
          resolve({ port: ports.tls, tlsPort: ports.tls });
        }
      }
    }
    if (rest !== "") stderr.push(rest);
  })();
  const exited = Promise.all([child.status, drained]).then(([status]) => {
    reject(new Error(`server exited before listening:\n${stderr.join("\n")}`));
    return status;
  });
  // A server that neither listens nor exits is killed, so the test fails instead of hanging.
  const startTimer = setTimeout(() => {
    reject(new Error(`server not listening after 30 s:\n${stderr.join("\n")}`));
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, 30_000);
  const stopTimer = () => clearTimeout(startTimer);
  listening.then(stopTimer, stopTimer);
  return listening.then(({ port, tlsPort }) => ({
    port,
    tlsPort,
    webPort: ports.web,
    pid: child.pid,
    stderr,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
    exited,
    nextLine: (pattern, { timeout = 10_000 } = {}) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          lineWaiters.delete(waiter);
          reject(
            new Error(
              `no log line ${pattern} in ${timeout} ms:\n${stderr.join("\n")}`,
            ),
          );
        }, timeout);
        const waiter = (line: string) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          lineWaiters.delete(waiter);
          resolve(line);
        };
        lineWaiters.add(waiter);
      }),
  }), async (error) => {
    await exited;
    throw error;
  });
}

/**
 * Runs `server.ts` with `args` expecting it to stop by itself (a start-up
 * error), and reports how. A server still running after 30 s is killed.
 */
export async function runServerToExit(args: string[]): Promise<ServerExit> {
  const output = await command(args, AbortSignal.timeout(30_000)).output();
  return {
    code: output.code,
    stderr: new TextDecoder().decode(output.stderr),
  };
}
