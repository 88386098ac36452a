/**
 * The client's screen and keyboard: a raw-mode line editor when a person is
 * at a terminal (incoming lines are printed above the line being typed,
 * which is then redrawn), or plain line-by-line stdin/stdout otherwise.
 *
 * The editing rules live in `editor.ts`.
 *
 * @module
 */

import {
  applyKey,
  type Completer,
  createEditor,
  decodeKeys,
  drawPromptLine,
  splitUnfinishedEscape,
} from "./editor.ts";

/** The client's view of the screen and keyboard. */
export interface Terminal {
  /** Whether a person is typing (stdin is a terminal), so questions can be asked. */
  readonly interactive: boolean;
  /** The screen's width in columns, for wrapping; absent or `undefined` when lines are not wrapped (pipes). */
  columns?(): number | undefined;
  /** Prints one whole line without disturbing the line being typed. */
  print(line: string): void;
  /** Sets the prompt shown before the line being typed (TTY only). */
  setPrompt(prompt: string): void;
  /** Sets what Tab completes the word before the cursor with (TTY only). */
  setCompleter(complete: Completer): void;
  /** Shows `question` and reads the answer; `null` at end of input. */
  ask(question: string): Promise<string | null>;
  /**
   * Shows `question` and reads an answer that is neither echoed nor kept in
   * the line history (a password); `null` at end of input. Only a terminal
   * that can hide what is typed has it.
   */
  askSecret?(question: string): Promise<string | null>;
  /** The next typed line; `null` at end of input, Ctrl-D on an empty line or Ctrl-C. */
  readLine(): Promise<string | null>;
  /** Restores the terminal (leaves raw mode, clears the prompt line). */
  close(): void;
}

const encoder = new TextEncoder();

let stdoutGone = false;

/** Writes all of `text` to stdout; once the reader has gone (`| head`), output is dropped and the client carries on. */
function writeAll(text: string): void {
  if (stdoutGone) return;
  const bytes = encoder.encode(text);
  let written = 0;
  try {
    while (written < bytes.length) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    stdoutGone = true;
  }
}

/** A queue of typed lines that `readLine` waits on; `null` marks the end. */
function createLineQueue() {
  const lines: (string | null)[] = [];
  const waiters: ((line: string | null) => void)[] = [];
  let ended = false;
  return {
    push(line: string | null): void {
      if (ended) return;
      if (line === null) ended = true;
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
      if (ended) { for (const rest of waiters.splice(0)) rest(null); }
    },
    next(): Promise<string | null> {
      if (lines.length > 0) return Promise.resolve(lines.shift() ?? null);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

async function pump(
  input: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
  onEnd: () => void,
): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of input) {
      onText(decoder.decode(chunk, { stream: true }));
    }
  } catch {
    // A closed or broken stdin is simply the end of input.
  }
  onEnd();
}

/**
 * A terminal over plain streams: each input line is one typed line, each
 * printed line is written followed by a newline. Used when stdin or stdout
 * is not a TTY (pipes, scripts, tests).
 */
export function createPlainTerminal(options: {
  /** Where typed lines come from. */
  input: ReadableStream<Uint8Array>;
  /** Writes text to the screen. */
  write: (text: string) => void;
  /** Whether a person is typing. */
  interactive: boolean;
}): Terminal {
  const queue = createLineQueue();
  let pending = "";
  pump(options.input, (text) => {
    pending += text;
    let newline;
    while ((newline = pending.indexOf("\n")) !== -1) {
      queue.push(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
    }
  }, () => {
    if (pending !== "") queue.push(pending);
    queue.push(null);
  });
  return {
    interactive: options.interactive,
    print: (line) => options.write(`${line}\n`),
    setPrompt: () => {},
    setCompleter: () => {},
    ask(question) {
      options.write(options.interactive ? question : `${question}\n`);
      return queue.next();
    },
    readLine: () => queue.next(),
    close: () => {},
  };
}

/** A raw-mode line editor on the process's own TTY (stdin and stdout must both be terminals). */
export function createTtyTerminal(): Terminal {
  const queue = createLineQueue();
  const editor = createEditor();
  let prompt = "";
  let complete: Completer = () => null;
  let closed = false;
  const columns = () => {
    try {
      return Deno.consoleSize().columns;
    } catch {
      return 80;
    }
  };
  const redraw = () => writeAll(drawPromptLine(prompt, editor, columns()));

  Deno.stdin.setRaw(true);
  const onResize = () => {
    if (!closed) redraw();
  };
  Deno.addSignalListener("SIGWINCH", onResize);
  let unfinished = "";
  pump(Deno.stdin.readable, (text) => {
    const [whole, rest] = splitUnfinishedEscape(unfinished + text);
    unfinished = rest;
    for (const key of decodeKeys(whole)) {
      const result = applyKey(editor, key, complete);
      if (result.kind === "submit") queue.push(result.line);
      else if (result.kind === "eof" || result.kind === "interrupt") {
        queue.push(null);
      }
    }
    if (!closed) redraw();
  }, () => queue.push(null));

  return {
    interactive: true,
    columns,
    print(line) {
      if (closed) writeAll(`${line}\n`);
      else {
        writeAll(
          `\r\x1b[2K${line}\r\n${drawPromptLine(prompt, editor, columns())}`,
        );
      }
    },
    setCompleter(next) {
      complete = next;
    },
    setPrompt(next) {
      prompt = next;
      if (!closed) redraw();
    },
    ask(question) {
      this.setPrompt(question);
      return queue.next();
    },
    async askSecret(question) {
      const before = prompt;
      editor.secret = true;
      this.setPrompt(question);
      try {
        return await queue.next();
      } finally {
        editor.secret = false;
        this.setPrompt(before);
      }
    },
    readLine: () => queue.next(),
    close() {
      if (closed) return;
      closed = true;
      Deno.removeSignalListener("SIGWINCH", onResize);
      writeAll("\r\x1b[2K");
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // stdin may already be gone; nothing left to restore.
      }
    },
  };
}

/** Opens the right terminal for this process: the line editor on a TTY, plain lines otherwise. */
export function openTerminal(): Terminal {
  const stdinTty = Deno.stdin.isTerminal();
  if (stdinTty && Deno.stdout.isTerminal()) return createTtyTerminal();
  return createPlainTerminal({
    input: Deno.stdin.readable,
    write: writeAll,
    interactive: stdinTty,
  });
}
