/**
 * Runs a full-screen terminal program (irssi, weechat) inside a private tmux
 * server so a test can type into it (`send-keys`) and read its screen
 * (`capture-pane`).
 *
 * @module
 */

import { join } from "node:path";

/** Options for {@link startTmux}. */
export interface TmuxOptions {
  /** Terminal width in columns. Default 200, wide enough that lines do not wrap. */
  width?: number;
  /** Terminal height in rows. Default 60. */
  height?: number;
  /** Extra environment for the program. */
  env?: Record<string, string>;
}

/** A program running in a detached tmux session. */
export interface TmuxSession {
  /** Types `text` literally, then Enter. */
  typeLine(text: string): Promise<void>;
  /** Types `text` literally, without Enter. */
  typeText(text: string): Promise<void>;
  /** Presses keys by their tmux names (`"Enter"`, `"C-c"`, `"C-d"`). */
  pressKeys(...keys: string[]): Promise<void>;
  /** What the screen shows now, one string with a line per row. */
  screen(): Promise<string>;
  /** The screen with its colours and attributes as ANSI escape sequences. */
  styledScreen(): Promise<string>;
  /**
   * Resolves with the screen once it matches `pattern`, polling with backoff
   * (10 ms doubling to 200 ms); rejects after `timeoutMs` (default 10 000)
   * with the last screen in the message.
   */
  waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the program's exit code once it has exited. */
  exited: Promise<number>;
  /** Kills the tmux server (and the program, if still running) and removes the temporary directory. */
  close(): Promise<void>;
}

/** Quotes `word` for `sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function tmux(socket: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("tmux", {
    args: ["-S", socket, "-f", "/dev/null", ...args],
    env: { TERM: "xterm-256color" },
    stdin: "null",
  }).output();
  if (!success) {
    throw new Error(
      `tmux ${args[0]} failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return new TextDecoder().decode(stdout);
}

/**
 * Starts `command` in a detached tmux session on a private socket. When the
 * program exits its pane stays (so its last screen can still be read) and
 * {@link TmuxSession.exited} resolves, signalled through `tmux wait-for`.
 */
export async function startTmux(
  command: string[],
  options: TmuxOptions = {},
): Promise<TmuxSession> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-tmux-" });
  const socket = join(dir, "tmux.sock");
  const codeFile = join(dir, "exit-code");
  const exports = Object.entries(options.env ?? {})
    .map(([name, value]) => `${name}=${shellQuote(value)} `).join("");
  const script = `${exports}${command.map(shellQuote).join(" ")}; ` +
    `echo $? > ${shellQuote(codeFile)}; ` +
    `tmux -S ${shellQuote(socket)} wait-for -S exited`;
  await tmux(socket, [
    "new-session",
    "-d",
    "-s",
    "peer",
    "-x",
    String(options.width ?? 200),
    "-y",
    String(options.height ?? 60),
    "sh",
    "-c",
    script,
    ";",
    "set-option",
    "-t",
    "peer",
    "remain-on-exit",
    "on",
  ]);
  const exited = tmux(socket, ["wait-for", "exited"])
    .then(() => Deno.readTextFile(codeFile))
    .then((text) => Number(text.trim()));
  // A close() before the program exits makes the wait fail; callers that care await `exited` themselves.
  exited.catch(() => {});

  const screen = () => tmux(socket, ["capture-pane", "-p", "-J", "-t", "peer"]);
  let closed: Promise<void> | undefined;

  return {
    async typeLine(text) {
      await tmux(socket, ["send-keys", "-t", "peer", "-l", text]);
      await tmux(socket, ["send-keys", "-t", "peer", "Enter"]);
    },
    async typeText(text) {
      await tmux(socket, ["send-keys", "-t", "peer", "-l", text]);
    },
    async pressKeys(...keys) {
      await tmux(socket, ["send-keys", "-t", "peer", ...keys]);
    },
    screen,
    styledScreen: () =>
      tmux(socket, ["capture-pane", "-p", "-e", "-J", "-t", "peer"]),
    async waitForScreen(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let delay = 10;
      while (true) {
        const text = await screen();
        if (pattern.test(text)) return text;
        if (Date.now() >= deadline) {
          throw new Error(
            `screen never matched ${pattern} in ${timeoutMs} ms; it shows:\n${text}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 200);
      }
    },
    exited,
    close() {
      closed ??= (async () => {
        await tmux(socket, ["kill-server"]).catch(() => {});
        await exited.catch(() => {});
        await Deno.remove(dir, { recursive: true });
      })();
      return closed;
    },
  };
}
