/**
 * The cluster's pure parts, without Redis: reading a line's verb, which
 * verbs run on the origin node alone, snapshots of channels, and the shared
 * form of accounts.
 */

import { assertEquals, assertOk } from "./helpers/assert.ts";
import { decodeAccount, encodeAccount } from "../cluster/accounts.ts";
import {
  decodeBatch,
  decodeEntry,
  encodeBatch,
  encodeEntry,
  type Entry,
} from "../cluster/entries.ts";
import { redactUrl } from "../cluster/redis_log.ts";
import { ORIGIN_ONLY, READ_ONLY, verbOf } from "../cluster/origin_only.ts";
import { channelRecord, restoreChannel } from "../cluster/snapshot.ts";
import { COMMANDS } from "../server/commands.ts";
import {
  applyModeChange,
  claimNick,
  createChatState,
  createUser,
  joinChannel,
  parseModeChanges,
  type User,
} from "../server/state.ts";

Deno.test("verbOf skips tags and source and upper-cases the verb", () => {
  assertEquals(verbOf("privmsg #a :hi"), "PRIVMSG");
  assertEquals(verbOf("@label=x;+y=z :ana!a@h Names #a"), "NAMES");
  assertEquals(verbOf("  PING"), "PING");
  assertEquals(verbOf("@tags-only"), "");
  assertEquals(verbOf(""), "");
});

Deno.test("every origin-only verb is a real command, and read-only ones are origin-only", () => {
  for (const verb of ORIGIN_ONLY) assertOk(COMMANDS.has(verb), verb);
  for (const verb of READ_ONLY) assertOk(ORIGIN_ONLY.has(verb), verb);
  // What changes the state others see must run on every node.
  for (const verb of ["JOIN", "PRIVMSG", "MODE", "NICK", "QUIT", "KILL"]) {
    assertOk(!ORIGIN_ONLY.has(verb), verb);
  }
});

function member(state = createChatState(), nick: string): User {
  const user = createUser({
    host: "127.0.0.1",
    secure: false,
    outbox: { send: () => {} },
    now: 0,
  });
  claimNick(state, user, nick);
  user.registered = true;
  return user;
}

Deno.test("a channel record restores modes, topic, bans and members with their status", () => {
  const state = createChatState();
  const ana = member(state, "ana");
  const beto = member(state, "beto");
  joinChannel(state, ana, "#Plaza", undefined, 1000);
  joinChannel(state, beto, "#Plaza", undefined, 1000);
  const channel = state.channels.get("#plaza")!;
  channel.topic = { text: "hola", setter: "ana", setAt: 2000 };
  for (
    const change of parseModeChanges("+mkb", ["secret", "bad!*@*"]).changes
  ) {
    applyModeChange(state, channel, change, { nick: "ana", now: 3000 });
  }
  const ids = new Map<User, string>([[ana, "n1/a/1"], [beto, "n2/b/1"]]);
  const record = JSON.parse(
    JSON.stringify(channelRecord(channel, (user) => ids.get(user))),
  );

  const elsewhere = createChatState();
  const ana2 = member(elsewhere, "ana");
  const beto2 = member(elsewhere, "beto");
  const byId = new Map([["n1/a/1", ana2], ["n2/b/1", beto2]]);
  const { channel: copy, joined } = restoreChannel(
    elsewhere,
    record,
    (id) => byId.get(id),
  );
  assertEquals(joined, [ana2, beto2]);
  assertEquals(copy.name, "#Plaza");
  assertEquals(copy.topic, channel.topic);
  assertEquals(copy.modes.moderated, true);
  assertEquals(copy.modes.key, "secret");
  assertEquals(copy.members.get(ana2), { op: true, voice: false });
  assertEquals(copy.members.get(beto2), { op: false, voice: false });
  assertOk(copy.bans[0].matches(member(createChatState(), "bad")));
  assertOk(ana2.channels.get("#plaza") === copy);
  // Restoring again adds nobody twice.
  assertEquals(
    restoreChannel(elsewhere, record, (id) => byId.get(id)).joined,
    [],
  );
});

Deno.test("an account survives its shared form byte for byte", () => {
  const account = {
    name: "Ana",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    createdAt: 1234,
    scram: {
      salt: new Uint8Array([1, 2, 3, 250]),
      iterations: 4096,
      storedKey: new Uint8Array(32).fill(7),
      serverKey: new Uint8Array(32).fill(9),
    },
  };
  assertEquals(decodeAccount(encodeAccount(account)), account);
});

Deno.test("log entries survive their stream form; a user's line stays two short fields", () => {
  const line = {
    kind: "line",
    conn: "n1/ab/3",
    line: "PRIVMSG #a :hola",
    invalidUtf8: false,
  } as const;
  assertEquals(encodeEntry(line), ["c", "n1/ab/3", "l", "PRIVMSG #a :hola"]);
  assertEquals(decodeEntry(encodeEntry(line)), line);
  const bad = { ...line, invalidUtf8: true };
  assertEquals(decodeEntry(encodeEntry(bad)), bad);
  const quit = {
    kind: "quit",
    conn: "n2/cd/1",
    reason: "Ping timeout",
    announce: true,
  } as const;
  assertEquals(decodeEntry(encodeEntry(quit)), quit);
  assertEquals(decodeEntry(encodeEntry({ kind: "down", node: "n3" })), {
    kind: "down",
    node: "n3",
  });
  assertEquals(decodeEntry(["x", "y"]), undefined);
  assertEquals(decodeEntry(["t", "hello", "d", "{not json"]), undefined);
});

Deno.test("a Redis password never reaches the log", () => {
  assertEquals(
    redactUrl("redis://:s3cret@10.0.0.5:6379/2"),
    "redis://:***@10.0.0.5:6379/2",
  );
  assertEquals(
    redactUrl("rediss://tertulia:s3cret@redis.example:6380"),
    "rediss://tertulia:***@redis.example:6380",
  );
  assertEquals(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
});

Deno.test("a batch of entries is one stream entry and comes back in order; a lone one keeps its own form", () => {
  const entries: Entry[] = [
    { kind: "line", conn: "n1/a/1", line: "JOIN #a", invalidUtf8: false },
    { kind: "quit", conn: "n1/a/2", reason: "Quit", announce: true },
    { kind: "line", conn: "n1/a/1", line: "PRIVMSG #a :x", invalidUtf8: true },
  ];
  const fields = encodeBatch(entries.map((entry) => encodeEntry(entry)));
  assertEquals(fields[0], "b");
  assertEquals(fields.length, 2);
  assertEquals(decodeBatch(fields), entries);
  const lone = encodeBatch([encodeEntry(entries[0])]);
  assertEquals(lone, ["c", "n1/a/1", "l", "JOIN #a"]);
  assertEquals(decodeBatch(lone), [entries[0]]);
  assertEquals(decodeBatch(["b", "not json"]), []);
  assertEquals(
    decodeBatch([
      "b",
      JSON.stringify([["x"], ["t", "down", "d", '{"node":"n2"}']]),
    ]),
    [
      { kind: "down", node: "n2" },
    ],
  );
});
