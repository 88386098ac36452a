import { wrapLine } from "../client/wrap.ts";
import {
  type ClientEvent,
  describeReply,
  formatTime,
  nickColor,
  renderEvent,
  sanitize,
} from "../client/render.ts";
import { helpLines, TYPED_COMMANDS } from "../client/typed_commands.ts";
import { parseMessage } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

const time = new Date(2026, 0, 2, 9, 5);
const message = (
  fields: Partial<Extract<ClientEvent, { kind: "message" }>>,
): ClientEvent => ({
  kind: "message",
  time,
  from: "bob",
  target: "#general",
  text: "hello",
  self: false,
  private: false,
  action: false,
  notice: false,
  elsewhere: false,
  ...fields,
});
const plain = (event: ClientEvent) => renderEvent(event, { color: false });
const ESC = "\x1b";

Deno.test("client render: chat lines without colour", () => {
  const cases: [ClientEvent, string][] = [
    [message({}), "[09:05] bob: hello"],
    [message({ self: true, from: "ana" }), "[09:05] ana: hello"],
    [message({ elsewhere: true, target: "#rust" }), "[09:05] #rust bob: hello"],
    [message({ action: true, text: "waves" }), "[09:05] * bob waves"],
    [message({ private: true, target: "ana" }), "[09:05] (private) bob: hello"],
    [
      message({ private: true, self: true, from: "ana", target: "bob" }),
      "[09:05] (private to bob) ana: hello",
    ],
    [
      message({ private: true, action: true, text: "waves" }),
      "[09:05] (private) * bob waves",
    ],
    [message({ notice: true, from: "irc.test" }), "[09:05] -irc.test- hello"],
    [
      { kind: "join", time, nick: "bob", channel: "#general", self: false },
      "[09:05] → bob joined #general",
    ],
    [
      { kind: "join", time, nick: "ana", channel: "#general", self: true },
      "[09:05] → You joined #general",
    ],
    [
      {
        kind: "part",
        time,
        nick: "bob",
        channel: "#general",
        reason: "bye",
        self: false,
      },
      "[09:05] ← bob left #general (bye)",
    ],
    [
      { kind: "quit", time, nick: "bob", reason: "Quit: chao" },
      "[09:05] ← bob quit (Quit: chao)",
    ],
    [{ kind: "quit", time, nick: "bob" }, "[09:05] ← bob quit"],
    [
      {
        kind: "kick",
        time,
        nick: "ana",
        channel: "#general",
        by: "op",
        reason: "spam",
        self: true,
      },
      "[09:05] ← You were kicked from #general by op (spam)",
    ],
    [
      { kind: "nick", time, from: "bob", to: "robert", self: false },
      "[09:05] bob is now known as robert",
    ],
    [
      { kind: "nick", time, from: "ana", to: "anita", self: true },
      "[09:05] You are now known as anita",
    ],
    [
      {
        kind: "users",
        channel: "#general",
        users: [
          { nick: "ana", prefix: "@", away: false },
          { nick: "bob", prefix: "+", away: true },
          { nick: "carla", prefix: "", away: false },
        ],
      },
      "Users online (#general): @ana, +bob (away), carla",
    ],
    [
      { kind: "away", time, nick: "bob", reason: "lunch" },
      "[09:05] bob is away: lunch",
    ],
    [{ kind: "away", time, nick: "bob" }, "[09:05] bob is back"],
    [
      { kind: "presence", time, nick: "bob", online: true },
      "[09:05] bob is online",
    ],
    [
      { kind: "presence", time, nick: "bob", online: false },
      "[09:05] bob is offline",
    ],
    [
      { kind: "topic", time, channel: "#general", by: "bob", text: "Rust" },
      "[09:05] bob set the topic of #general to: Rust",
    ],
    [
      { kind: "invite", from: "bob", channel: "#secret" },
      "bob invites you to #secret (type /join #secret)",
    ],
    [{ kind: "error", text: "Oops" }, "Oops"],
    [{ kind: "status", text: "Connecting…" }, "Connecting…"],
  ];
  for (const [event, expected] of cases) {
    assertEquals(plain(event), [expected]);
  }
});

Deno.test("client render: colours — stable per nick, dim system lines, red errors", () => {
  const line = renderEvent(message({}), { color: true })[0];
  assertIncludes(line, `${ESC}[${nickColor("bob")}mbob${ESC}[0m: hello`);
  assertEquals(nickColor("Bob"), nickColor("bob"));
  const colours = new Set(
    ["ana", "bob", "carla", "dani", "eva", "fede", "gus"].map(nickColor),
  );
  assertOk(colours.size > 2, "different nicks get different colours");
  assertOk(!colours.has(31) && !colours.has(91), "red is kept for errors");
  const join = renderEvent(
    { kind: "join", time, nick: "bob", channel: "#g", self: false },
    { color: true },
  )[0];
  assertOk(join.startsWith(`${ESC}[2m`), "system lines are dim");
  const error = renderEvent(
    { kind: "reply", message: parseMessage(":srv 401 ana bob :No such nick") },
    { color: true },
  );
  assertEquals(error, [`${ESC}[31mNo such nick: bob${ESC}[0m`]);
  for (const event of [message({}), { kind: "error", text: "x" } as const]) {
    assertOk(!plain(event).join("").includes(ESC), "no escapes without colour");
  }
});

Deno.test("client render: text from the network cannot drive the terminal", () => {
  assertEquals(
    sanitize("\x02bold\x02 \x0304,01red\x03 \x1funder"),
    "bold red under",
  );
  assertEquals(sanitize("a\x1b[2Jb\x07c\td"), "a\uFFFD[2Jb\uFFFDc d");
  const line =
    plain(message({ from: "ev\x1bil", text: "\x1b]0;pwned\x07hi" }))[0];
  assertOk(!line.includes("\x1b") && !line.includes("\x07"), line);
});

Deno.test("client render: server errors become plain sentences", () => {
  const cases: [string, string | null, boolean][] = [
    [":s 401 ana bob :No such nick/channel", "No such nick: bob", true],
    [":s 403 ana #nope :No such channel", "No such channel: #nope", true],
    [":s 404 ana #g :Cannot send", "Cannot send to #g: Cannot send", true],
    [
      ":s 433 ana bob :Nickname is already in use",
      "Nickname already in use: bob",
      true,
    ],
    [":s 432 ana 9x :Erroneous nickname", "Invalid nickname: 9x", true],
    [":s 442 ana #g :You're not on that channel", "You are not on #g", true],
    [
      ":s 461 ana JOIN :Not enough parameters",
      "Not enough parameters for JOIN",
      true,
    ],
    [
      ":s 464 ana :Password incorrect",
      "Wrong server password (use --password).",
      true,
    ],
    [
      ":s 474 ana #g :Cannot join channel (+b)",
      "Cannot join #g: you are banned",
      true,
    ],
    [
      ":s 482 ana #g :You're not channel operator",
      "You need to be a channel operator on #g",
      true,
    ],
    [":s 499 ana X Y :Something odd", "X Y: Something odd", true],
    [":s 301 ana bob :lunch", "bob is away: lunch", false],
    [":s 317 ana bob 1 :seconds idle", "bob has been idle for 1 second", false],
    [
      ":s 317 ana bob 42 :seconds idle",
      "bob has been idle for 42 seconds",
      false,
    ],
    [
      ":s 306 ana :You have been marked as being away",
      "You are now marked as away.",
      false,
    ],
    [":s 311 ana bob ~b host * :Bob B", "bob is ~b@host (Bob B)", false],
    [":s 319 ana bob :@#general #rust ", "bob is on @#general #rust", false],
    [":s 322 ana #rust 3 :Rust talk", "#rust (3 users): Rust talk", false],
    [":s 322 ana #empty 1 :", "#empty (1 user)", false],
    [":s 332 ana #rust :Rust talk", "Topic for #rust: Rust talk", false],
    [":s 331 ana #rust :No topic", "No topic is set for #rust.", false],
    [":s 422 ana :MOTD File is missing", null, false],
    [":s 372 ana :- hello", null, false],
    [":s 002 ana :Your host", null, false],
  ];
  for (const [line, text, error] of cases) {
    const reply = describeReply(parseMessage(line));
    assertEquals(reply, text === null ? null : { error, text }, line);
  }
});

Deno.test("client render: help lists every command and the time is HH:MM", () => {
  const help = helpLines().join("\n");
  for (const name of Object.keys(TYPED_COMMANDS)) {
    assertIncludes(help, `/${name}`);
  }
  assertIncludes(help, "chao");
  assertEquals(formatTime(new Date(2026, 5, 1, 23, 7)), "23:07");
  assertEquals(formatTime(new Date(2026, 5, 1, 0, 0)), "00:00");
});

Deno.test("wrapLine: breaks at spaces, indents continuations, cuts only over-long words", () => {
  assertEquals(wrapLine("uno dos tres", 20), ["uno dos tres"]);
  assertEquals(wrapLine("uno dos tres cuatro", 9, 2), [
    "uno dos",
    "  tres",
    "  cuatro",
  ]);
  assertEquals(wrapLine("abcdefghij kl", 6), ["abcdef", "ghij", "kl"]);
  assertEquals(wrapLine("\x1b[1mmuy largo\x1b[0m fin", 4), [
    "\x1b[1mmuy\x1b[0m",
    "\x1b[1mlarg\x1b[0m",
    "\x1b[1mo\x1b[0m",
    "fin",
  ]);
});

Deno.test("wrapLine: wide characters take two columns; a long word after the indent is cut to fit", () => {
  assertEquals(wrapLine("漢字漢字 かな", 8), ["漢字漢字", "かな"]);
  for (const line of wrapLine("ab abcdefghijkl", 10, 6)) {
    assertOk(line.length <= 10, line);
  }
});
