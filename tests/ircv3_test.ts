import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";

Deno.test("CAP LS 302 lists cap-notify and userhost-in-names; CAP LIST shows what was acknowledged", async () => {
  await using t = await startTestServer();
  const client = await t.connect();
  await client.send("CAP LS 302");
  const ls = await client.waitFor("CAP");
  const offered = ls.params[ls.params.length - 1].split(" ");
  for (const cap of ["cap-notify", "userhost-in-names", "multi-prefix"]) {
    assertOk(offered.includes(cap), `${cap} missing from ${offered}`);
  }
  await client.send("CAP REQ :multi-prefix userhost-in-names");
  const ack = await client.waitFor("CAP");
  assertEquals(ack.params.slice(1), ["ACK", "multi-prefix userhost-in-names"]);
  await client.send("CAP LIST");
  const list = await client.waitFor("CAP");
  assertEquals(
    new Set(list.params[2].split(" ")),
    new Set(["multi-prefix", "userhost-in-names"]),
  );
  await client.send("CAP REQ :no-such-cap");
  assertEquals((await client.waitFor("CAP")).params.slice(1), [
    "NAK",
    "no-such-cap",
  ]);
});

Deno.test("userhost-in-names shows full prefixes in NAMES", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", ["userhost-in-names", "multi-prefix"]);
  const bob = await t.client("bob");
  await alice.send("JOIN #plaza");
  await alice.waitFor("366");
  await bob.send("JOIN #plaza");
  await alice.waitFor("JOIN");
  await alice.send("NAMES #plaza");
  const names = await alice.waitFor("353");
  assertEquals(
    names.params[3].split(" "),
    ["@alice!alice@127.0.0.1", "bob!bob@127.0.0.1"],
  );
  await bob.send("NAMES #plaza");
  assertEquals((await bob.waitFor("353")).params[3], "@alice bob");
});

Deno.test("NAMES of a public channel hides +i members from a stranger, not from members or those sharing a channel", async () => {
  await using t = await startTestServer();
  const shy = await t.client("shy");
  const open = await t.client("open");
  const stranger = await t.client("stranger");
  await shy.send("MODE shy +i");
  await shy.waitFor("MODE");
  for (const client of [shy, open]) {
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  await stranger.send("NAMES #plaza");
  assertEquals((await stranger.waitFor("353")).params[3], "open");
  await stranger.waitFor("366");
  await shy.send("JOIN #other");
  await shy.waitFor("366");
  await stranger.send("JOIN #other");
  await stranger.waitFor("366");
  await stranger.send("NAMES #plaza");
  assertEquals((await stranger.waitFor("353")).params[3], "@shy open");
  await open.send("NAMES #plaza");
  assertEquals((await open.waitFor("353")).params[3], "@shy open");
});

Deno.test("WHO of an exact nick answers for a +i user; a mask search does not", async () => {
  await using t = await startTestServer();
  const evan = await t.client("evan");
  await evan.send("MODE evan +i");
  await evan.waitFor("MODE");
  const other = await t.client("other");
  await other.send("WHO eva*");
  const end = await other.waitFor((m) =>
    m.command === "315" || m.command === "352"
  );
  assertEquals(end.command, "315");
  await other.send("WHO evan");
  const reply = await other.waitFor((m) =>
    m.command === "315" || m.command === "352"
  );
  assertEquals(reply.command, "352");
  assertEquals(reply.params[5], "evan");
  await other.waitFor("315");
});

Deno.test("labeled-response: one reply carries the label, several come in a batch, none is an ACK", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", ["labeled-response", "batch"]);
  await alice.send("@label=one PING :x");
  const pong = await alice.waitFor("PONG");
  assertEquals(pong.tags.label, "one");
  await alice.send("@label=two WHOIS alice");
  const start = await alice.waitFor("BATCH");
  assertEquals(start.tags.label, "two");
  assertEquals(start.params[1], "labeled-response");
  const ref = start.params[0].slice(1);
  const first = await alice.waitFor("311");
  assertEquals(first.tags.batch, ref);
  const end = await alice.waitFor("BATCH");
  assertEquals(end.params, [`-${ref}`]);
  await alice.send("@label=three PONG :nothing");
  const ack = await alice.waitFor("ACK");
  assertEquals(ack.tags.label, "three");
  await alice.send("@label=four NO_SUCH_COMMAND");
  assertEquals((await alice.waitFor("421")).tags.label, "four");
});

Deno.test("labeled-response: a message to oneself is echoed with the label and delivered without it", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", [
    "labeled-response",
    "batch",
    "echo-message",
  ]);
  await alice.send("@label=self PRIVMSG alice :hola");
  const one = await alice.waitFor("PRIVMSG");
  const two = await alice.waitFor("PRIVMSG");
  assertEquals([one.tags.label, two.tags.label].sort(), ["self", undefined]);
});

Deno.test("MONITOR reports sign-on, nick changes and sign-off; L, S and C", async () => {
  await using t = await startTestServer();
  const watcher = await t.client("watcher");
  await watcher.send("MONITOR + friend,Other");
  assertEquals((await watcher.waitFor("731")).params[1], "friend,Other");
  const friend = await t.client("friend");
  assertEquals(
    (await watcher.waitFor("730")).params[1],
    "friend!friend@127.0.0.1",
  );
  await friend.send("NICK other");
  assertEquals((await watcher.waitFor("731")).params[1], "friend");
  assertEquals(
    (await watcher.waitFor("730")).params[1],
    "other!friend@127.0.0.1",
  );
  await watcher.send("MONITOR S");
  assertEquals(
    (await watcher.waitFor("730")).params[1],
    "other!friend@127.0.0.1",
  );
  assertEquals((await watcher.waitFor("731")).params[1], "friend");
  await watcher.send("MONITOR L");
  assertEquals((await watcher.waitFor("732")).params[1], "friend,Other");
  await watcher.waitFor("733");
  await friend.send("QUIT :bye");
  assertEquals((await watcher.waitFor("731")).params[1], "other");
  await watcher.send("MONITOR C");
  await watcher.send("MONITOR L");
  await watcher.waitFor("733");
  assertEquals(watcher.pending("732"), []);
  const isupport = (await (await t.connect()).register("late")).filter((m) =>
    m.command === "005"
  ).flatMap((m) => m.params);
  assertOk(isupport.includes("MONITOR=100"));
});

Deno.test("away-notify: AWAY changes and an away user's JOIN reach channel members with the capability", async () => {
  await using t = await startTestServer();
  const listener = await t.client("listener", ["away-notify"]);
  const plain = await t.client("plain");
  const walker = await t.client("walker");
  for (const client of [listener, plain, walker]) {
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  await walker.send("AWAY :lunch");
  await walker.waitFor("306");
  const away = await listener.waitFor("AWAY");
  assertEquals([away.source, away.params], ["walker!walker@127.0.0.1", [
    "lunch",
  ]]);
  await walker.send("AWAY");
  assertEquals((await listener.waitFor("AWAY")).params, []);
  await walker.send("AWAY :again");
  await walker.send("PART #plaza");
  await walker.send("JOIN #plaza");
  await listener.waitFor("JOIN");
  assertEquals((await listener.waitFor("AWAY")).params, ["again"]);
  await plain.sync();
  assertEquals(plain.pending("AWAY"), []);
});

Deno.test("setname changes the real name for those with the capability; extended-monitor watchers hear it too", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", ["setname"]);
  const bob = await t.client("bob", ["setname"]);
  const watcher = await t.client("watcher", ["extended-monitor", "setname"]);
  for (const client of [alice, bob]) {
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  await watcher.send("MONITOR + alice");
  await watcher.waitFor("730");
  await alice.send("SETNAME :Alice Liddell");
  assertEquals((await alice.waitFor("SETNAME")).params, ["Alice Liddell"]);
  assertEquals((await bob.waitFor("SETNAME")).params, ["Alice Liddell"]);
  assertEquals(
    (await watcher.waitFor("SETNAME")).source,
    "alice!alice@127.0.0.1",
  );
  await bob.send("WHOIS alice");
  assertEquals((await bob.waitFor("311")).params[5], "Alice Liddell");
  await alice.send("SETNAME :");
  assertEquals((await alice.waitFor("FAIL")).params.slice(0, 2), [
    "SETNAME",
    "INVALID_REALNAME",
  ]);
});

Deno.test("invite-notify: channel members with the capability see an INVITE", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  const member = await t.client("member", ["invite-notify"]);
  const guest = await t.client("guest");
  for (const client of [op, member]) {
    await client.send("JOIN #club");
    await client.waitFor("366");
  }
  await op.send("INVITE guest #club");
  await op.waitFor("341");
  assertEquals((await guest.waitFor("INVITE")).params, ["guest", "#club"]);
  const seen = await member.waitFor("INVITE");
  assertEquals([seen.source, seen.params], ["op!op@127.0.0.1", [
    "guest",
    "#club",
  ]]);
});

Deno.test("bot mode: +B shows in WHOIS and WHO, and the bot's messages carry the bot tag", async () => {
  await using t = await startTestServer();
  const bot = await t.client("robot");
  const human = await t.client("human", ["message-tags"]);
  await bot.send("MODE robot +B");
  assertEquals((await bot.waitFor("MODE")).params, ["robot", "+B"]);
  await human.send("WHOIS robot");
  assertEquals((await human.waitFor("335")).params[1], "robot");
  await bot.send("PRIVMSG human :beep");
  const message = await human.waitFor("PRIVMSG");
  assertEquals(message.tags.bot, "");
  await bot.send("JOIN #lab");
  await bot.waitFor("366");
  await human.send("WHO #lab");
  assertEquals((await human.waitFor("352")).params[6], "HB@");
});

Deno.test("STATUSMSG: @#channel reaches only operators, +#channel operators and voiced members", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  const voiced = await t.client("voiced");
  const plain = await t.client("plain");
  for (const client of [op, voiced, plain]) {
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  await op.send("MODE #plaza +v voiced");
  await voiced.waitFor("MODE");
  await plain.send("PRIVMSG @#plaza :ops only");
  assertEquals((await op.waitFor("PRIVMSG")).params, ["@#plaza", "ops only"]);
  await plain.send("PRIVMSG +#plaza :voices too");
  assertEquals((await voiced.waitFor("PRIVMSG")).params, [
    "+#plaza",
    "voices too",
  ]);
  assertEquals((await op.waitFor("PRIVMSG")).params[0], "+#plaza");
  await voiced.sync();
  assertEquals(voiced.pending("PRIVMSG"), []);
});

Deno.test("WHOX answers 354 with the fields asked for, in the spec's order, and the token", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice");
  await alice.send("WHO alice %rnt,42");
  const reply = await alice.waitFor("354");
  assertEquals(reply.params, ["alice", "42", "alice", "Test alice"]);
  await alice.waitFor("315");
  await alice.send("WHO alice %tcuihsnfdlaor,7");
  const full = await alice.waitFor("354");
  assertEquals(full.params.length, 14);
  assertEquals(full.params.slice(1, 4), ["7", "*", "alice"]);
  assertEquals(full.params.slice(11), ["0", "n/a", "Test alice"]);
});

Deno.test("INFO and LINKS answer with their numerics", async () => {
  await using t = await startTestServer({ description: "a test server" });
  const alice = await t.client("alice");
  await alice.send("INFO");
  await alice.waitFor("371");
  await alice.waitFor("374");
  await alice.send("LINKS");
  const link = await alice.waitFor("364");
  assertEquals(link.params.slice(1), [
    "tertulia.local",
    "tertulia.local",
    "0 a test server",
  ]);
  assertEquals((await alice.waitFor("365")).params[1], "*");
});

Deno.test("ban exceptions (+e) let a banned user join; invite exceptions (+I) let a user into +i; lists answer 348/349 and 346/347", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  await op.send("JOIN #club");
  await op.waitFor("366");
  await op.send("MODE #club +b bob");
  await op.send("MODE #club +e *!bob@*");
  await op.send("MODE #club +e");
  assertEquals((await op.waitFor("348")).params.slice(1, 3), [
    "#club",
    "*!bob@*",
  ]);
  await op.waitFor("349");
  const bob = await t.client("bob");
  await bob.send("JOIN #club");
  await bob.waitFor("366");
  const carol = await t.client("carol");
  await op.send("MODE #club +i");
  await op.send("MODE #club +I carol!*@*");
  await op.send("MODE #club I");
  assertEquals((await op.waitFor("346")).params[2], "carol!*@*");
  await op.waitFor("347");
  await carol.send("JOIN #club");
  await carol.waitFor("366");
  const dave = await t.client("dave");
  await dave.send("JOIN #club");
  assertEquals((await dave.waitFor("473")).params[1], "#club");
});

Deno.test("a mute extban (m:) keeps a member from speaking but not from joining; +e m: lifts it", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  await op.send("JOIN #club");
  await op.waitFor("366");
  await op.send("MODE #club +b m:quiet!*@*");
  await op.waitFor("MODE");
  const quiet = await t.client("quiet");
  await quiet.send("JOIN #club");
  await quiet.waitFor("366");
  await quiet.send("PRIVMSG #club :hello?");
  assertEquals((await quiet.waitFor("404")).params[1], "#club");
  await op.send("MODE #club +e m:*!quiet@*");
  await quiet.waitFor("MODE");
  await quiet.send("PRIVMSG #club :thanks");
  assertEquals((await op.waitFor("PRIVMSG")).params, ["#club", "thanks"]);
});

Deno.test("+C keeps CTCP requests out of a channel but lets ACTION through", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  const other = await t.client("other");
  for (const client of [op, other]) {
    await client.send("JOIN #quiet");
    await client.waitFor("366");
  }
  await op.send("MODE #quiet +C");
  await other.waitFor("MODE");
  await other.send("PRIVMSG #quiet :\x01VERSION\x01");
  assertEquals((await other.waitFor("404")).params[1], "#quiet");
  await other.send("PRIVMSG #quiet :\x01ACTION waves\x01");
  assertEquals((await op.waitFor("PRIVMSG")).params[1], "\x01ACTION waves\x01");
});

Deno.test("INVITE without parameters lists one's pending invites", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  const guest = await t.client("guest");
  await op.send("JOIN #club");
  await op.waitFor("366");
  await op.send("INVITE guest #club");
  await guest.waitFor("INVITE");
  await guest.send("INVITE");
  assertEquals((await guest.waitFor("336")).params[1], "#club");
  await guest.waitFor("337");
  await guest.send("INVITE guest");
  assertEquals((await guest.waitFor("461")).params[1], "INVITE");
});

Deno.test("UTF8ONLY: a line that is not UTF-8 gets WARN INVALID_UTF8 and is relayed with U+FFFD", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice");
  const bob = await t.client("bob");
  const burst = await (await t.connect()).register("carol");
  assertOk(
    burst.some((m) => m.command === "005" && m.params.includes("UTF8ONLY")),
  );
  await alice.sendRaw(
    new Uint8Array([
      ...new TextEncoder().encode("PRIVMSG bob :hi"),
      0xaa,
      13,
      10,
    ]),
  );
  const warn = await alice.waitFor("WARN");
  assertEquals(warn.params.slice(0, 2), ["PRIVMSG", "INVALID_UTF8"]);
  assertEquals((await bob.waitFor("PRIVMSG")).params, ["bob", "hi\ufffd"]);
  await alice.send("PRIVMSG bob :\ufffd is fine");
  assertEquals((await bob.waitFor("PRIVMSG")).params[1], "\ufffd is fine");
  await alice.sync();
  assertEquals(alice.pending("WARN"), []);
});

Deno.test("MARKREAD stores a marker that only moves forward, answers * for none, and arrives before the end of NAMES on JOIN", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", ["draft/read-marker"]);
  await alice.send("MARKREAD #plaza");
  assertEquals((await alice.waitFor("MARKREAD")).params, ["#plaza", "*"]);
  const later = "timestamp=2026-12-01T10:00:00.000Z";
  await alice.send(`MARKREAD #plaza ${later}`);
  assertEquals((await alice.waitFor("MARKREAD")).params, ["#plaza", later]);
  await alice.send("MARKREAD #plaza timestamp=2026-11-01T10:00:00.000Z");
  assertEquals((await alice.waitFor("MARKREAD")).params, ["#plaza", later]);
  await alice.send("MARKREAD #plaza *");
  assertEquals((await alice.waitFor("FAIL")).params.slice(0, 2), [
    "MARKREAD",
    "INVALID_PARAMS",
  ]);
  await alice.send("JOIN #plaza");
  const marker = await alice.waitFor((m) =>
    m.command === "MARKREAD" || m.command === "366"
  );
  assertEquals([marker.command, marker.params], ["MARKREAD", [
    "#plaza",
    later,
  ]]);
  await alice.waitFor("366");
});

Deno.test("REDACT: the sender or an operator withdraws a recent message, which leaves the history too; others get REDACT_FORBIDDEN", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using t = await startTestServer({
      db: `${dir}/history.db`,
      historyLines: 0,
    });
    const caps = ["draft/message-redaction", "message-tags", "echo-message"];
    const op = await t.client("op", [
      ...caps,
      "batch",
      "server-time",
      "draft/chathistory",
    ]);
    const bob = await t.client("bob", caps);
    const carol = await t.client("carol", caps);
    for (const client of [op, bob, carol]) {
      await client.send("JOIN #plaza");
      await client.waitFor("366");
    }
    await bob.send("PRIVMSG #plaza :oops");
    const msgid = (await bob.waitFor("PRIVMSG")).tags.msgid;
    await carol.waitFor("PRIVMSG");
    await carol.send(`REDACT #plaza ${msgid}`);
    assertEquals((await carol.waitFor("FAIL")).params.slice(0, 4), [
      "REDACT",
      "REDACT_FORBIDDEN",
      "#plaza",
      msgid,
    ]);
    await op.send(`REDACT #plaza ${msgid} :spam`);
    for (const client of [op, bob, carol]) {
      const redact = await client.waitFor("REDACT");
      assertEquals([redact.source, redact.params], [
        "op!op@127.0.0.1",
        ["#plaza", msgid, "spam"],
      ]);
    }
    await bob.send("PRIVMSG #plaza :kept");
    await op.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "kept");
    await op.send("CHATHISTORY LATEST #plaza * 10");
    const ref = (await op.waitFor("BATCH")).params[0].slice(1);
    await op.waitFor("BATCH");
    assertEquals(
      op.messages.filter((m) => m.tags.batch === ref).map((m) => m.params[1]),
      ["kept"],
    );
    await bob.send(`REDACT #plaza ${msgid}`);
    assertEquals((await bob.waitFor("FAIL")).params[1], "UNKNOWN_MSGID");
    await bob.send("REDACT #elsewhere abc");
    assertEquals((await bob.waitFor("FAIL")).params[1], "INVALID_TARGET");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("REDACT of a private message: only its sender may, and both ends with the capability hear it", async () => {
  await using t = await startTestServer();
  const caps = ["draft/message-redaction", "message-tags", "echo-message"];
  const alice = await t.client("alice", caps);
  const bob = await t.client("bob", caps);
  await alice.send("PRIVMSG bob :secret");
  const msgid = (await alice.waitFor("PRIVMSG")).tags.msgid;
  await bob.waitFor("PRIVMSG");
  await bob.send(`REDACT alice ${msgid}`);
  assertEquals((await bob.waitFor("FAIL")).params[1], "UNKNOWN_MSGID");
  await alice.send(`REDACT bob ${msgid}`);
  for (const client of [alice, bob]) {
    const redact = await client.waitFor("REDACT");
    assertEquals([redact.source, redact.params], [
      "alice!alice@127.0.0.1",
      ["bob", msgid],
    ]);
  }
});

Deno.test("account extban (a:) bans a logged-in account, not a guest; WHOX shows the account", async () => {
  await using t = await startTestServer();
  const op = await t.client("op");
  await op.send("JOIN #club");
  await op.waitFor("366");
  await op.send("MODE #club +b a:bob");
  await op.waitFor("MODE");
  const guest = await t.client("guest");
  await guest.send("JOIN #club");
  await guest.waitFor("366");
  const bob = await t.client("bob", ["draft/account-registration"]);
  await bob.send("REGISTER * * :bob-password");
  await bob.waitFor("900", { timeout: 30_000 });
  await bob.send("JOIN #club");
  assertEquals((await bob.waitFor("474")).params[1], "#club");
  await op.send("WHO bob %na");
  assertEquals((await op.waitFor("354")).params, ["op", "bob", "bob"]);
});

Deno.test("LIST C< and T> filter by channel and topic age in minutes", async () => {
  let now = Date.parse("2026-12-01T12:00:00Z");
  await using t = await startTestServer();
  t.server.context.now = () => now;
  const alice = await t.client("alice");
  await alice.send("JOIN #old");
  await alice.send("TOPIC #old :ancient");
  await alice.sync();
  now += 10 * 60_000;
  await alice.send("JOIN #new");
  await alice.sync();
  const listed = async (filter: string) => {
    await alice.send(`LIST ${filter}`);
    await alice.waitFor("321");
    const names: string[] = [];
    for (;;) {
      const m = await alice.waitFor((m) =>
        m.command === "322" || m.command === "323"
      );
      if (m.command === "323") return names;
      names.push(m.params[1]);
    }
  };
  assertEquals(await listed("C<5"), ["#new"]);
  assertEquals(await listed("C>5"), ["#old"]);
  assertEquals(await listed("T>5"), ["#old"]);
  assertEquals(await listed("T<5"), []);
});
