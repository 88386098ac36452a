import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import type { IrcClient } from "./helpers/irc_client.ts";

/** Waits for a MODE line with exactly `params`. */
function waitMode(client: IrcClient, params: string[]) {
  return client.waitFor((m) =>
    m.command === "MODE" && JSON.stringify(m.params) === JSON.stringify(params)
  );
}

async function joined(
  t: TestServer,
  nicks: string[],
  channel = "#plaza",
): Promise<IrcClient[]> {
  const clients: IrcClient[] = [];
  for (const nick of nicks) {
    const client = await t.client(nick);
    await client.send(`JOIN ${channel}`);
    await client.waitFor("366");
    for (const earlier of clients) {
      await earlier.waitFor((m) =>
        m.command === "JOIN" && m.source?.startsWith(`${nick}!`) === true
      );
    }
    clients.push(client);
  }
  return clients;
}

Deno.test("a channel message reaches the other members and not the sender", async () => {
  await using t = await startTestServer();
  const [alice, bob, carol] = await joined(t, ["alice", "bob", "carol"]);
  await alice.send("PRIVMSG #plaza :hola a todos");
  for (const other of [bob, carol]) {
    const message = await other.waitFor("PRIVMSG");
    assertEquals(message.params, ["#plaza", "hola a todos"]);
    assertEquals(message.source, "alice!alice@127.0.0.1");
  }
  await alice.sync();
  assertEquals(alice.pending("PRIVMSG"), []);
  await bob.send("NOTICE #PLAZA :aviso");
  assertEquals((await alice.waitFor("NOTICE")).params, ["#plaza", "aviso"]);
  assertEquals((await carol.waitFor("NOTICE")).params, ["#plaza", "aviso"]);
});

Deno.test("echo-message returns the sender's own message; server-time stamps relayed messages", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice", [
    "echo-message",
    "server-time",
    "message-tags",
  ]);
  const bob = await t.client("bob", ["server-time"]);
  const plain = await t.client("plain");
  for (const client of [alice, bob, plain]) {
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  await bob.sync();
  const before = Date.now();
  await alice.send("@+draft/react=x PRIVMSG #plaza :eco");
  const echo = await alice.waitFor("PRIVMSG");
  assertEquals(echo.params, ["#plaza", "eco"]);
  assertEquals(echo.tags["+draft/react"], "x");
  assertOk(echo.tags.msgid);
  const stamped = await bob.waitFor("PRIVMSG");
  assertOk(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(stamped.tags.time),
    stamped.tags.time,
  );
  assertOk(Math.abs(Date.parse(stamped.tags.time) - before) < 5000);
  assertEquals(
    stamped.tags["+draft/react"],
    undefined,
    "no client tags without message-tags",
  );
  const bare = await plain.waitFor("PRIVMSG");
  assertEquals(bare.tags, {});
  await alice.send("PRIVMSG bob :privado");
  assertEquals((await alice.waitFor("PRIVMSG")).params, ["bob", "privado"]);
  await alice.send("@+typing=active TAGMSG #plaza");
  assertEquals((await alice.waitFor("TAGMSG")).tags["+typing"], "active");
  await bob.sync();
  await plain.sync();
  assertEquals(
    bob.pending("TAGMSG"),
    [],
    "TAGMSG only reaches message-tags clients",
  );
});

Deno.test("a joiner gets the names list at once; everyone sees JOIN, PART with reason, NICK and QUIT once", async () => {
  await using t = await startTestServer();
  const [alice, bob] = await joined(t, ["alice", "bob"]);
  const carol = await t.client("carol");
  await carol.send("JOIN #plaza,#otro");
  const join = await carol.waitFor("JOIN");
  assertEquals(join.params, ["#plaza"]);
  const names = await carol.waitFor("353");
  assertEquals(names.params.slice(1, 3), ["=", "#plaza"]);
  assertEquals(names.params[3].split(" ").sort(), ["@alice", "bob", "carol"]);
  assertEquals((await carol.waitFor("366")).params.slice(1), [
    "#plaza",
    "End of /NAMES list",
  ]);
  assertEquals((await carol.waitFor("JOIN")).params, ["#otro"]);
  assertEquals((await alice.waitFor("JOIN")).source, "carol!carol@127.0.0.1");
  await bob.send("PART #plaza :me voy");
  for (const client of [alice, bob, carol]) {
    assertEquals((await client.waitFor("PART")).params, ["#plaza", "me voy"]);
  }
  await bob.send("JOIN #plaza");
  await alice.waitFor("JOIN");
  await carol.waitFor("JOIN");
  // carol shares two channels with bob's observers but alice must see her NICK once.
  await alice.send("JOIN #otro");
  await carol.waitFor("JOIN");
  await carol.send("NICK carolina");
  for (const client of [alice, bob, carol]) {
    const nick = await client.waitFor("NICK");
    assertEquals(nick.source, "carol!carol@127.0.0.1");
    assertEquals(nick.params, ["carolina"]);
  }
  await carol.send("QUIT :hasta luego");
  assertEquals(
    (await carol.waitFor("ERROR")).params[0],
    "Closing Link: 127.0.0.1 (Quit: hasta luego)",
  );
  for (const client of [alice, bob]) {
    const quit = await client.waitFor("QUIT");
    assertEquals(quit.source, "carolina!carol@127.0.0.1");
    assertEquals(quit.params, ["Quit: hasta luego"]);
  }
  await alice.sync();
  assertEquals(
    alice.pending((m) => m.command === "QUIT" || m.command === "NICK"),
    [],
    "QUIT seen once",
  );
  assertEquals(
    alice.messages.filter((m) => m.command === "NICK").length,
    1,
    "NICK seen once",
  );
  await alice.send("NAMES #plaza");
  assertEquals((await alice.waitFor("353")).params[3].split(" ").sort(), [
    "@alice",
    "bob",
  ]);
});

Deno.test("a dropped connection shows as QUIT to channel peers", async () => {
  await using t = await startTestServer();
  const [alice, bob] = await joined(t, ["alice", "bob"]);
  await bob.close();
  const quit = await alice.waitFor("QUIT");
  assertEquals(quit.source?.split("!")[0], "bob");
  assertEquals(quit.params, ["Connection closed"]);
});

Deno.test("private messages, 401/403/404/411/412 and AWAY replies; NOTICE never gets errors", async () => {
  await using t = await startTestServer();
  const [alice] = await joined(t, ["alice"]);
  const bob = await t.client("bob");
  await bob.send("PRIVMSG alice :hola");
  assertEquals((await alice.waitFor("PRIVMSG")).params, ["alice", "hola"]);
  await bob.send("PRIVMSG nobody :x");
  assertEquals((await bob.waitFor("401")).params.slice(0, 2), [
    "bob",
    "nobody",
  ]);
  await bob.send("PRIVMSG #nowhere :x");
  assertEquals((await bob.waitFor("403")).params.slice(0, 2), [
    "bob",
    "#nowhere",
  ]);
  await bob.send("PRIVMSG #plaza :from outside");
  assertEquals((await bob.waitFor("404")).params.slice(0, 2), [
    "bob",
    "#plaza",
  ]);
  await bob.send("PRIVMSG");
  await bob.waitFor("411");
  await bob.send("PRIVMSG alice");
  await bob.waitFor("412");
  await bob.send("NOTICE nobody :x");
  await bob.send("NOTICE #plaza :x");
  await bob.sync();
  assertEquals(bob.pending((m) => /^4\d\d$/.test(m.command)), []);
  await alice.send("AWAY :comiendo");
  await alice.waitFor("306");
  await bob.send("PRIVMSG alice :¿estás?");
  assertEquals((await bob.waitFor("301")).params.slice(1), [
    "alice",
    "comiendo",
  ]);
  await alice.send("AWAY");
  await alice.waitFor("305");
  await bob.send("PRIVMSG alice,nobody :multi");
  assertEquals((await alice.waitFor("PRIVMSG")).params, ["alice", "multi"]);
  await bob.waitFor("401");
});

Deno.test("TOPIC: 331 when unset, set by members, 332/333 on query and join, +t needs operator", async () => {
  await using t = await startTestServer();
  const [alice, bob] = await joined(t, ["alice", "bob"]);
  await bob.send("TOPIC #plaza");
  assertEquals((await bob.waitFor("331")).params.slice(1), [
    "#plaza",
    "No topic is set",
  ]);
  await bob.send("TOPIC #plaza :intruso");
  assertEquals((await bob.waitFor("482")).params.slice(1, 2), ["#plaza"]);
  await alice.send("TOPIC #plaza :Bienvenidos a la plaza");
  for (const client of [alice, bob]) {
    assertEquals((await client.waitFor("TOPIC")).params, [
      "#plaza",
      "Bienvenidos a la plaza",
    ]);
  }
  await bob.send("TOPIC #plaza");
  assertEquals((await bob.waitFor("332")).params.slice(1), [
    "#plaza",
    "Bienvenidos a la plaza",
  ]);
  const who = await bob.waitFor("333");
  assertEquals(who.params.slice(1, 3), ["#plaza", "alice"]);
  assertOk(Math.abs(Number(who.params[3]) - Date.now() / 1000) < 10);
  const carol = await t.client("carol");
  await carol.send("JOIN #plaza");
  await carol.waitFor("332");
  await carol.waitFor("366");
  await carol.send("TOPIC #plaza :no soy miembro");
  await carol.waitFor("482");
  const dave = await t.client("dave");
  await dave.send("TOPIC #plaza :x");
  await dave.waitFor("442");
  await alice.send("MODE #plaza -t");
  await alice.waitFor("MODE");
  await bob.send("TOPIC #plaza :ahora sí");
  assertEquals((await alice.waitFor("TOPIC")).params, ["#plaza", "ahora sí"]);
});

Deno.test("LIST, WHO, WHOIS, ISON, USERHOST, VERSION, TIME, LUSERS answer with their numerics", async () => {
  await using t = await startTestServer();
  const [alice, bob] = await joined(t, ["alice", "bob"]);
  await alice.send("TOPIC #plaza :charla");
  await alice.send("LIST");
  await alice.waitFor("321");
  assertEquals((await alice.waitFor("322")).params.slice(1), [
    "#plaza",
    "2",
    "charla",
  ]);
  await alice.waitFor("323");
  await alice.send("WHO #plaza");
  const who = [await alice.waitFor("352"), await alice.waitFor("352")];
  const aliceRow = who.find((m) => m.params[5] === "alice")!;
  assertEquals(aliceRow.params.slice(1, 7), [
    "#plaza",
    "alice",
    "127.0.0.1",
    "tertulia.local",
    "alice",
    "H@",
  ]);
  assertEquals(aliceRow.params[7], "0 Test alice");
  assertEquals((await alice.waitFor("315")).params.slice(1, 2), ["#plaza"]);
  await bob.send("AWAY :fuera");
  await bob.waitFor("306");
  await alice.send("WHOIS bob");
  assertEquals((await alice.waitFor("311")).params.slice(1), [
    "bob",
    "bob",
    "127.0.0.1",
    "*",
    "Test bob",
  ]);
  assertEquals((await alice.waitFor("319")).params.slice(1), ["bob", "#plaza"]);
  await alice.waitFor("312");
  assertEquals((await alice.waitFor("301")).params.slice(1), ["bob", "fuera"]);
  await alice.waitFor("317");
  await alice.waitFor("318");
  assertEquals(
    alice.messages.filter((m) => m.command === "671").length,
    0,
    "no 671 for plain-text users",
  );
  await alice.send("WHOIS ghost");
  await alice.waitFor("401");
  await alice.waitFor("318");
  await alice.send("ISON bob ghost ALICE");
  assertEquals((await alice.waitFor("303")).params[1], "bob alice");
  await alice.send("USERHOST alice bob");
  assertEquals(
    (await alice.waitFor("302")).params[1],
    "alice=+alice@127.0.0.1 bob=-bob@127.0.0.1",
  );
  await alice.send("VERSION");
  assertIncludes((await alice.waitFor("351")).params[1], "tertulia");
  await alice.send("TIME");
  assertEquals((await alice.waitFor("391")).params[1], "tertulia.local");
  await alice.send("LUSERS");
  assertIncludes((await alice.waitFor("251")).params[1], "There are 2 users");
  assertEquals((await alice.waitFor("254")).params[1], "1");
  await alice.send("PING :abc def");
  assertEquals((await alice.waitFor("PONG")).params, [
    "tertulia.local",
    "abc def",
  ]);
});

Deno.test("channel modes: first joiner is op, +o/-o, +m with voice, +n, +i with INVITE, +k, +l; non-ops get 482", async () => {
  await using t = await startTestServer();
  const [op, bob] = await joined(t, ["op", "bob"]);
  await op.send("MODE #plaza");
  assertEquals((await op.waitFor("324")).params.slice(1), ["#plaza", "+nt"]);
  await op.waitFor("329");
  await bob.send("MODE #plaza +m");
  assertEquals((await bob.waitFor("482")).params.slice(1, 2), ["#plaza"]);
  await op.send("MODE #plaza +mX");
  await op.waitFor("472");
  const moderated = await waitMode(bob, ["#plaza", "+m"]);
  assertEquals(moderated.source, "op!op@127.0.0.1");
  await bob.send("PRIVMSG #plaza :muted?");
  await bob.waitFor("404");
  await op.send("MODE #plaza +v bob");
  await waitMode(bob, ["#plaza", "+v", "bob"]);
  await bob.send("PRIVMSG #plaza :voiced");
  assertEquals((await op.waitFor("PRIVMSG")).params, ["#plaza", "voiced"]);
  await op.send("MODE #plaza +o bob");
  await waitMode(bob, ["#plaza", "+o", "bob"]);
  await bob.send("MODE #plaza -o op");
  await waitMode(op, ["#plaza", "-o", "op"]);
  await op.send("MODE #plaza -m");
  await op.waitFor("482");
  await bob.send("MODE #plaza +kl clave 2");
  await waitMode(op, ["#plaza", "+kl", "clave", "2"]);
  const carol = await t.client("carol");
  await carol.send("JOIN #plaza");
  assertEquals((await carol.waitFor("475")).params.slice(1, 2), ["#plaza"]);
  await carol.send("JOIN #plaza clave");
  assertEquals((await carol.waitFor("471")).params.slice(1, 2), ["#plaza"]);
  await bob.send("MODE #plaza -lm+i");
  await waitMode(op, ["#plaza", "-lm+i"]);
  await carol.send("JOIN #plaza clave");
  await carol.waitFor("473");
  await op.send("INVITE carol #plaza");
  await op.waitFor("482");
  await bob.send("INVITE carol #plaza");
  assertEquals((await bob.waitFor("341")).params.slice(1), ["carol", "#plaza"]);
  const invite = await carol.waitFor("INVITE");
  assertEquals(invite.params, ["carol", "#plaza"]);
  await carol.send("JOIN #plaza clave");
  await carol.waitFor("366");
  await carol.send("PRIVMSG #plaza :dentro");
  await op.waitFor((m) => m.command === "PRIVMSG" && m.params[1] === "dentro");
  await bob.send("MODE #plaza -n");
  await waitMode(op, ["#plaza", "-n"]);
  const outsider = await t.client("outsider");
  await outsider.send("PRIVMSG #plaza :desde fuera");
  assertEquals((await op.waitFor("PRIVMSG")).params[1], "desde fuera");
  await outsider.send("MODE #plaza");
  assertEquals((await outsider.waitFor("324")).params.slice(1), [
    "#plaza",
    "+itk",
    "*",
  ]);
  await bob.send("MODE #plaza +o ghost");
  await bob.waitFor("401");
  await bob.send("MODE #plaza +o outsider");
  await bob.waitFor("441");
  await bob.send("MODE #plaza b");
  await bob.waitFor("368");
});

Deno.test("KICK removes a member, needs operator; everyone sees it with its reason", async () => {
  await using t = await startTestServer();
  const [op, bob, carol] = await joined(t, ["op", "bob", "carol"]);
  await bob.send("KICK #plaza carol");
  await bob.waitFor("482");
  await op.send("KICK #plaza carol :portate bien");
  for (const client of [op, bob, carol]) {
    const kick = await client.waitFor("KICK");
    assertEquals(kick.params, ["#plaza", "carol", "portate bien"]);
    assertEquals(kick.source, "op!op@127.0.0.1");
  }
  await carol.send("PRIVMSG #plaza :sigo aquí?");
  await carol.waitFor("404");
  await op.send("KICK #plaza carol");
  await op.waitFor("441");
  await op.send("NAMES #plaza");
  assertEquals((await op.waitFor("353")).params[3].split(" ").sort(), [
    "@op",
    "bob",
  ]);
});

Deno.test("JOIN 0 parts every channel; multi-prefix shows @+ in NAMES", async () => {
  await using t = await startTestServer();
  const op = await t.client("op", ["multi-prefix"]);
  await op.send("JOIN #a,#b");
  await op.waitFor("366");
  await op.waitFor("366");
  await op.send("MODE #a +v op");
  await op.waitFor("MODE");
  await op.send("NAMES #a");
  assertEquals((await op.waitFor("353")).params[3], "@+op");
  await op.send("JOIN 0");
  assertEquals((await op.waitFor("PART")).params, ["#a"]);
  assertEquals((await op.waitFor("PART")).params, ["#b"]);
  await op.sync();
  assertEquals(t.server.context.state.channels.size, 0);
});

Deno.test("NAMES of a channel too big for one line: several 353 lines within 512 bytes, every member once", async () => {
  await using t = await startTestServer();
  const nicks = Array.from(
    { length: 40 },
    (_, i) => `member${String(i).padStart(2, "0")}${"x".repeat(20)}`,
  );
  for (const nick of nicks) {
    const client = await t.client(nick);
    await client.send("JOIN #plaza");
    await client.waitFor("366");
  }
  const viewer = await t.client("viewer");
  await viewer.send("NAMES #plaza");
  await viewer.waitFor("366");
  const replies = viewer.messages.filter((m) => m.command === "353");
  assertOk(replies.length >= 2, `${replies.length} lines of 353`);
  for (const line of viewer.lines.filter((l) => l.includes(" 353 "))) {
    assertOk(line.length + 2 <= 512, `a ${line.length + 2}-byte 353 line`);
  }
  const names = replies.flatMap((m) => m.params[3].split(" "));
  assertEquals(names.sort(), ["@" + nicks[0], ...nicks.slice(1)].sort());
});
