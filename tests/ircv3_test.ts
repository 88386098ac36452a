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
