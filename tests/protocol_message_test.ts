import { assertEquals, assertThrows } from "./helpers/assert.ts";
import {
  escapeTagValue,
  MAX_LINE_BYTES,
  MAX_TAGS_BYTES,
  type Message,
  MessageError,
  parseMessage,
  serializeMessage,
  unescapeTagValue,
} from "../protocol.ts";

const message = (
  command: string,
  params: string[] = [],
  extra: Partial<Message> = {},
): Message => ({ tags: {}, command, params, ...extra });

Deno.test("parseMessage splits lines into atoms", async (t) => {
  const cases: [string, Message][] = [
    ["PING", message("PING")],
    ["privmsg #a :hi there", message("privmsg", ["#a", "hi there"])],
    [":nick!u@h PRIVMSG #a :", {
      ...message("PRIVMSG", ["#a", ""]),
      source: "nick!u@h",
    }],
    ["MODE #a  +o   bob  ", message("MODE", ["#a", "+o", "bob"])],
    ["PRIVMSG #a ::-)", message("PRIVMSG", ["#a", ":-)"])],
    ["001 me :Welcome", message("001", ["me", "Welcome"])],
    ["@a=b;c;d=x\\sy\\:z :s CMD p", {
      ...message("CMD", ["p"]),
      source: "s",
      tags: { a: "b", c: "", d: "x y;z" },
    }],
    ["@a=1;a=2 CMD", message("CMD", [], { tags: { a: "2" } })],
    [
      "@+example.com/x=\\\\ CMD",
      message("CMD", [], {
        tags: { "+example.com/x": "\\" },
      }),
    ],
    ["@a=trailing\\ CMD", message("CMD", [], { tags: { a: "trailing" } })],
    ["@a=\\q CMD", message("CMD", [], { tags: { a: "q" } })],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => assertEquals(parseMessage(line), expected));
  }
});

Deno.test("parseMessage rejects malformed lines with a MessageError code", async (t) => {
  const cases: [string, string][] = [
    ["", "empty"],
    ["    ", "empty"],
    ["@a=b", "no-command"],
    [":source", "no-command"],
    ["@a=b :source", "no-command"],
    ["PR!VMSG x", "bad-command"],
    ["12 x", "bad-command"],
    ["1234 x", "bad-command"],
    ["PRIVMSG #a :a\0b", "forbidden-character"],
    ["PRIVMSG #a :a\rb", "forbidden-character"],
    ["@b!d=1 CMD", "bad-tag"],
    ["@=x CMD", "bad-tag"],
  ];
  for (const [line, code] of cases) {
    await t.step(JSON.stringify(line), () => {
      const error = assertThrows(() => parseMessage(line), MessageError);
      assertEquals(error.code, code);
    });
  }
});

Deno.test("serializeMessage writes the minimal correct form", async (t) => {
  const cases: [Message, string][] = [
    [message("PING"), "PING"],
    [message("PRIVMSG", ["#a", "hi"]), "PRIVMSG #a hi"],
    [message("PRIVMSG", ["#a", "hi there"]), "PRIVMSG #a :hi there"],
    [message("PRIVMSG", ["#a", ""]), "PRIVMSG #a :"],
    [message("PRIVMSG", ["#a", ":)"]), "PRIVMSG #a ::)"],
    [message("JOIN", ["#a"], { source: "n!u@h" }), ":n!u@h JOIN #a"],
    [
      message("TAGMSG", ["#a"], { tags: { "+typing": "active", msgid: "" } }),
      "@+typing=active;msgid TAGMSG #a",
    ],
    [
      message("X", [], { tags: { a: "; \\\r\n" } }),
      "@a=\\:\\s\\\\\\r\\n X",
    ],
  ];
  for (const [input, expected] of cases) {
    await t.step(
      expected,
      () => assertEquals(serializeMessage(input), expected),
    );
  }
});

Deno.test("serializeMessage refuses anything that would corrupt the frame", async (t) => {
  const long = "x".repeat(MAX_LINE_BYTES);
  const cases: [string, Message, string][] = [
    [
      "CR in trailing",
      message("PRIVMSG", ["#a", "hi\r\nQUIT"]),
      "forbidden-character",
    ],
    ["LF in middle", message("PRIVMSG", ["#a\n", "hi"]), "forbidden-character"],
    [
      "NUL in source",
      message("PING", [], { source: "a\0" }),
      "forbidden-character",
    ],
    [
      "NUL in tag",
      message("PING", [], { tags: { a: "\0" } }),
      "forbidden-character",
    ],
    ["empty middle", message("MODE", ["", "+o"]), "bad-param"],
    ["colon middle", message("MODE", [":x", "+o"]), "bad-param"],
    ["space middle", message("MODE", ["a b", "+o"]), "bad-param"],
    ["space in source", message("PING", [], { source: "a b" }), "bad-param"],
    ["bad command", message("PRIV MSG"), "bad-command"],
    ["bad tag key", message("PING", [], { tags: { "a b": "1" } }), "bad-tag"],
    ["body too long", message("PRIVMSG", ["#a", long]), "line-too-long"],
    [
      "tags too long",
      message("PING", [], { tags: { a: "x".repeat(MAX_TAGS_BYTES) } }),
      "tags-too-long",
    ],
  ];
  for (const [name, input, code] of cases) {
    await t.step(name, () => {
      const error = assertThrows(() => serializeMessage(input), MessageError);
      assertEquals(error.code, code);
    });
  }
});

Deno.test("a body of exactly 510 bytes fits, 511 does not", () => {
  const prefix = "PRIVMSG #a :";
  // Two-byte characters: the limit is in bytes, not UTF-16 units.
  const fits = "é ".repeat((510 - prefix.length) / 3) + "x".repeat(
    (510 - prefix.length) % 3,
  );
  assertEquals(
    serializeMessage(message("PRIVMSG", ["#a", fits])).length > 0,
    true,
  );
  const error = assertThrows(
    () => serializeMessage(message("PRIVMSG", ["#a", fits + "x"])),
    MessageError,
  );
  assertEquals(error.code, "line-too-long");
});

Deno.test("tag value escaping round-trips", () => {
  for (const value of ["", "plain", "a;b c\\d\re\nf", "\\", ";;", "  "]) {
    assertEquals(unescapeTagValue(escapeTagValue(value)), value);
  }
});
