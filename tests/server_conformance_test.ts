/**
 * Conformance with what irctest (the public IRC server test suite) checks:
 * exact numerics and parameters for edge cases, bans, LUSERS counts, WHO
 * masks, LIST filters, multi-target KICK, ISUPPORT shape and tag limits.
 */

import { assertEquals, assertOk } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import type { Message } from "../protocol.ts";
import { COMMANDS } from "../server/commands.ts";
import { HELP_TOPICS } from "../server/handlers/help.ts";

async function inChannel(
  t: TestServer,
  nick: string,
  channel = "#chan",
): Promise<IrcClient> {
  const client = await t.client(nick);
  await client.send(`JOIN ${channel}`);
  await client.waitFor("366");
  return client;
}

/** Sends `line`, waits until it was handled, and returns the replies (what came before the sync PONG). */
async function answers(client: IrcClient, line: string): Promise<Message[]> {
  await client.sync();
  const start = client.messages.length;
  await client.send(line);
  await client.sync();
  const received = client.messages.slice(start);
  return received.slice(0, received.findLastIndex((m) => m.command === "PONG"));
}

const LONG_TAG = "a".repeat(4081);

/**
 * One line from an operator of #chan, the replies it must get, and the
 * parameters (after the nick) of the first.
 */
const ERROR_CASES: { line: string; replies: string[]; params: string[] }[] = [
  {
    line: "MODE #chan +k :passphrase with spaces",
    replies: ["696"],
    params: ["#chan", "k", "*"],
  },
  { line: "MODE #chan +k :", replies: ["696"], params: ["#chan", "k", "*"] },
  {
    line: `MODE #chan +k ${"long".repeat(100)}`,
    replies: ["696"],
    params: ["#chan", "k", "*"],
  },
  { line: "MODE #chan +l :", replies: ["696"], params: ["#chan", "l", "*"] },
  {
    line: "MODE #chan +l abc",
    replies: ["696"],
    params: ["#chan", "l", "abc"],
  },
  { line: "MODE #chan +l 0", replies: ["696"], params: ["#chan", "l", "0"] },
  { line: "MODE #chan +l", replies: ["461"], params: ["MODE"] },
  { line: "MODE #chan +o", replies: ["461"], params: ["MODE"] },
  { line: "MODE #chan +o :", replies: ["401"], params: ["*"] },
  { line: "MODE #nowhere +o op", replies: ["403"], params: ["#nowhere"] },
  { line: "JOIN :#a b", replies: ["403"], params: ["*"] },
  {
    line: `JOIN #${"b".repeat(50)}`,
    replies: ["403"],
    params: [`#${"b".repeat(50)}`],
  },
  {
    line: `NICK ${"b".repeat(35)}`,
    replies: ["432"],
    params: ["b".repeat(35)],
  },
  { line: "NICK :a b", replies: ["432"], params: ["*"] },
  { line: "WHOIS :a b", replies: ["401", "318"], params: ["*"] },
  { line: "PART :#a b", replies: ["403"], params: ["*"] },
  { line: "CAP :a b", replies: ["410"], params: ["*"] },
  { line: "PING", replies: ["461"], params: ["PING"] },
  { line: "FOOBAR x", replies: ["421"], params: ["FOOBAR"] },
  { line: "PRIVMSG ,,ghost, :hi", replies: ["401"], params: ["ghost"] },
  { line: "PRIVMSG ,, :hi", replies: ["411"], params: [] },
  { line: "HELP NOSUCHTHING", replies: ["524"], params: ["NOSUCHTHING"] },
  { line: "OPER admin secret", replies: ["491"], params: [] },
  { line: "OPER admin", replies: ["461"], params: ["OPER"] },
  { line: "NAMES #nowhere", replies: ["366"], params: ["#nowhere"] },
  { line: "KICK #chan,#other op", replies: ["461"], params: ["KICK"] },
  { line: "KICK #nowhere op", replies: ["403"], params: ["#nowhere"] },
  {
    line: `@+clientOnlyTagExample=${"a".repeat(4096)} PRIVMSG #chan hi!`,
    replies: ["417"],
    params: [],
  },
];

Deno.test("edge-case commands get their exact numeric, never 400 ERR_UNKNOWNERROR", async () => {
  await using t = await startTestServer();
  const op = await inChannel(t, "op");
  for (const { line, replies: expected, params } of ERROR_CASES) {
    const replies = await answers(op, line);
    assertEquals(
      replies.map((m) => m.command),
      expected,
      `replies to ${line.slice(0, 60)}`,
    );
    assertEquals(
      replies[0].params.slice(1, 1 + params.length),
      params,
      `parameters of the reply to ${line.slice(0, 60)}`,
    );
  }
});

Deno.test("USER with an empty username or real name gets 461 and registration waits for a proper one", async () => {
  await using t = await startTestServer();
  const client = await t.connect();
  await client.send("NICK foo");
  await client.send("USER username * * :");
  assertEquals((await client.waitFor("461")).params, [
    "foo",
    "USER",
    "Not enough parameters",
  ]);
  await client.send("USER username * * :Real Name");
  await client.waitFor("001");
  await client.send("WHOIS foo");
  assertEquals((await client.waitFor("311")).params.at(-1), "Real Name");
});

Deno.test("bans: +b blocks JOIN (474) and speech, lists with 367/368, -b matches any case, INVITE overrides", async () => {
  await using t = await startTestServer();
  const op = await inChannel(t, "chanop");
  await op.send("MODE #chan +b bar");
  assertEquals((await op.waitFor("MODE")).params, ["#chan", "+b", "bar!*@*"]);
  const bar = await t.client("Bar");
  await bar.send("JOIN #chan");
  assertEquals((await bar.waitFor("474")).params.slice(0, 2), [
    "Bar",
    "#chan",
  ]);
  await op.send("MODE #chan b");
  const entry = await op.waitFor("367");
  assertEquals(entry.params.slice(0, 4), [
    "chanop",
    "#chan",
    "bar!*@*",
    "chanop",
  ]);
  assertOk(/^\d+$/.test(entry.params[4]), entry.params.join(" "));
  await op.waitFor("368");
  await op.send("MODE #chan -b BAR!*@*");
  assertEquals((await op.waitFor("MODE")).params, ["#chan", "-b", "bar!*@*"]);
  await bar.send("JOIN #chan");
  await bar.waitFor("366");
  await op.send("MODE #chan +b *!*@127.0.0.1");
  await bar.waitFor("MODE");
  await bar.send("PRIVMSG #chan :muted?");
  assertEquals((await bar.waitFor("404")).params.slice(0, 2), [
    "Bar",
    "#chan",
  ]);
  await op.send("MODE #chan +v Bar");
  await bar.waitFor((m) => m.command === "MODE" && m.params[1] === "+v");
  await bar.send("PRIVMSG #chan :voiced");
  assertEquals((await op.waitFor("PRIVMSG")).params, ["#chan", "voiced"]);
  const carol = await t.client("carol");
  await carol.send("JOIN #chan");
  await carol.waitFor("474");
  await op.send("INVITE carol #chan");
  await carol.waitFor("INVITE");
  await carol.send("JOIN #chan");
  await carol.waitFor("366");
});

Deno.test("an invite lets one join past +l; invites are used up by the JOIN", async () => {
  await using t = await startTestServer();
  const op = await inChannel(t, "chanop");
  await op.send("MODE #chan +l 1");
  await op.waitFor("MODE");
  const guest = await t.client("guest");
  await guest.send("JOIN #chan");
  assertEquals((await guest.waitFor("471")).params.slice(0, 2), [
    "guest",
    "#chan",
  ]);
  await op.send("INVITE guest #chan");
  await guest.waitFor("INVITE");
  await guest.send("JOIN #chan");
  await guest.waitFor("366");
  await guest.send("PART #chan");
  await guest.waitFor("PART");
  await guest.send("JOIN #chan");
  await guest.waitFor("471");
});

Deno.test("LUSERS sends 265/266 with current and peak user counts", async () => {
  await using t = await startTestServer();
  const bar = await t.client("bar");
  const qux = await t.client("qux");
  await qux.send("QUIT");
  await qux.closed;
  const replies = await answers(bar, "LUSERS");
  const by = new Map(replies.map((m) => [m.command, m.params]));
  assertEquals(by.get("265")?.slice(0, 3), ["bar", "1", "2"]);
  assertEquals(by.get("266")?.slice(0, 3), ["bar", "1", "2"]);
  assertOk(/ 1 .* 0 /.test(by.get("251")![1]), by.get("251")![1]);
  assertOk(/ 1 .* 0 /.test(by.get("255")![1]), by.get("255")![1]);
  assertEquals(new Set(replies.map((m) => m.command)).size, replies.length);
});

Deno.test("WHO matches masks, hides +i users from strangers, and WHOIS hides their channels", async () => {
  await using t = await startTestServer();
  const cool = await inChannel(t, "coolNick");
  const other = await inChannel(t, "otherNick");
  const rows = async (mask: string) =>
    (await answers(other, `WHO ${mask}`)).map((m) => m.params.slice(1));
  assertEquals(await rows("coolni*"), [
    [
      "*",
      "coolNick",
      "127.0.0.1",
      "tertulia.local",
      "coolNick",
      "H",
      "0 Test coolNick",
    ],
    ["coolni*", "End of WHO list"],
  ]);
  assertEquals((await rows("*")).length, 3);
  assertEquals(await rows("* o"), [["*", "End of WHO list"]]);
  assertEquals(await rows("nobody"), [["nobody", "End of WHO list"]]);
  await cool.send("MODE coolNick +i");
  await cool.waitFor("MODE");
  assertEquals((await rows("cool*")).length, 2, "a channel peer sees +i");
  const stranger = await t.client("stranger");
  const strangerRows = await answers(stranger, "WHO *");
  assertEquals(
    strangerRows.filter((m) => m.command === "352").map((m) => m.params[5])
      .sort(),
    ["otherNick", "stranger"],
  );
  const whois = await answers(stranger, "WHOIS coolNick");
  assertEquals(whois.filter((m) => m.command === "319"), []);
  const peerWhois = await answers(other, "WHOIS coolNick");
  assertEquals(
    peerWhois.find((m) => m.command === "319")?.params.slice(1),
    ["coolNick", "@#chan"],
  );
});

Deno.test("LIST filters by mask, negated mask and member count (ELIST=MNU)", async () => {
  await using t = await startTestServer();
  const foo = await inChannel(t, "foo", "#chan1");
  await foo.send("JOIN #chan2");
  await foo.waitFor("366");
  await inChannel(t, "bar", "#chan2");
  const listed = async (mask: string) =>
    (await answers(foo, `LIST ${mask}`)).filter((m) => m.command === "322")
      .map((m) => m.params[1]).sort();
  assertEquals(await listed("*an1"), ["#chan1"]);
  assertEquals(await listed("#c*n2"), ["#chan2"]);
  assertEquals(await listed("!*an1"), ["#chan2"]);
  assertEquals(await listed("*an3"), []);
  assertEquals(await listed(">1"), ["#chan2"]);
  assertEquals(await listed("<2"), ["#chan1"]);
  assertEquals(await listed("#ch*"), ["#chan1", "#chan2"]);
  assertEquals(await listed("#chan2,#CHAN2"), ["#chan2"]);
  assertEquals(await listed("#nowhere"), []);
});

Deno.test("KICK takes one channel with several nicks, or paired channels and nicks", async () => {
  await using t = await startTestServer();
  const [foo, bar, baz, qux] = [
    await inChannel(t, "foo"),
    await inChannel(t, "bar"),
    await inChannel(t, "baz"),
    await inChannel(t, "qux"),
  ];
  await foo.send("KICK #chan,#chan bar,baz :bye");
  for (const nick of ["bar", "baz"]) {
    assertEquals((await qux.waitFor("KICK")).params, ["#chan", nick, "bye"]);
  }
  await bar.send("JOIN #chan");
  await baz.send("JOIN #chan");
  await qux.waitFor((m) => m.command === "JOIN" && m.source!.startsWith("baz"));
  await foo.send("KICK #chan bar,baz");
  for (const nick of ["bar", "baz"]) {
    assertEquals((await qux.waitFor("KICK")).params, ["#chan", nick, "foo"]);
  }
  const refused = await answers(qux, "KICK #chan foo,bar");
  assertEquals(refused.map((m) => m.command), ["482"]);
});

Deno.test("ISUPPORT: at most 13 tokens per 005 line, TARGMAX, ELIST, bans in CHANMODES and 004", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await startTestServer({ db: `${dir}/history.db` });
    const burst = await (await t.connect()).register("foo");
    const lines = burst.filter((m) => m.command === "005");
    assertOk(lines.length >= 2, "the tokens need more than one line");
    for (const line of lines) {
      assertOk(line.params.length <= 15, line.params.join(" "));
    }
    const tokens = lines.flatMap((m) => m.params.slice(1, -1));
    for (
      const token of [
        "CHANMODES=beI,k,l,Cimnst",
        "CHANLIMIT=#:50",
        "ELIST=CMNTU",
        "MAXLIST=beI:100",
        "TARGMAX=JOIN:,KICK:,LIST:,NAMES:1,NOTICE:8,PART:,PRIVMSG:8," +
        "TAGMSG:8,WHOIS:10,WHOWAS:10",
      ]
    ) assertOk(tokens.includes(token), `missing ${token} in ${tokens}`);
    const myinfo = burst.find((m) => m.command === "004")!;
    assertEquals(myinfo.params.slice(3), ["Bi", "CIbeiklmnostv", "Ibeklov"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client tags: 4096 bytes with @ and space are relayed whole, one more byte gets 417", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", ["message-tags", "echo-message"]);
  await alice.send("JOIN #test");
  await alice.waitFor("366");
  const bob = await t.client("bob", ["message-tags"]);
  await bob.send("JOIN #test");
  await bob.waitFor("366");
  const fits = `@foo=bar;+baz=${LONG_TAG} TAGMSG #test`;
  assertEquals(fits.indexOf("TAGMSG"), 4096);
  await alice.send(fits);
  assertEquals((await bob.waitFor("TAGMSG")).tags["+baz"], LONG_TAG);
  const excess = `@foo=bar;+baz=${LONG_TAG}a PRIVMSG #test hi`;
  assertEquals(
    (await answers(alice, excess)).map((m) => m.command),
    ["417"],
  );
  await bob.sync();
  assertEquals(bob.pending("PRIVMSG"), []);
});

Deno.test("+s hides a channel from LIST, NAMES, WHO, WHOIS and TOPIC of non-members; its 353 says @", async () => {
  await using t = await startTestServer();
  const first = await inChannel(t, "first", "#gen");
  await first.send("TOPIC #gen :hidden");
  await first.send("MODE #gen +s");
  assertEquals((await first.waitFor("MODE")).params, ["#gen", "+s"]);
  const listed = async (client: IrcClient) =>
    (await answers(client, "LIST")).filter((m) => m.command === "322")
      .map((m) => m.params[1]);
  assertEquals(await listed(first), ["#gen"]);
  const second = await t.client("second");
  assertEquals(await listed(second), []);
  assertEquals(
    (await answers(second, "NAMES #gen")).map((m) => m.command),
    ["366"],
  );
  assertEquals(
    (await answers(second, "WHO #gen")).map((m) => m.command),
    ["315"],
  );
  assertEquals(
    (await answers(second, "WHOIS first")).filter((m) => m.command === "319"),
    [],
  );
  assertEquals(
    (await answers(second, "TOPIC #gen")).map((m) => m.command),
    ["442"],
  );
  await second.send("JOIN #gen");
  const names = await second.waitFor("353");
  assertEquals(names.params.slice(1, 3), ["@", "#gen"]);
  await second.waitFor("366");
  assertEquals(await listed(second), ["#gen"]);
});

Deno.test("WHOWAS answers from remembered nicks, newest first, up to a count; 406 for unknown nicks", async () => {
  await using t = await startTestServer();
  const asker = await t.client("nick1");
  for (const ident of ["ident2", "ident3"]) {
    const gone = await t.connect();
    await gone.register("nick2", { user: ident, realname: "Realname" });
    await gone.send("QUIT :bye");
    await gone.closed;
  }
  const renamed = await t.client("nick3");
  await renamed.send("NICK nick4");
  await renamed.waitFor("NICK");
  const rows = async (line: string) =>
    (await answers(asker, line)).map((m) => [m.command, ...m.params.slice(1)]);
  const server = ["312", "nick2", "tertulia.local", "tertulia chat server"];
  assertEquals(await rows("WHOWAS nick2"), [
    ["314", "nick2", "ident3", "127.0.0.1", "*", "Realname"],
    server,
    ["314", "nick2", "ident2", "127.0.0.1", "*", "Realname"],
    server,
    ["369", "nick2", "End of WHOWAS"],
  ]);
  assertEquals((await rows("WHOWAS nick2 1")).map((row) => row[0]), [
    "314",
    "312",
    "369",
  ]);
  assertEquals((await rows("WHOWAS nick3,ghost")).map((row) => row[0]), [
    "406",
    "314",
    "312",
    "369",
  ]);
  assertEquals((await rows("WHOWAS NICK3"))[0].slice(0, 3), [
    "314",
    "nick3",
    "nick3",
  ]);
});

Deno.test("CHANLIMIT: the 51st channel gets 405; rejoining a channel one is in does not count", async () => {
  await using t = await startTestServer();
  const foo = await t.client("foo");
  await foo.send(
    `JOIN ${Array.from({ length: 50 }, (_, i) => `#chan${i}`).join(",")}`,
  );
  await foo.waitFor((m) => m.command === "366" && m.params[1] === "#chan49");
  assertEquals(
    (await answers(foo, "JOIN #chan")).map((m) => [
      m.command,
      ...m.params.slice(0, 2),
    ]),
    [["405", "foo", "#chan"]],
  );
  assertEquals(await answers(foo, "JOIN #chan7"), []);
  await foo.send("PART #chan7");
  await foo.waitFor("PART");
  await foo.send("JOIN #chan");
  await foo.waitFor((m) => m.command === "366" && m.params[1] === "#chan");
});

Deno.test("a MODE with many parameters is relayed as several lines of at most 15 parameters; over-long ban masks get 696", async () => {
  await using t = await startTestServer();
  const op = await inChannel(t, "op");
  const masks = Array.from({ length: 20 }, (_, i) => `m${i}!*@*`);
  const replies = await answers(
    op,
    `MODE #chan +${"b".repeat(20)} ${masks.join(" ")}`,
  );
  assertEquals(replies.map((m) => m.command), ["MODE", "MODE"]);
  for (const line of replies) assertOk(line.params.length <= 15);
  assertEquals(replies.flatMap((m) => m.params.slice(2)), masks);
  const long = `${"x".repeat(251)}!*@*`;
  assertEquals(
    (await answers(op, `MODE #chan +b ${long}`)).map((m) => m.command),
    ["696"],
  );
});

Deno.test("HELP and HELPOP: 704, 705…, 706 with the subject; every command has a topic", async () => {
  assertEquals(Object.keys(HELP_TOPICS).sort(), [...COMMANDS.keys()].sort());
  await using t = await startTestServer();
  const nick = await t.client("nick");
  for (const command of ["HELP", "HELPOP"]) {
    const index = await answers(nick, command);
    assertEquals(index[0].command, "704");
    assertEquals(index.at(-1)!.command, "706");
    assertOk(index.slice(1, -1).every((m) => m.command === "705"));
    const privmsg = await answers(nick, `${command} privmsg`);
    assertEquals(privmsg.map((m) => m.command), ["704", "705", "706"]);
    for (const line of privmsg) {
      assertEquals(line.params.slice(0, 2), ["nick", "PRIVMSG"]);
    }
    assertEquals(
      privmsg[0].params[2],
      "PRIVMSG <target>[,<target>...] :<text>",
    );
  }
});
