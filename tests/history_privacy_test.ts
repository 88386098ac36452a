/**
 * History privacy through real sockets: once a `+s`, `+k` or `+i` channel
 * has emptied (or the server restarted), whoever re-creates it gets none of
 * its replay, CHATHISTORY or topic; members of the living channel still
 * do, and lines written while a channel was public stay readable.
 */

import { join } from "node:path";
import type { Message } from "../protocol.ts";
import { assertEquals } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import {
  startTestServer,
  type TestServer,
  waitUntil,
} from "./helpers/server.ts";

const CAPS = ["batch", "server-time", "message-tags", "draft/chathistory"];

async function withDb(body: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_privacy_" });
  try {
    await body(join(dir, "chat.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Joins and returns the texts replayed after NAMES, and the topic shown (332), if any. */
async function joinReplay(
  client: IrcClient,
  channel: string,
  key = "",
): Promise<{ texts: string[]; topic: string | undefined }> {
  await client.send(`JOIN ${channel} ${key}`.trim());
  const seen: Message[] = [];
  seen.push(await client.waitFor((m) => m.command === "366"));
  await client.sync();
  const all = client.messages;
  const start = all.findLastIndex((m) => m.command === "JOIN");
  const after = all.slice(start);
  const topic = after.find((m) => m.command === "332")?.params[2];
  const texts = after.filter((m) => m.command === "PRIVMSG").map((m) =>
    m.params[1]
  );
  return { texts, topic };
}

/** The texts CHATHISTORY LATEST gives `client` for `channel`. */
async function latest(client: IrcClient, channel: string): Promise<string[]> {
  await client.send(`CHATHISTORY LATEST ${channel} * 50`);
  const open = await client.waitFor((m) =>
    m.command === "BATCH" && m.params[0].startsWith("+")
  );
  const ref = open.params[0].slice(1);
  await client.waitFor((m) =>
    m.command === "BATCH" && m.params[0] === `-${ref}`
  );
  return client.messages.filter((m) =>
    m.command === "PRIVMSG" && m.tags.batch === ref
  ).map((m) => m.params[1]);
}

/** Ana makes `channel` with `modes`, sets a topic, says `texts` and leaves it empty. */
async function privateChatThenLeave(
  server: TestServer,
  channel: string,
  modes: string,
  texts: string[],
): Promise<void> {
  const ana = await server.client("ana", CAPS);
  await joinReplay(ana, channel);
  await ana.send(`MODE ${channel} ${modes}`);
  await ana.waitFor("MODE");
  await ana.send(`TOPIC ${channel} :secret plans`);
  await ana.waitFor("TOPIC");
  for (const text of texts) await ana.send(`PRIVMSG ${channel} :${text}`);
  await ana.send(`PART ${channel}`);
  await ana.waitFor("PART");
  await ana.close();
}

for (const modes of ["+sk sesame", "+s", "+k sesame", "+i"]) {
  Deno.test(`a stranger re-creating an emptied ${modes} channel gets no replay, CHATHISTORY or topic`, async () => {
    await withDb(async (db) => {
      await using server = await startTestServer({ db });
      await privateChatThenLeave(server, "#cuarto", modes, ["uno", "dos"]);
      const eve = await server.client("eve", CAPS);
      const seen = await joinReplay(eve, "#cuarto");
      assertEquals(seen, { texts: [], topic: undefined });
      assertEquals(await latest(eve, "#cuarto"), []);
      // New lines of the new incarnation are its members' to read.
      await eve.send("PRIVMSG #cuarto :mine now");
      const bob = await server.client("bob", CAPS);
      assertEquals((await joinReplay(bob, "#cuarto")).texts, ["mine now"]);
    });
  });
}

Deno.test("after a restart the history of a +sk channel is not given to whoever re-creates it", async () => {
  await withDb(async (db) => {
    const first = await startTestServer({ db });
    // Ana stays in the channel: the server stops with it still private.
    const ana = await first.client("ana", CAPS);
    await joinReplay(ana, "#cuarto");
    await ana.send("MODE #cuarto +sk sesame");
    await ana.waitFor("MODE");
    await ana.send("PRIVMSG #cuarto :before the restart");
    await ana.sync();
    await first.close();

    await using second = await startTestServer({ db });
    const eve = await second.client("eve", CAPS);
    assertEquals((await joinReplay(eve, "#cuarto")).texts, []);
    assertEquals(await latest(eve, "#cuarto"), []);
  });
});

Deno.test("members of a living private channel get its history, and public-era lines stay readable", async () => {
  await withDb(async (db) => {
    await using server = await startTestServer({ db });
    const ana = await server.client("ana", CAPS);
    await joinReplay(ana, "#sala");
    await ana.send("PRIVMSG #sala :public times");
    await ana.sync();
    // Times are in ms and a period's edges are hidden: the mode change must
    // come a millisecond after the public line for that line to stay public.
    const [written] = server.server.context.history!.store.latest("#sala", 1);
    await waitUntil(() => Date.now() > written.time, "the clock moves on");
    await ana.send("MODE #sala +k sesame");
    await ana.waitFor("MODE");
    await ana.send("PRIVMSG #sala :keyed times");
    await ana.sync();
    const bob = await server.client("bob", CAPS);
    assertEquals((await joinReplay(bob, "#sala", "sesame")).texts, [
      "public times",
      "keyed times",
    ]);
    assertEquals(await latest(bob, "#sala"), ["public times", "keyed times"]);
    await ana.send("PART #sala");
    await bob.send("PART #sala");
    await bob.waitFor("PART");
    await ana.waitFor("PART");

    const eve = await server.client("eve", CAPS);
    assertEquals((await joinReplay(eve, "#sala")).texts, ["public times"]);
    assertEquals(await latest(eve, "#sala"), ["public times"]);
  });
});

Deno.test("a public channel's history is still replayed to whoever re-creates it", async () => {
  await withDb(async (db) => {
    await using server = await startTestServer({ db });
    const ana = await server.client("ana", CAPS);
    await joinReplay(ana, "#plaza");
    await ana.send("TOPIC #plaza :open to all");
    await ana.send("PRIVMSG #plaza :hola");
    await ana.send("PART #plaza");
    await ana.waitFor("PART");
    const eve = await server.client("eve", CAPS);
    assertEquals(await joinReplay(eve, "#plaza"), {
      texts: ["hola"],
      topic: "open to all",
    });
  });
});

Deno.test("a registered +s channel keeps its history through a restart, and hides it once dropped and re-created", async () => {
  await withDb(async (db) => {
    {
      await using first = await startTestServer({ db });
      const ana = await first.client("ana", [
        ...CAPS,
        "draft/account-registration",
      ]);
      await ana.send("REGISTER * * :ana-password");
      await ana.waitFor("900", { timeout: 30_000 });
      await joinReplay(ana, "#club");
      await ana.send("PRIVMSG ChanServ :REGISTER #club");
      await ana.waitFor("NOTICE");
      await ana.send("MODE #club +s");
      await ana.waitFor("MODE");
      await ana.send("PART #club");
      await ana.waitFor("PART");
    }
    await using second = await startTestServer({ db });
    const ana = await second.client("ana_", CAPS);
    await ana.send("NS IDENTIFY ana ana-password");
    await ana.waitFor("900", { timeout: 30_000 });
    await joinReplay(ana, "#club");
    await ana.send("PRIVMSG #club :after the restart");
    await ana.sync();
    assertEquals(await latest(ana, "#club"), ["after the restart"]);
    await ana.send("CS DROP #club");
    await ana.waitFor((m) =>
      m.command === "NOTICE" && m.params[1].includes("no longer registered")
    );
    await ana.send("PART #club");
    await ana.waitFor("PART");
    const eve = await second.client("eve", CAPS);
    assertEquals((await joinReplay(eve, "#club")).texts, []);
    assertEquals(await latest(eve, "#club"), []);
  });
});
