/**
 * The client's screen and keyboard: a raw-mode line editor when a person is
 * at a terminal (incoming lines are printed above the line being typed,
 * which is then redrawn), or plain line-by-line stdin/stdout otherwise.
 *
 * The key decoding and editing rules are pure functions, tested without a TTY.
 *
 * @module
 */

/** The client's view of the screen and keyboard. */
export interface Terminal {
  /** Whether a person is typing (stdin is a terminal), so questions can be asked. */
  readonly interactive: boolean;
  /** Prints one whole line without disturbing the line being typed. */
  print(line: string): void;
  /** Sets the prompt shown before the line being typed (TTY only). */
  setPrompt(prompt: string): void;
  /** Shows `question` and reads the answer; `null` at end of input. */
  ask(question: string): Promise<string | null>;
  /** The next typed line; `null` at end of input, Ctrl-D on an empty line or Ctrl-C. */
  readLine(): Promise<string | null>;
  /** Restores the terminal (leaves raw mode, clears the prompt line). */
  close(): void;
}

/** A key press other than typed text. */
export type EditKey =
  | "enter"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "home"
  | "end"
  | "up"
  | "down"
  | "word-left"
  | "word-right"
  | "kill-start"
  | "kill-end"
  | "kill-word"
  | "eof"
  | "interrupt"
  | "redraw"
  | "ignore";

/** One key press, decoded from the bytes a terminal sends. */
export type Key = { kind: "text"; text: string } | { kind: EditKey };

const ESCAPES: Record<string, EditKey> = {
  "[A": "up",
  "[B": "down",
  "[C": "right",
  "[D": "left",
  "[H": "home",
  "[F": "end",
  "OH": "home",
  "OF": "end",
  "OA": "up",
  "OB": "down",
  "OC": "right",
  "OD": "left",
  "[1~": "home",
  "[7~": "home",
  "[4~": "end",
  "[8~": "end",
  "[3~": "delete",
  "[1;5C": "word-right",
  "[1;5D": "word-left",
  "b": "word-left",
  "f": "word-right",
};

const CONTROLS: Record<number, EditKey> = {
  0x01: "home",
  0x02: "left",
  0x03: "interrupt",
  0x04: "eof",
  0x05: "end",
  0x06: "right",
  0x08: "backspace",
  0x0a: "enter",
  0x0b: "kill-end",
  0x0c: "redraw",
  0x0d: "enter",
  0x0e: "down",
  0x10: "up",
  0x15: "kill-start",
  0x17: "kill-word",
  0x7f: "backspace",
};

/** Decodes a chunk of terminal input into key presses; unknown sequences become `ignore`. */
export function decodeKeys(input: string): Key[] {
  const keys: Key[] = [];
  let text = "";
  const flush = () => {
    if (text !== "") keys.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code === 0x1b) {
      flush();
      // CSI/SS3: ESC [ or ESC O, parameters, then one final byte.
      const match = /^(\[[0-9;]*[~A-Za-z]|O[A-Za-z]|[bf])/.exec(
        input.slice(i + 1),
      );
      const sequence = match?.[1] ?? "";
      keys.push({ kind: ESCAPES[sequence] ?? "ignore" });
      i += sequence.length;
    } else if (code < 0x20 || code === 0x7f) {
      flush();
      // CR LF from a paste is one Enter.
      if (code === 0x0d && input.charCodeAt(i + 1) === 0x0a) i++;
      keys.push({ kind: CONTROLS[code] ?? "ignore" });
    } else {
      text += input[i];
    }
  }
  flush();
  return keys;
}

/** The line being typed, its cursor and the lines typed before. */
export interface EditorState {
  /** The line, as an array of code points. */
  chars: string[];
  /** Cursor position, as an index into `chars`. */
  cursor: number;
  /** Lines entered so far, oldest first. */
  history: string[];
  /** Position in `history` while browsing with up/down; `history.length` when not browsing. */
  historyIndex: number;
}

/** What a key press did beyond editing. */
export type EditorResult =
  | { kind: "edit" }
  | { kind: "submit"; line: string }
  | { kind: "eof" }
  | { kind: "interrupt" }
  | { kind: "redraw" };

/** An empty editor with no history. */
export function createEditor(): EditorState {
  return { chars: [], cursor: 0, history: [], historyIndex: 0 };
}

const HISTORY_LIMIT = 200;

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && char !== " ";
}

function wordStart(chars: string[], cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(chars[i - 1])) i--;
  while (i > 0 && isWordChar(chars[i - 1])) i--;
  return i;
}

function wordEnd(chars: string[], cursor: number): number {
  let i = cursor;
  while (i < chars.length && !isWordChar(chars[i])) i++;
  while (i < chars.length && isWordChar(chars[i])) i++;
  return i;
}

function recall(state: EditorState, index: number): void {
  state.historyIndex = index;
  state.chars = [...(state.history[index] ?? "")];
  state.cursor = state.chars.length;
}

/** Applies one key press to `state` (in place) and says whether a line was entered or input ended. */
export function applyKey(state: EditorState, key: Key): EditorResult {
  const { chars } = state;
  switch (key.kind) {
    case "text": {
      const inserted = [...key.text];
      chars.splice(state.cursor, 0, ...inserted);
      state.cursor += inserted.length;
      break;
    }
    case "enter": {
      const line = chars.join("");
      if (line.trim() !== "" && state.history.at(-1) !== line) {
        state.history.push(line);
        if (state.history.length > HISTORY_LIMIT) state.history.shift();
      }
      state.chars = [];
      state.cursor = 0;
      state.historyIndex = state.history.length;
      return { kind: "submit", line };
    }
    case "backspace":
      if (state.cursor > 0) chars.splice(--state.cursor, 1);
      break;
    case "delete":
      chars.splice(state.cursor, 1);
      break;
    case "eof":
      if (chars.length === 0) return { kind: "eof" };
      chars.splice(state.cursor, 1);
      break;
    case "left":
      state.cursor = Math.max(0, state.cursor - 1);
      break;
    case "right":
      state.cursor = Math.min(chars.length, state.cursor + 1);
      break;
    case "home":
      state.cursor = 0;
      break;
    case "end":
      state.cursor = chars.length;
      break;
    case "word-left":
      state.cursor = wordStart(chars, state.cursor);
      break;
    case "word-right":
      state.cursor = wordEnd(chars, state.cursor);
      break;
    case "kill-start":
      chars.splice(0, state.cursor);
      state.cursor = 0;
      break;
    case "kill-end":
      chars.splice(state.cursor);
      break;
    case "kill-word": {
      const start = wordStart(chars, state.cursor);
      chars.splice(start, state.cursor - start);
      state.cursor = start;
      break;
    }
    case "up":
      if (state.historyIndex > 0) recall(state, state.historyIndex - 1);
      break;
    case "down":
      if (state.historyIndex < state.history.length) {
        recall(state, state.historyIndex + 1);
      }
      break;
    case "interrupt":
      return { kind: "interrupt" };
    case "redraw":
      return { kind: "redraw" };
    case "ignore":
      break;
  }
  return { kind: "edit" };
}

/**
 * The escape sequence that redraws the prompt line: clear it, write the
 * prompt and as much of the line as fits in `columns` (scrolled so the
 * cursor stays visible), then put the cursor in place.
 */
export function drawPromptLine(
  prompt: string,
  state: EditorState,
  columns: number,
): string {
  const shownPrompt = [...prompt].slice(0, Math.max(0, Math.floor(columns / 2)))
    .join("");
  const promptWidth = [...shownPrompt].length;
  const room = Math.max(1, columns - promptWidth - 1);
  const start = state.cursor >= room ? state.cursor - room + 1 : 0;
  const visible = state.chars.slice(start, start + room).join("");
  const column = promptWidth + state.cursor - start;
  return `\r\x1b[2K${shownPrompt}${visible}\r${
    column > 0 ? `\x1b[${column}C` : ""
  }`;
}

const encoder = new TextEncoder();

function writeAll(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
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
  pump(Deno.stdin.readable, (text) => {
    for (const key of decodeKeys(text)) {
      const result = applyKey(editor, key);
      if (result.kind === "submit") queue.push(result.line);
      else if (result.kind === "eof" || result.kind === "interrupt") {
        queue.push(null);
      }
    }
    if (!closed) redraw();
  }, () => queue.push(null));

  return {
    interactive: true,
    print(line) {
      if (closed) writeAll(`${line}\n`);
      else {
        writeAll(
          `\r\x1b[2K${line}\r\n${drawPromptLine(prompt, editor, columns())}`,
        );
      }
    },
    setPrompt(next) {
      prompt = next;
      if (!closed) redraw();
    },
    ask(question) {
      this.setPrompt(question);
      return queue.next();
    },
    readLine: () => queue.next(),
    close() {
      if (closed) return;
      closed = true;
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
