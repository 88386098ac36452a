/**
 * The wire form of replayed history for each capability set, and parsing of
 * CHATHISTORY message references. Pure functions, no sockets.
 */

import { parseMessage } from "../protocol.ts";
import { assertEquals } from "./helpers/assert.ts";
import type { HistoryLine } from "../server/history.ts";
import { formatHistoryTime, formatReplay } from "../server/replay.ts";
import { parseHistoryRef } from "../server/handlers/chathistory.ts";

const T0 = Date.UTC(2026, 10, 25, 14, 3, 12, 345);
const LINES: HistoryLine[] = [
  {
    msgid: "m1",
    time: T0,
    target: "#t",
    source: "ana!a@h",
    command: "PRIVMSG",
    text: "hola a todos",
  },
  {
    msgid: "m2",
    time: T0 + 1000,
    target: "#t",
    source: "bea!b@h",
    command: "PRIVMSG",
    text: "\x01ACTION waves\x01",
  },
  {
    msgid: "m3",
    time: T0 + 2000,
    target: "#t",
    source: "bot!b@h",
    command: "NOTICE",
    text: "a notice",
  },
];

function format(caps: string[], lines = LINES): string[] {
  return formatReplay(lines, {
    caps: new Set(caps),
    serverName: "irc.test",
    target: "#T",
    batchRef: "h1",
  });
}

Deno.test("batch and server-time: a chathistory batch with original times and msgids", () => {
  assertEquals(format(["batch", "server-time"]), [
    ":irc.test BATCH +h1 chathistory #T",
    "@batch=h1;time=2026-11-25T14:03:12.345Z;msgid=m1 :ana!a@h PRIVMSG #T :hola a todos",
    "@batch=h1;time=2026-11-25T14:03:13.345Z;msgid=m2 :bea!b@h PRIVMSG #T :\x01ACTION waves\x01",
    "@batch=h1;time=2026-11-25T14:03:14.345Z;msgid=m3 :bot!b@h NOTICE #T :a notice",
    ":irc.test BATCH -h1",
  ]);
});

Deno.test("no caps: ordinary lines between notices, each marked with its UTC time", () => {
  assertEquals(format([]), [
    ":irc.test NOTICE #T :Replaying the last 3 messages of #T; times are UTC",
    ":ana!a@h PRIVMSG #T :[2026-11-25 14:03:12 UTC] hola a todos",
    ":bea!b@h PRIVMSG #T :\x01ACTION [2026-11-25 14:03:13 UTC] waves\x01",
    ":bot!b@h NOTICE #T :[2026-11-25 14:03:14 UTC] a notice",
    ":irc.test NOTICE #T :End of history of #T",
  ]);
});

Deno.test("server-time without batch: original time tags, text untouched", () => {
  const out = format(["server-time", "message-tags"]);
  assertEquals(out.length, 5);
  const first = parseMessage(out[1]);
  assertEquals(first.tags, { time: "2026-11-25T14:03:12.345Z", msgid: "m1" });
  assertEquals(first.params, ["#T", "hola a todos"]);
});

Deno.test("batch without server-time is not enough for a batch", () => {
  assertEquals(
    format(["batch"])[0],
    ":irc.test NOTICE #T :Replaying the last 3 messages of #T; times are UTC",
  );
});

Deno.test("no lines: nothing, unless a framed answer is asked for", () => {
  assertEquals(format(["batch", "server-time"], []), []);
  assertEquals(
    formatReplay([], {
      caps: new Set(["batch", "server-time"]),
      serverName: "irc.test",
      target: "#T",
      batchRef: "h2",
      framedWhenEmpty: true,
    }),
    [":irc.test BATCH +h2 chathistory #T", ":irc.test BATCH -h2"],
  );
});

Deno.test("a long line with its time marker is cut to fit, not dropped", () => {
  const long = { ...LINES[0], text: "é".repeat(300) };
  const [, line] = format([], [long]);
  assertEquals(new TextEncoder().encode(line).length <= 510, true);
  assertEquals(
    line.startsWith(":ana!a@h PRIVMSG #T :[2026-11-25 14:03:12 UTC] é"),
    true,
  );
});

Deno.test("formatHistoryTime writes UTC to the second", () => {
  assertEquals(formatHistoryTime(T0), "2026-11-25 14:03:12 UTC");
});

Deno.test("CHATHISTORY references: msgid, timestamp, * only for LATEST, junk refused", () => {
  assertEquals(parseHistoryRef("msgid=abc", false), { msgid: "abc" });
  assertEquals(parseHistoryRef("timestamp=2026-11-25T14:03:12.345Z", false), {
    time: T0,
  });
  assertEquals(parseHistoryRef("*", true), undefined);
  assertEquals(parseHistoryRef("*", false), null);
  assertEquals(parseHistoryRef("timestamp=yesterday", false), null);
  assertEquals(parseHistoryRef("msgid=", false), null);
  assertEquals(parseHistoryRef("=x", false), null);
  assertEquals(parseHistoryRef("id=x", false), null);
});
