/**
 * The line editor behind the terminal prompt, as pure functions: decoding
 * key presses, applying them to the line being typed (with history and Tab
 * completion), and drawing the prompt line to fit the screen width.
 *
 * @module
 */

/** Completes a word: given the start of it, returns the whole word or `null`. */
export type Completer = (prefix: string) => string | null;

/** A key press other than typed text. */
export type EditKey =
  | "enter"
  | "tab"
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
  0x09: "tab",
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

/**
 * Splits terminal input into what can be decoded now and an escape
 * sequence cut off at the end of the chunk (kept for the next chunk).
 */
export function splitUnfinishedEscape(input: string): [string, string] {
  // deno-lint-ignore no-control-regex
  const match = /\x1b(?:\[[0-9;]*|O)?$/.exec(input);
  return match === null
    ? [input, ""]
    : [input.slice(0, match.index), input.slice(match.index)];
}

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
  /** Hidden input (a password): not drawn, not remembered, no Tab or history. */
  secret: boolean;
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
  return { chars: [], cursor: 0, history: [], historyIndex: 0, secret: false };
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

/**
 * Applies one key press to `state` (in place) and says whether a line was
 * entered or input ended. Tab asks `complete` to finish the word before the
 * cursor; a nick completed at the start of the line gets `: ` after it.
 */
export function applyKey(
  state: EditorState,
  key: Key,
  complete: Completer = () => null,
): EditorResult {
  const { chars } = state;
  if (state.secret && ["tab", "up", "down"].includes(key.kind)) {
    return { kind: "edit" };
  }
  switch (key.kind) {
    case "tab": {
      const start = wordStart(chars, state.cursor);
      const prefix = chars.slice(start, state.cursor).join("");
      const word = prefix === "" ? null : complete(prefix);
      if (word === null) break;
      const atStart = start === 0 && !word.startsWith("/") &&
        !word.startsWith("#");
      const inserted = [...word, ...(atStart ? ": " : " ")];
      chars.splice(start, state.cursor - start, ...inserted);
      state.cursor = start + inserted.length;
      break;
    }
    case "text": {
      const inserted = [...key.text];
      chars.splice(state.cursor, 0, ...inserted);
      state.cursor += inserted.length;
      break;
    }
    case "enter": {
      const line = chars.join("");
      if (
        !state.secret && line.trim() !== "" && state.history.at(-1) !== line
      ) {
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

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\ufe00-\ufe0f]$/u;

/** Columns a character takes on a terminal: 0 for combining marks, 2 for wide East Asian characters and emoji, else 1. */
export function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (ZERO_WIDTH.test(char)) return 0;
  const wide = (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
  return wide ? 2 : 1;
}

function width(chars: string[]): number {
  return chars.reduce((total, char) => total + charWidth(char), 0);
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
  const promptChars = [...prompt];
  while (promptChars.length > 0 && width(promptChars) > columns / 2) {
    promptChars.pop();
  }
  const promptWidth = width(promptChars);
  if (state.secret) return `\r\x1b[2K${promptChars.join("")}`;
  const room = Math.max(2, columns - promptWidth - 1);
  const { chars, cursor } = state;
  let start = 0;
  while (start < cursor && width(chars.slice(start, cursor)) > room - 1) {
    start++;
  }
  let end = start;
  let used = 0;
  while (end < chars.length && used + charWidth(chars[end]) <= room) {
    used += charWidth(chars[end]);
    end++;
  }
  const column = promptWidth + width(chars.slice(start, cursor));
  return `\r\x1b[2K${promptChars.join("")}${
    chars.slice(start, end).join("")
  }\r${column > 0 ? `\x1b[${column}C` : ""}`;
}
