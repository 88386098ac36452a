import {
  type InputAction,
  parseInput,
  TYPED_COMMANDS,
} from "../client/typed_commands.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

Deno.test("client input: plain text, chao and escapes", () => {
  const cases: [string, InputAction][] = [
    ["hello there", { kind: "say", text: "hello there" }],
    ["  spaced  ", { kind: "say", text: "  spaced  " }],
    ["", { kind: "none" }],
    ["   ", { kind: "none" }],
    ["chao", { kind: "quit", reason: "chao" }],
    [" Chao ", { kind: "quit", reason: "chao" }],
    ["chao amigos", { kind: "say", text: "chao amigos" }],
    ["//not a command", { kind: "say", text: "/not a command" }],
    ["a\0b", { kind: "say", text: "ab" }],
  ];
  for (const [line, expected] of cases) {
    assertEquals(parseInput(line), expected, line);
  }
});

Deno.test("client input: every command", () => {
  const cases: [string, InputAction][] = [
    ["/join #rust", { kind: "join", channel: "#rust" }],
    ["/join rust", { kind: "join", channel: "#rust" }],
    ["/JOIN #secret key", { kind: "join", channel: "#secret", key: "key" }],
    ["/part", { kind: "part" }],
    ["/part see you later", { kind: "part", reason: "see you later" }],
    ["/part #rust", { kind: "part", channel: "#rust" }],
    ["/part #rust bye all", {
      kind: "part",
      channel: "#rust",
      reason: "bye all",
    }],
    ["/msg bob hi there", { kind: "msg", target: "bob", text: "hi there" }],
    ["/msg #rust hi", { kind: "msg", target: "#rust", text: "hi" }],
    ["/query bob", { kind: "query", nick: "bob" }],
    ["/query", { kind: "query" }],
    ["/me waves", { kind: "me", text: "waves" }],
    ["/nick ana_", { kind: "nick", nick: "ana_" }],
    ["/names", { kind: "names" }],
    ["/topic", { kind: "topic" }],
    ["/topic Rust talk", { kind: "topic", text: "Rust talk" }],
    ["/topic #rust", { kind: "topic", channel: "#rust" }],
    ["/topic #rust Rust talk", {
      kind: "topic",
      channel: "#rust",
      text: "Rust talk",
    }],
    ["/list", { kind: "list" }],
    ["/whois bob", { kind: "whois", nick: "bob" }],
    ["/away", { kind: "away" }],
    ["/away lunch", { kind: "away", text: "lunch" }],
    ["/raw PRIVMSG bob :hi", { kind: "raw", line: "PRIVMSG bob :hi" }],
    ["/help", { kind: "help" }],
    ["/quit", { kind: "quit" }],
    ["/quit gone fishing", { kind: "quit", reason: "gone fishing" }],
  ];
  for (const [line, expected] of cases) {
    assertEquals(parseInput(line), expected, line);
  }
  // Every command listed in /help parses to something other than an unknown-command error.
  for (const name of Object.keys(TYPED_COMMANDS)) {
    const action = parseInput(`/${name} x y`);
    assertOk(
      action.kind !== "error" || !action.message.startsWith("Unknown"),
      name,
    );
  }
});

Deno.test("client input: mistakes get a hint", () => {
  const cases: [string, string][] = [
    ["/frobnicate", "Unknown command /frobnicate. Type /help"],
    ["/frobnicate", "//frobnicate"],
    ["/", "Unknown command"],
    ["/join", "Usage: /join #channel"],
    ["/join #a,b", "not a valid channel name"],
    ["/msg bob", "Usage: /msg nick text"],
    ["/msg", "Usage: /msg"],
    ["/msg 9x hi", "not a valid nickname"],
    ["/nick", "Usage: /nick"],
    ["/nick 1abc", "not a valid nickname"],
    ["/me", "Usage: /me"],
    ["/whois", "Usage: /whois"],
    ["/raw", "Usage: /raw"],
  ];
  for (const [line, expected] of cases) {
    const action = parseInput(line);
    assertOk(action.kind === "error", line);
    assertIncludes(action.message, expected);
  }
});
