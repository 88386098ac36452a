import { assertEquals } from "./helpers/assert.ts";
import {
  casefold,
  CHANNELLEN,
  isChannelName,
  isValidChannel,
  isValidNick,
  NICKLEN,
} from "../protocol.ts";

Deno.test("casefold folds ASCII letters only", () => {
  assertEquals(casefold("NiCk[]\\~"), "nick[]\\~");
  assertEquals(casefold("#General"), "#general");
  assertEquals(casefold("ÉLAN"), "Élan");
});

Deno.test("nickname rules", async (t) => {
  const cases: [string, boolean][] = [
    ["alice", true],
    ["Bob_", true],
    ["[away]", true],
    ["a-1", true],
    ["`x^{|}", true],
    ["x".repeat(NICKLEN), true],
    ["x".repeat(NICKLEN + 1), false],
    ["", false],
    ["1abc", false],
    ["-abc", false],
    ["a b", false],
    ["a,b", false],
    ["a!b", false],
    ["a@b", false],
    ["#chan", false],
    [":x", false],
    ["a*", false],
    ["ñ", false],
  ];
  for (const [nick, valid] of cases) {
    await t.step(
      JSON.stringify(nick),
      () => assertEquals(isValidNick(nick), valid),
    );
  }
});

Deno.test("channel name rules", async (t) => {
  const cases: [string, boolean][] = [
    ["#general", true],
    ["#café", true],
    ["#a.b-c_[1]", true],
    ["#" + "x".repeat(CHANNELLEN - 1), true],
    ["#" + "x".repeat(CHANNELLEN), false],
    ["#", false],
    ["general", false],
    ["&local", false],
    ["#a b", false],
    ["#a,b", false],
    ["#a\x07b", false],
  ];
  for (const [name, valid] of cases) {
    await t.step(
      JSON.stringify(name),
      () => assertEquals(isValidChannel(name), valid),
    );
  }
  assertEquals(isChannelName("#x"), true);
  assertEquals(isChannelName("nick"), false);
  assertEquals(isChannelName(""), false);
});
