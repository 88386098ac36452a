import {
  applyKey,
  charWidth,
  createEditor,
  decodeKeys,
  drawPromptLine,
  type EditorResult,
  type EditorState,
  splitUnfinishedEscape,
} from "../client/editor.ts";
import { assertEquals } from "./helpers/assert.ts";

/** Types `input` (raw terminal bytes as a string) into `state`; returns the non-edit results. */
function type(state: EditorState, input: string): EditorResult[] {
  return decodeKeys(input).map((key) => applyKey(state, key)).filter((
    result,
  ) => result.kind !== "edit");
}

const line = (state: EditorState) => state.chars.join("");

Deno.test("client editor: key decoding", () => {
  assertEquals(decodeKeys("hé\x1b[D\x7f\r"), [
    { kind: "text", text: "hé" },
    { kind: "left" },
    { kind: "backspace" },
    { kind: "enter" },
  ]);
  assertEquals(decodeKeys("\x1b[3~\x1bOH\x1b[F\x1b[1;5D\x1b[99Z\x03\x04"), [
    { kind: "delete" },
    { kind: "home" },
    { kind: "end" },
    { kind: "word-left" },
    { kind: "ignore" },
    { kind: "interrupt" },
    { kind: "eof" },
  ]);
  assertEquals(decodeKeys("a\r\nb\r"), [
    { kind: "text", text: "a" },
    { kind: "enter" },
    { kind: "text", text: "b" },
    { kind: "enter" },
  ]);
});

Deno.test("client editor: editing a line", () => {
  const state = createEditor();
  type(state, "helo world");
  type(state, "\x1b[D".repeat(7)); // cursor after "hel"
  type(state, "l");
  assertEquals(line(state), "hello world");
  type(state, "\x05\x17"); // end, delete word
  assertEquals(line(state), "hello ");
  type(state, "\x01\x1b[3~"); // home, delete
  assertEquals(line(state), "ello ");
  type(state, "\x0b"); // kill to end
  assertEquals(line(state), "");
  type(state, "ñandú\x7f\x7fu");
  assertEquals([line(state), state.cursor], ["ñanu", 4]);
  type(state, "\x15");
  assertEquals([line(state), state.cursor], ["", 0]);
});

Deno.test("client editor: enter, history, Ctrl-D and Ctrl-C", () => {
  const state = createEditor();
  assertEquals(type(state, "first\rsecond\r"), [
    { kind: "submit", line: "first" },
    { kind: "submit", line: "second" },
  ]);
  assertEquals(line(state), "");
  type(state, "\x1b[A");
  assertEquals(line(state), "second");
  type(state, "\x1b[A\x1b[A");
  assertEquals(line(state), "first");
  type(state, "\x1b[B\x1b[B");
  assertEquals(line(state), "");
  type(state, "abc\x01");
  assertEquals(type(state, "\x04"), [], "Ctrl-D on a non-empty line deletes");
  assertEquals(line(state), "bc");
  assertEquals(type(state, "\x03"), [{ kind: "interrupt" }]);
  type(state, "\x05\x15");
  assertEquals(type(state, "\x04"), [{ kind: "eof" }]);
});

Deno.test("client editor: the prompt line is cleared, redrawn and scrolled to the cursor", () => {
  const state = createEditor();
  type(state, "hello");
  assertEquals(
    drawPromptLine("#g> ", state, 80),
    "\r\x1b[2K#g> hello\r\x1b[9C",
  );
  type(state, "\x01");
  assertEquals(
    drawPromptLine("#g> ", state, 80),
    "\r\x1b[2K#g> hello\r\x1b[4C",
  );
  const long = createEditor();
  type(long, "0123456789abcdefghij");
  // 20 columns: 4 for the prompt, 15 for text, one spare for the cursor.
  assertEquals(
    drawPromptLine("#g> ", long, 20),
    "\r\x1b[2K#g> 6789abcdefghij\r\x1b[18C",
  );
  type(long, "\x01");
  assertEquals(
    drawPromptLine("#g> ", long, 20),
    "\r\x1b[2K#g> 0123456789abcde\r\x1b[4C",
  );
});

Deno.test("client editor: Tab completes the word before the cursor", () => {
  const nicks = ["bob", "carla"];
  const complete = (prefix: string) =>
    nicks.find((nick) => nick.startsWith(prefix)) ?? null;
  const state = createEditor();
  const press = (input: string) => {
    for (const key of decodeKeys(input)) applyKey(state, key, complete);
  };
  press("bo\t");
  assertEquals([line(state), state.cursor], ["bob: ", 5]);
  press("hola car\t");
  assertEquals(line(state), "bob: hola carla ");
  press("zz\t");
  assertEquals(line(state), "bob: hola carla zz", "no match: unchanged");
  const fresh = createEditor();
  applyKey(fresh, { kind: "tab" }, complete);
  assertEquals(line(fresh), "", "nothing to complete on an empty line");
});

Deno.test("client editor: wide characters take two columns", () => {
  assertEquals(
    [
      charWidth("a"),
      charWidth("ñ"),
      charWidth("日"),
      charWidth("😀"),
      charWidth("\u0301"),
    ],
    [1, 1, 2, 2, 0],
  );
  const state = createEditor();
  applyKey(state, { kind: "text", text: "日本語" });
  assertEquals(drawPromptLine("> ", state, 80), "\r\x1b[2K> 日本語\r\x1b[8C");
  // 10 columns: 2 for the prompt, 7 for text; the cursor needs one of them.
  applyKey(state, { kind: "text", text: "です" });
  assertEquals(drawPromptLine("> ", state, 10), "\r\x1b[2K> 語です\r\x1b[8C");
});

Deno.test("client editor: an escape sequence cut between two reads waits for the rest", () => {
  assertEquals(splitUnfinishedEscape("ab\x1b["), ["ab", "\x1b["]);
  assertEquals(splitUnfinishedEscape("ab\x1b[1;5"), ["ab", "\x1b[1;5"]);
  assertEquals(splitUnfinishedEscape("\x1bO"), ["", "\x1bO"]);
  assertEquals(splitUnfinishedEscape("ab\x1b[D"), ["ab\x1b[D", ""]);
  assertEquals(splitUnfinishedEscape("plain"), ["plain", ""]);
  const [now, later] = splitUnfinishedEscape("x\x1b[");
  assertEquals(decodeKeys(now), [{ kind: "text", text: "x" }]);
  assertEquals(decodeKeys(later + "D"), [{ kind: "left" }]);
});

Deno.test("client editor: hidden input is not drawn, not remembered, and ignores Tab and history", () => {
  const state = createEditor();
  applyKey(state, { kind: "text", text: "old line" });
  applyKey(state, { kind: "enter" });
  state.secret = true;
  for (const key of decodeKeys("s3cr3t\t\x1b[A")) {
    applyKey(state, key, () => "completed");
  }
  assertEquals(drawPromptLine("Password: ", state, 80), "\r\x1b[2KPassword: ");
  assertEquals(applyKey(state, { kind: "enter" }), {
    kind: "submit",
    line: "s3cr3t",
  });
  assertEquals(state.history, ["old line"]);
});
