import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  startTestServer,
  type TestServer,
  waitUntil,
} from "./helpers/server.ts";
import { connectClient, type IrcClient } from "./helpers/irc_client.ts";
import { spawnServer } from "./helpers/server_process.ts";

async function inChannel(
  t: TestServer,
  nick: string,
  channel = "#c",
): Promise<IrcClient> {
  const client = await t.client(nick);
  await client.send(`JOIN ${channel}`);
  await client.waitFor("366");
  return client;
}

Deno.test("garbage, NUL bytes and invalid UTF-8 get an answer and change nothing else", async () => {
  await using t = await startTestServer();
  const alice = await inChannel(t, "alice");
  const bob = await inChannel(t, "bob");
  await alice.sendRaw("!!garbage here\r\n");
  assertEquals((await alice.waitFor("421")).params.slice(0, 2), [
    "alice",
    "!!garbage",
  ]);
  await alice.sendRaw(":only-a-source\r\n@a=b\r\n   \r\n\r\n");
  await alice.waitFor("400");
  await alice.waitFor("400");
  await alice.sendRaw("PRIVMSG #c :nul\0inside\r\n");
  assertIncludes((await alice.waitFor("400")).params[2], "NUL");
  await alice.sendRaw(
    new Uint8Array([
      ...new TextEncoder().encode("PRIVMSG #c :bad "),
      0xff,
      0xfe,
      0x0d,
      0x0a,
    ]),
  );
  assertEquals((await bob.waitFor("PRIVMSG")).params, [
    "#c",
    "bad \ufffd\ufffd",
  ]);
  await alice.send("@bad tag=x PRIVMSG #c :x");
  await alice.sync();
  await bob.sync();
  assertEquals(bob.pending("PRIVMSG"), [], "nothing else was relayed");
  await alice.send("PRIVMSG #c :still here");
  assertEquals((await bob.waitFor("PRIVMSG")).params, ["#c", "still here"]);
  assertEquals([...t.server.context.state.channels.keys()], ["#c"]);
});

Deno.test("an over-long line gets 417 and the connection stays usable", async () => {
  await using t = await startTestServer();
  const alice = await inChannel(t, "alice");
  const bob = await inChannel(t, "bob");
  await alice.send(`PRIVMSG #c :${"x".repeat(20000)}`);
  assertEquals((await alice.waitFor("417")).params, [
    "alice",
    "Input line was too long",
  ]);
  await alice.send("PRIVMSG #c :after the long one");
  assertEquals((await bob.waitFor("PRIVMSG")).params, [
    "#c",
    "after the long one",
  ]);
  // Over 510 bytes without its tags is too long too, though within the framer's limit.
  await alice.send(`PRIVMSG #c :${"y".repeat(600)}`);
  await alice.waitFor("417");
  await alice.send(`@+x=${"t".repeat(4000)} PRIVMSG #c :tags may be long`);
  assertEquals((await bob.waitFor("PRIVMSG")).params, [
    "#c",
    "tags may be long",
  ]);
  // A full 510-byte line gains the sender's prefix when relayed: it is cut, not dropped.
  await alice.send(`PRIVMSG #c :${"y".repeat(498)}`);
  const cut = await bob.waitFor("PRIVMSG");
  assertOk(
    cut.params[1].length > 450 && cut.params[1].length < 498,
    String(cut.params[1].length),
  );
});

Deno.test("lines split across writes are joined; a client closing mid-line sends nothing but its QUIT", async () => {
  await using t = await startTestServer();
  const alice = await inChannel(t, "alice");
  const bob = await inChannel(t, "bob");
  await alice.sendRaw("PRIVMSG #c :par");
  await alice.sendRaw("tial\r\nPRIVMSG #c :cr-lf split\r");
  await alice.sendRaw("\nPRIV");
  await alice.sendRaw("MSG #c :whole\r\n");
  assertEquals((await bob.waitFor("PRIVMSG")).params, ["#c", "partial"]);
  assertEquals((await bob.waitFor("PRIVMSG")).params, ["#c", "cr-lf split"]);
  assertEquals((await bob.waitFor("PRIVMSG")).params, ["#c", "whole"]);
  await alice.sendRaw("PRIVMSG #c :never finished");
  await alice.close();
  const quit = await bob.waitFor((m) =>
    m.command === "QUIT" || m.command === "PRIVMSG"
  );
  assertEquals(quit.command, "QUIT");
});

Deno.test("idle clients are PINGed; answering keeps them, silence closes them with ERROR :Ping timeout", async () => {
  await using t = await startTestServer({
    pingInterval: 0.1,
    pingTimeout: 0.5,
  });
  const alice = await inChannel(t, "alice");
  const quiet = await inChannel(t, "quiet");
  for (let round = 0; round < 2; round++) {
    const ping = await alice.waitFor("PING", { timeout: 3000 });
    assertEquals(ping.params, ["tertulia.local"]);
    await alice.send(`PONG :${ping.params[0]}`);
  }
  await quiet.waitFor("PING", { timeout: 3000 });
  assertEquals((await quiet.waitFor("ERROR", { timeout: 3000 })).params, [
    "Ping timeout",
  ]);
  await quiet.closed;
  const quit = await alice.waitFor("QUIT", { timeout: 3000 });
  assertEquals(quit.params, ["Ping timeout"]);
  assertOk(!alice.isClosed);
  assertOk(
    t.logs.some((line) =>
      line.includes("disconnect quiet") && line.includes("(Ping timeout)")
    ),
  );
});

Deno.test("flood control delays a pasted screenful: 50 long lines all arrive, in order, later", async () => {
  await using t = await startTestServer({ floodRate: 100, floodBurst: 5 });
  const alice = await inChannel(t, "alice");
  const bob = await inChannel(t, "bob");
  const lines = Array.from(
    { length: 50 },
    (_, i) => `PRIVMSG #c :${i} ${"z".repeat(400)}`,
  );
  const start = performance.now();
  await alice.sendRaw(lines.join("\r\n") + "\r\n");
  for (let i = 0; i < 50; i++) {
    const message = await bob.waitFor("PRIVMSG");
    assertEquals(message.params[1].split(" ")[0], String(i));
  }
  const elapsed = performance.now() - start;
  assertOk(
    elapsed >= 300,
    `45 lines over the burst at 100/s must take >= 0.45 s, took ${elapsed} ms`,
  );
  assertOk(!alice.isClosed);
  await alice.sync();
});

Deno.test("a client whose delayed input passes the limit is disconnected with Excess Flood", async () => {
  await using t = await startTestServer({
    floodRate: 1,
    floodBurst: 5,
    recvq: 8192,
  });
  const bob = await inChannel(t, "bob");
  const flooder = await t.client("flooder");
  await flooder.send("JOIN #c");
  await bob.waitFor("JOIN");
  const flood = Array.from(
    { length: 100 },
    () => `PRIVMSG #c :${"f".repeat(400)}`,
  );
  await flooder.sendRaw(flood.join("\r\n") + "\r\n").catch(() => {});
  assertEquals((await flooder.waitFor("ERROR")).params, ["Excess Flood"]);
  assertEquals((await bob.waitFor("QUIT")).params, ["Excess Flood"]);
  assertOk(bob.messages.filter((m) => m.command === "PRIVMSG").length <= 5);
});

Deno.test("a client that never reads is dropped with SendQ exceeded; the others receive every message in order", async () => {
  await using t = await startTestServer({ sendq: 65536 });
  const sender = await inChannel(t, "sender");
  const reader = await inChannel(t, "reader");
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  try {
    await stalled.write(
      new TextEncoder().encode("NICK stalled\r\nUSER s 0 * :s\r\nJOIN #c\r\n"),
    );
    await reader.waitFor("JOIN");
    const payload = "p".repeat(440);
    let sent = 0;
    const stalledGone = () =>
      reader.messages.some((m) =>
        m.command === "QUIT" && m.source?.startsWith("stalled!")
      );
    while (!stalledGone() && sent < 40000) {
      const batch = Array.from(
        { length: 250 },
        () => `PRIVMSG #c :${sent++} ${payload}`,
      );
      await sender.sendRaw(batch.join("\r\n") + "\r\n");
      await reader.waitFor(
        (m) =>
          m.command === "PRIVMSG" && m.params[1].startsWith(`${sent - 1} `),
        {
          timeout: 10000,
        },
      );
    }
    const quit = reader.messages.find((m) => m.command === "QUIT")!;
    assertEquals(quit.params, ["SendQ exceeded"]);
    const received = reader.messages.filter((m) => m.command === "PRIVMSG").map(
      (m) => Number(m.params[1].split(" ")[0]),
    );
    assertEquals(received.length, sent);
    assertOk(received.every((n, i) => n === i), "in order, none missing");
    assertOk(
      t.logs.some((line) =>
        line.includes("disconnect stalled") && line.includes("SendQ exceeded")
      ),
    );
  } finally {
    stalled.close();
  }
});

Deno.test("500 concurrent clients each receive one broadcast", async () => {
  await using t = await startTestServer();
  const clients = await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const client = await t.client(`user${i}`);
      await client.send("JOIN #big");
      await client.waitFor("366", { timeout: 20000 });
      return client;
    }),
  );
  await clients[0].sync();
  await clients[0].send("PRIVMSG #big :a todos");
  await Promise.all(
    clients.slice(1).map((client) =>
      client.waitFor(
        (m) => m.command === "PRIVMSG" && m.params[1] === "a todos",
        { timeout: 20000 },
      )
    ),
  );
  assertEquals(t.server.context.state.channels.get("#big")!.members.size, 500);
});

Deno.test("thousands of connections opened and dropped at once leave the server healthy, with no leaked descriptors", async () => {
  // A subprocess, so its descriptors are its own and not other tests'.
  const server = await spawnServer(["--port", "0", "--no-history"]);
  try {
    const openFds = () =>
      [...Deno.readDirSync(`/proc/${server.pid}/fd`)].length;
    const fdsBefore = openFds();
    const encoder = new TextEncoder();
    for (let round = 0; round < 4; round++) {
      const conns = await Promise.all(
        Array.from(
          { length: 500 },
          () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        ),
      );
      await Promise.all(
        conns.map((conn, i) =>
          i % 3 === 0
            ? conn.write(encoder.encode(i % 2 ? "NICK half" : "NICK x\r\nUSER"))
              .catch(() => 0)
            : 0
        ),
      );
      for (const conn of conns) conn.close();
    }
    await waitUntil(
      () => openFds() <= fdsBefore,
      `the server's descriptors return to ${fdsBefore} (now ${openFds()})`,
      20000,
    );
    const alice = await connectClient({ port: server.port });
    await alice.register("alice");
    await alice.send("LUSERS");
    assertIncludes((await alice.waitFor("251")).params[1], "There are 1 users");
    await alice.close();
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

Deno.test("a TLS ClientHello on the plain-text port is logged and closed", async () => {
  await using t = await startTestServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  await conn.write(
    new Uint8Array([
      0x16,
      0x03,
      0x01,
      0x00,
      0x05,
      0x01,
      0x00,
      0x00,
      0x01,
      0x00,
    ]),
  );
  const buffer = new Uint8Array(64);
  assertEquals(await conn.read(buffer).catch(() => null), null);
  conn.close();
  assertOk(
    t.logs.some((line) =>
      line.startsWith("TLS handshake on the plain-text port from 127.0.0.1:")
    ),
    t.logs.join("\n"),
  );
});
