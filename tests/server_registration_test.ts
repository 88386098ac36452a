import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import type { Message } from "../protocol.ts";

const commands = (messages: Message[]) => messages.map((m) => m.command);

Deno.test("registration sends 001-005 with a truthful ISUPPORT, LUSERS and 422 without a MOTD", async () => {
  await using t = await startTestServer({
    name: "irc.test",
    network: "TestNet",
  });
  const client = await t.connect();
  const burst = await client.register("alice", {
    user: "al",
    realname: "Alice Liddell",
  });
  const order = commands(burst);
  for (
    const numeric of [
      "001",
      "002",
      "003",
      "004",
      "005",
      "251",
      "254",
      "255",
      "422",
    ]
  ) {
    assertOk(order.includes(numeric), `missing ${numeric} in ${order}`);
  }
  assertOk(order.indexOf("001") < order.indexOf("005"));
  const welcome = burst.find((m) => m.command === "001")!;
  assertEquals(welcome.source, "irc.test");
  assertEquals(welcome.params[0], "alice");
  assertIncludes(welcome.params[1], "alice!al@127.0.0.1");
  const isupport = burst.filter((m) => m.command === "005").flatMap((m) =>
    m.params.slice(1, -1)
  );
  for (
    const token of [
      "CASEMAPPING=ascii",
      "NICKLEN=30",
      "CHANNELLEN=50",
      "CHANTYPES=#",
      "PREFIX=(ov)@+",
      "CHANMODES=beI,k,l,Cimnst",
      "NETWORK=TestNet",
      "LINELEN=512",
    ]
  ) assertOk(isupport.includes(token), `missing ${token} in ${isupport}`);
  assertIncludes(
    burst.find((m) => m.command === "251")!.params[1],
    "There are 1 users",
  );
  assertOk(
    t.logs.some((line) => /^connect alice 127\.0\.0\.1:\d+$/.test(line)),
    t.logs.join("\n"),
  );
  await client.send("QUIT :bye");
  await client.waitFor("ERROR");
  await client.closed;
  await t.server.close();
  assertOk(
    t.logs.some((line) =>
      /^disconnect alice 127\.0\.0\.1:\d+ \(Quit: bye\)$/.test(line)
    ),
    t.logs.join("\n"),
  );
});

Deno.test("the MOTD file is sent as 375/372/376; a missing MOTD file is named in the error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const motd = `${dir}/motd.txt`;
    await Deno.writeTextFile(motd, "Bienvenidos\nsecond line\n");
    await using t = await startTestServer({ motd });
    const client = await t.connect();
    const burst = await client.register("alice");
    const lines = burst.filter((m) => m.command === "372").map((m) =>
      m.params[1]
    );
    assertEquals(lines, ["- Bienvenidos", "- second line"]);
    assertOk(
      commands(burst).includes("375") && commands(burst).includes("376"),
    );
    let error: unknown;
    try {
      await startTestServer({ motd: `${dir}/nope.txt` });
    } catch (caught) {
      error = caught;
    }
    assertIncludes(String(error), `${dir}/nope.txt`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CAP LS 302 lists the implemented caps; REQ is ACKed or NAKed whole; registration waits for CAP END", async () => {
  await using t = await startTestServer();
  const client = await t.connect();
  await client.send("CAP LS 302");
  const ls = await client.waitFor("CAP");
  assertEquals(ls.params.slice(0, 2), ["*", "LS"]);
  const caps = ls.params[2].split(" ");
  for (
    const cap of ["message-tags", "server-time", "echo-message", "multi-prefix"]
  ) {
    assertOk(caps.includes(cap), `missing ${cap}`);
  }
  await client.send("NICK alice");
  await client.send("USER alice 0 * :Alice");
  await client.send("CAP REQ :server-time bogus-cap");
  assertEquals((await client.waitFor("CAP")).params.slice(1), [
    "NAK",
    "server-time bogus-cap",
  ]);
  await client.send("CAP REQ :server-time echo-message");
  assertEquals((await client.waitFor("CAP")).params.slice(1), [
    "ACK",
    "server-time echo-message",
  ]);
  await client.sync();
  assertEquals(
    client.messages.filter((m) => m.command === "001").length,
    0,
    "no welcome before CAP END",
  );
  await client.send("CAP LIST");
  const list = await client.waitFor("CAP");
  assertEquals(list.params[1], "LIST");
  assertEquals(list.params[2].split(" ").sort(), [
    "echo-message",
    "server-time",
  ]);
  await client.send("CAP FOO");
  assertEquals((await client.waitFor("410")).params.slice(1, 2), ["FOO"]);
  await client.send("CAP END");
  await client.waitFor("001");
  await client.send("CAP REQ :-echo-message");
  assertEquals((await client.waitFor("CAP")).params.slice(1), [
    "ACK",
    "-echo-message",
  ]);
});

Deno.test("commands before registration get 451, unknown ones 421, short ones 461", async () => {
  await using t = await startTestServer();
  const client = await t.connect();
  await client.send("JOIN #early");
  assertEquals((await client.waitFor("451")).params, [
    "*",
    "You have not registered",
  ]);
  await client.send("PRIVMSG bob :hi");
  await client.waitFor("451");
  await client.send("FROBNICATE now");
  assertEquals((await client.waitFor("421")).params.slice(0, 2), [
    "*",
    "FROBNICATE",
  ]);
  await client.send("USER onlyone");
  assertEquals((await client.waitFor("461")).params.slice(0, 2), ["*", "USER"]);
  await client.register("alice");
  await client.send("JOIN");
  assertEquals((await client.waitFor("461")).params.slice(0, 2), [
    "alice",
    "JOIN",
  ]);
  await client.send("USER again 0 * :x");
  await client.waitFor("462");
  await client.send("NICK");
  await client.waitFor("431");
  assertEquals(t.server.context.state.channels.size, 0);
});

Deno.test("nick collision gets 433 (case-insensitively), a bad nick 432, and the client can retry", async () => {
  await using t = await startTestServer();
  await t.client("alice");
  const second = await t.connect();
  await second.send("NICK ALICE");
  assertEquals((await second.waitFor("433")).params.slice(0, 2), [
    "*",
    "ALICE",
  ]);
  await second.send("NICK 9lives");
  assertEquals((await second.waitFor("432")).params.slice(1, 2), ["9lives"]);
  await second.register("alice_");
  await second.send("NICK Alice");
  await second.waitFor("433");
});

Deno.test("with --password, PASS must match: a wrong one gets 464 and is closed, the right one registers", async () => {
  await using t = await startTestServer({ password: "sesamo" });
  const wrong = await t.connect();
  await wrong.send("PASS nope");
  await wrong.send("NICK intruder");
  await wrong.send("USER intruder 0 * :x");
  await wrong.waitFor("464");
  assertIncludes(
    (await wrong.waitFor("ERROR")).params[0],
    "Password incorrect",
  );
  await wrong.closed;
  const none = await t.connect();
  await none.send("NICK nopass");
  await none.send("USER nopass 0 * :x");
  await none.waitFor("464");
  await none.closed;
  const right = await t.connect();
  await right.register("friend", { password: "sesamo" });
});

Deno.test("a connection that does not register in time is closed with ERROR", async () => {
  await using t = await startTestServer({ registrationTimeout: 0.2 });
  const client = await t.connect();
  await client.send("NICK slowpoke");
  const error = await client.waitFor("ERROR", { timeout: 3000 });
  assertEquals(error.params, ["Registration timeout"]);
  await client.closed;
  assertEquals(
    t.server.context.state.users.size,
    0,
    "the claimed nick is released",
  );
  assertEquals(t.server.context.counts.unregistered, 0);
});

Deno.test("--max-per-ip refuses extra connections from one address; closing one frees a slot", async () => {
  await using t = await startTestServer({ maxPerIp: 2 });
  const first = await t.client("one");
  await t.client("two");
  const third = await t.connect();
  assertIncludes(
    (await third.waitFor("ERROR")).params[0],
    "Too many connections",
  );
  await third.closed;
  await first.send("QUIT");
  await first.closed;
  const again = await t.connect();
  await again.register("three");
  assertOk(t.logs.some((line) => line.startsWith("refused 127.0.0.1:")));
});

Deno.test("--max-clients refuses connections past the limit", async () => {
  await using t = await startTestServer({ maxClients: 1 });
  await t.client("one");
  const second = await t.connect();
  assertEquals((await second.waitFor("ERROR")).params, ["Server is full"]);
  await second.closed;
});
