/**
 * Word wrapping of screen lines for the terminal's width. ANSI colour codes
 * take no room, and a colour that spans a break is closed at the end of
 * one line and reopened on the next, so nothing else is painted. Pure.
 *
 * @module
 */

import { charWidth } from "./editor.ts";

// deno-lint-ignore no-control-regex
const SGR = /\x1b\[[0-9;]*m/y;
const RESET = "\x1b[0m";

/** One printable character or one colour code of a line. */
interface Piece {
  text: string;
  /** Whether it is a colour code. */
  code: boolean;
  /** Columns it takes: 0 for a colour code, 2 for a wide character. */
  width: number;
}

function pieces(line: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  while (at < line.length) {
    SGR.lastIndex = at;
    const code = SGR.exec(line);
    if (code !== null) {
      out.push({ text: code[0], code: true, width: 0 });
      at += code[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(at)!);
    out.push({ text: char, code: false, width: charWidth(char) });
    at += char.length;
  }
  return out;
}

/** The colour codes still in force at the end of `kept`. */
function openCodes(kept: Piece[]): string[] {
  let open: string[] = [];
  for (const piece of kept) {
    if (!piece.code) continue;
    if (piece.text === RESET || piece.text === "\x1b[m") open = [];
    else open.push(piece.text);
  }
  return open;
}

const join = (list: Piece[]) => list.map((piece) => piece.text).join("");
const columns = (list: Piece[]) =>
  list.reduce((total, piece) => total + piece.width, 0);

/**
 * Breaks `line` into lines of at most `width` columns, at spaces
 * where it can (a word longer than a whole line is cut). Lines after the
 * first start with `indent` spaces. A `width` too small to hold the indent
 * and a wide character leaves the line as it is.
 */
export function wrapLine(line: string, width: number, indent = 0): string[] {
  const all = pieces(line);
  if (
    width <= indent + 2 || columns(all) <= width
  ) return [line];
  const lines: string[] = [];
  let current: Piece[] = [];
  let visible = 0;
  /** Index in `current` of the last space after some text: where the line may break. */
  let lastSpace = -1;
  let start = 0;

  /** Ends the line at `current[end]`, dropping `skip` pieces (the space broken at). */
  const breakAt = (end: number, skip: number) => {
    const kept = current.slice(0, end);
    const open = openCodes(kept);
    lines.push(join(kept).trimEnd() + (open.length > 0 ? RESET : ""));
    const rest = current.slice(end + skip);
    const prefix: Piece[] = [
      { text: " ".repeat(indent), code: false, width: indent },
      ...open.map((text) => ({ text, code: true, width: 0 })),
    ];
    current = [...prefix, ...rest];
    start = prefix.length;
    visible = columns(current);
    lastSpace = -1;
    // The indent may push what was carried over past the width: cut it.
    while (visible > width) {
      let end = start;
      let used = columns(current.slice(0, start));
      while (end < current.length && used + current[end].width <= width) {
        used += current[end++].width;
      }
      if (end === start) return;
      breakAt(end, 0);
    }
  };

  for (const piece of all) {
    current.push(piece);
    if (piece.code) continue;
    visible += piece.width;
    const isSpace = piece.text === " ";
    if (visible > width) {
      if (isSpace) breakAt(current.length - 1, 1);
      else if (lastSpace !== -1) breakAt(lastSpace, 1);
      else breakAt(current.length - 1, 0);
    } else if (isSpace && current.length - 1 > start) {
      lastSpace = current.length - 1;
    }
  }
  if (current.slice(start).some((piece) => !piece.code && piece.text !== " ")) {
    lines.push(join(current));
  }
  return lines;
}
