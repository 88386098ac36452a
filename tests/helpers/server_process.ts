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
  /** The plain-text port it listens on. */
  port: number;
  /** Its stderr lines so far (the log). */
  stderr: string[];
  /** Sends `signal` to the process. */
  kill(signal: Deno.Signal): void;
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

function command(args: string[], signal?: AbortSignal): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER_PATH, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal,
  });
}

/**
 * Starts `server.ts` with `args` (add `--port 0`) and resolves once it logs
 * `listening on`, with the port it chose. Rejects, quoting stderr, if it
 * exits first.
 */
export function spawnServer(args: string[]): Promise<ServerProcess> {
  const child = command(args).spawn();
  const stderr: string[] = [];
  const { promise: listening, resolve, reject } = Promise.withResolvers<
    number
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
        const match = line.match(/listening on 127\.0\.0\.1:(\d+)$/);
        if (match) resolve(Number(match[1]));
      }
    }
    if (rest !== "") stderr.push(rest);
  })();
  const exited = Promise.all([child.status, drained]).then(([status]) => {
    reject(new Error(`server exited before listening:\n${stderr.join("\n")}`));
    return status;
  });
  return listening.then((port) => ({
    port,
    stderr,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
    exited,
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
