/**
 * Runs `client.ts` as a subprocess with piped stdin/stdout/stderr, the way a
 * script would use it, so tests can type lines and wait for what it prints.
 *
 * @module
 */

const CLIENT = new URL("../../client.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/** Options for {@link spawnClient}. */
export interface ClientProcessOptions {
  /** Extra environment; `NO_COLOR=1` is always set, and `XDG_CONFIG_HOME` points nowhere unless given. Default none. */
  env?: Record<string, string>;
  /** Default timeout for {@link ClientProcess.waitForOutput} and `exited`, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Working directory, against which relative paths such as `--ca certs/ca.crt` resolve. Default: the test's. */
  cwd?: string;
}

/** A running `client.ts`. */
export interface ClientProcess {
  /** Everything printed so far, stdout and stderr interleaved as they arrived. */
  readonly output: string;
  /** Everything printed on standard output so far. */
  readonly stdout: string;
  /** Everything printed on standard error so far. */
  readonly stderr: string;
  /** Types one line (a newline is added). */
  send(line: string): Promise<void>;
  /**
   * Resolves with the matched text once `pattern` appears in the output after
   * the end of the previous successful wait's match (so repeated waits for
   * the same text need it printed again). Rejects after the timeout, or when
   * the client exits without printing it, quoting the output.
   */
  waitForOutput(
    pattern: string | RegExp,
    options?: { timeoutMs?: number },
  ): Promise<string>;
  /** How many times `text` appears in the whole output so far. */
  count(text: string): number;
  /** Closes standard input (end of file). */
  endInput(): Promise<void>;
  /** Sends a signal (e.g. `SIGINT`) to the client. */
  signal(signal: Deno.Signal): void;
  /** Resolves with the exit code; rejects (quoting the output) after the timeout. */
  exited(options?: { timeoutMs?: number }): Promise<number>;
  /** Kills the client if still running and waits for it to end. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `deno run -A client.ts ...args` with piped standard streams and colour off. */
export function spawnClient(
  args: string[],
  options: ClientProcessOptions = {},
): ClientProcess {
  const defaultTimeout = options.timeoutMs ?? 10_000;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLIENT, ...args],
    // No user config file (~/.config/tertulia/client.yaml) changes what a test runs.
    env: {
      NO_COLOR: "1",
      XDG_CONFIG_HOME: "/nonexistent-tertulia-test-config",
      ...options.env,
    },
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let output = "";
  let stdout = "";
  let stderr = "";
  let cursor = 0;
  let exited = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const collect = async (
    stream: ReadableStream<Uint8Array>,
    append: (text: string) => void,
  ) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      append(text);
      output += text;
      notify();
    }
  };
  const drained = Promise.all([
    collect(child.stdout, (text) => stdout += text),
    collect(child.stderr, (text) => stderr += text),
  ]);
  const status = drained.then(() => child.status).then((result) => {
    exited = true;
    notify();
    return result;
  });

  const describe = () => `; output so far:\n${output || "(none)"}`;

  /** Resolves when `check` returns a value, re-checking whenever output arrives. */
  function waitUntil<T>(
    check: () => T | undefined,
    what: string,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}${describe()}`,
          ),
        );
      }, timeoutMs);
      const listener = () => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(value);
        } else if (exited) {
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new Error(`client exited while waiting for ${what}${describe()}`),
          );
        }
      };
      listeners.add(listener);
      listener();
    });
  }

  const close = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await writer.close().catch(() => {});
    await status;
  };

  return {
    get output() {
      return output;
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async send(line) {
      await writer.write(encoder.encode(`${line}\n`));
    },
    waitForOutput(pattern, waitOptions = {}) {
      return waitUntil(
        () => {
          const rest = output.slice(cursor);
          let index: number;
          let text: string;
          if (typeof pattern === "string") {
            index = rest.indexOf(pattern);
            text = pattern;
          } else {
            const match = new RegExp(
              pattern.source,
              pattern.flags.replace("g", ""),
            )
              .exec(rest);
            index = match?.index ?? -1;
            text = match?.[0] ?? "";
          }
          if (index === -1) return undefined;
          cursor += index + text.length;
          return text;
        },
        JSON.stringify(String(pattern)),
        waitOptions.timeoutMs ?? defaultTimeout,
      );
    },
    count(text) {
      return output.split(text).length - 1;
    },
    async endInput() {
      await writer.close().catch(() => {});
    },
    signal(signal) {
      child.kill(signal);
    },
    async exited(waitOptions = {}) {
      await waitUntil(
        () => exited ? true : undefined,
        "the client to exit",
        waitOptions.timeoutMs ?? defaultTimeout,
      ).catch((error) => {
        if (!exited) throw error;
      });
      return (await status).code;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
