/**
 * History end to end, in-process: what is stored survives a restart on the
 * same file, and is replayed on JOIN in the form each client's capabilities
 * call for; topics come back too; CHATHISTORY answers LATEST, BEFORE and
 * AFTER; without a `db` the server keeps nothing and offers no history caps.
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Message } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import { startTestServer, withServer } from "./helpers/server.ts";
import { MIGRATIONS, openHistory } from "../server/history.ts";

const FULL_CAPS = ["batch", "server-time", "message-tags"];

/** Runs `body` with a temporary folder for the database, removed afterwards. */
async function withDbDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_history_e2e_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Joins `channel` and returns everything received up to and including the end of NAMES. */
async function joinAndCollect(
  client: IrcClient,
  channel: string,
): Promise<Message[]> {
  await client.send(`JOIN ${channel}`);
  await client.waitFor("366");
  await client.sync();
  return [...client.messages];
}

/** The messages after the 366 of the last JOIN and before the PONG of `sync`. */
function afterNames(messages: Message[]): Message[] {
  const start = messages.findLastIndex((m) => m.command === "366") + 1;
  return messages.slice(start).filter((m) => m.command !== "PONG");
}

/** Sends the three kinds of stored lines to `channel` and waits until the server has handled them. */
async function chat(client: IrcClient, channel: string): Promise<void> {
  await client.send(`PRIVMSG ${channel} :hola a todos`);
  await client.send(`NOTICE ${channel} :a notice`);
  await client.send(`PRIVMSG ${channel} :\x01ACTION waves\x01`);
  await client.sync();
}

/** The next `count` channel PRIVMSG/NOTICE lines `client` receives. */
async function nextLines(client: IrcClient, count: number): Promise<Message[]> {
  const seen: Message[] = [];
  while (seen.length < count) {
    seen.push(
      await client.waitFor((m) =>
        m.command === "PRIVMSG" || m.command === "NOTICE"
      ),
    );
  }
  return seen;
}

Deno.test("after a restart on the same file a joiner gets earlier messages in a chathistory batch, in order, with original times and msgids", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    const first = await startTestServer({ db });
    const ana = await first.client("ana");
    const bea = await first.client("bea", FULL_CAPS);
    await joinAndCollect(ana, "#Tertulia");
    await joinAndCollect(bea, "#tertulia");
    await ana.send("TOPIC #tertulia :bienvenidos");
    await bea.waitFor("TOPIC");
    await chat(ana, "#Tertulia");
    const live = await nextLines(bea, 3);
    await first.close();

    const second = await startTestServer({ db });
    try {
      const cai = await second.client("cai", FULL_CAPS);
      const received = afterNames(await joinAndCollect(cai, "#TERTULIA"));
      const topic = cai.messages.find((m) => m.command === "332");
      assertEquals(topic?.params.slice(1), ["#TERTULIA", "bienvenidos"]);
      assertEquals(received.length, 5, JSON.stringify(received));
      const [open, ...rest] = received;
      const close = rest.pop()!;
      assertEquals(open.command, "BATCH");
      const ref = open.params[0].slice(1);
      assertEquals(open.params, [`+${ref}`, "chathistory", "#TERTULIA"]);
      assertEquals(close.params, [`-${ref}`]);
      assertEquals(
        rest.map((m) => [m.command, m.params[1], m.tags.time, m.tags.msgid]),
        live.map((m) => [m.command, m.params[1], m.tags.time, m.tags.msgid]),
      );
      assertOk(rest.every((m) => m.tags.batch === ref));
      assertOk(rest.every((m) => m.source?.startsWith("ana!")));
    } finally {
      await second.close();
    }
  });
});

Deno.test("clients without batch get plain lines marked with their time; server-time alone gets time tags", async () => {
  await withDbDir(async (dir) => {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const ana = await server.client("ana", ["server-time"]);
      await joinAndCollect(ana, "#t");
      await chat(ana, "#t");
      const times = server.server.context.history!.store.latest("#t", 10)
        .map((line) => line.time);
      assertEquals(times.length, 3);

      const plain = await server.client("plain");
      const lines = afterNames(await joinAndCollect(plain, "#t"));
      const stamp = (time: number) =>
        new Date(time).toISOString().replace("T", " ").replace(
          /\.\d+Z$/,
          " UTC",
        );
      assertEquals(lines.map((m) => [m.command, m.params[1]]), [
        ["NOTICE", "Replaying the last 3 messages of #t; times are UTC"],
        ["PRIVMSG", `[${stamp(times[0])}] hola a todos`],
        ["NOTICE", `[${stamp(times[1])}] a notice`],
        ["PRIVMSG", `\x01ACTION [${stamp(times[2])}] waves\x01`],
        ["NOTICE", "End of history of #t"],
      ]);
      assertEquals(lines[0].source, "tertulia.local");
      assertOk(lines.every((m) => Object.keys(m.tags).length === 0));

      const timed = await server.client("timed", ["server-time"]);
      const tagged = afterNames(await joinAndCollect(timed, "#t"));
      assertEquals(
        tagged.slice(1, -1).map((m) => [m.params[1], m.tags.time]),
        [
          ["hola a todos", new Date(times[0]).toISOString()],
          ["a notice", new Date(times[1]).toISOString()],
          ["\x01ACTION waves\x01", new Date(times[2]).toISOString()],
        ],
      );
    });
  });
});

Deno.test("historyLines limits the replay to the newest lines; 0 replays nothing but still stores; CTCP queries are not stored", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    await withServer({ db, historyLines: 2 }, async (server) => {
      const ana = await server.client("ana", ["echo-message"]);
      await joinAndCollect(ana, "#t");
      await ana.send("PRIVMSG #t :\x01VERSION\x01");
      await ana.waitFor("PRIVMSG");
      for (let i = 1; i <= 5; i++) await ana.send(`PRIVMSG #t :line ${i}`);
      for (let i = 1; i <= 5; i++) await ana.waitFor("PRIVMSG");
      const bea = await server.client("bea", FULL_CAPS);
      const lines = afterNames(await joinAndCollect(bea, "#t"));
      assertEquals(lines.slice(1, -1).map((m) => m.params[1]), [
        "line 4",
        "line 5",
      ]);
    });
    await withServer({ db, historyLines: 0 }, async (server) => {
      const cai = await server.client("cai", FULL_CAPS);
      assertEquals(afterNames(await joinAndCollect(cai, "#t")), []);
      assertEquals(
        server.server.context.history!.store.latest("#t", 50).length,
        5,
      );
    });
  });
});

Deno.test("CHATHISTORY LATEST, BEFORE, AFTER, BETWEEN and AROUND answer in batches; bad requests get FAIL", async () => {
  await withDbDir(async (dir) => {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const ana = await server.client("ana", [
        ...FULL_CAPS,
        "echo-message",
        "draft/chathistory",
      ]);
      await joinAndCollect(ana, "#t");
      const sent: Message[] = [];
      for (let i = 0; i < 6; i++) {
        await ana.send(`PRIVMSG #t :m${i}`);
        sent.push(await ana.waitFor("PRIVMSG"));
      }
      const ask = async (request: string) => {
        await ana.send(request);
        const open = await ana.waitFor((m) =>
          m.command === "BATCH" || m.command === "FAIL"
        );
        if (open.command === "FAIL") return open;
        const ref = open.params[0].slice(1);
        assertEquals(open.params.slice(1), ["chathistory", "#t"]);
        await ana.waitFor((m) =>
          m.command === "BATCH" && m.params[0] === `-${ref}`
        );
        return ana.messages.filter((m) => m.tags.batch === ref).map((m) =>
          m.params[1]
        );
      };
      assertEquals(await ask("CHATHISTORY LATEST #t * 2"), ["m4", "m5"]);
      assertEquals(
        await ask(`CHATHISTORY LATEST #t msgid=${sent[3].tags.msgid} 10`),
        ["m4", "m5"],
      );
      assertEquals(
        await ask(`CHATHISTORY BEFORE #t msgid=${sent[3].tags.msgid} 2`),
        ["m1", "m2"],
      );
      const shift = (time: string, ms: number) =>
        new Date(Date.parse(time) + ms).toISOString();
      assertEquals(
        await ask(
          `CHATHISTORY AFTER #t timestamp=${shift(sent[0].tags.time, -1)} 3`,
        ),
        ["m0", "m1", "m2"],
      );
      assertEquals(
        await ask(
          `CHATHISTORY BEFORE #t timestamp=${shift(sent[5].tags.time, 1)} 2`,
        ),
        ["m4", "m5"],
      );
      assertEquals(await ask("CHATHISTORY BEFORE #t msgid=nope 10"), []);
      const id = (i: number) => `msgid=${sent[i].tags.msgid}`;
      assertEquals(await ask(`CHATHISTORY BETWEEN #t ${id(0)} ${id(5)} 2`), [
        "m1",
        "m2",
      ]);
      assertEquals(await ask(`CHATHISTORY BETWEEN #t ${id(5)} ${id(0)} 2`), [
        "m3",
        "m4",
      ]);
      assertEquals(await ask(`CHATHISTORY AROUND #t ${id(2)} 3`), [
        "m1",
        "m2",
        "m3",
      ]);

      const fail = async (request: string) => {
        const answer = await ask(request);
        assertOk(!Array.isArray(answer), `expected FAIL for ${request}`);
        return answer.params.slice(0, 2);
      };
      assertEquals(await fail("CHATHISTORY LATEST #elsewhere * 10"), [
        "CHATHISTORY",
        "INVALID_TARGET",
      ]);
      assertEquals(await fail("CHATHISTORY BEFORE #t * 10"), [
        "CHATHISTORY",
        "INVALID_PARAMS",
      ]);
      assertEquals(await fail("CHATHISTORY LATEST #t * many"), [
        "CHATHISTORY",
        "INVALID_PARAMS",
      ]);
      assertEquals(await fail("CHATHISTORY AROUND #t * 10"), [
        "CHATHISTORY",
        "INVALID_PARAMS",
      ]);
      assertEquals(await fail("CHATHISTORY TARGETS * * 10"), [
        "CHATHISTORY",
        "INVALID_PARAMS",
      ]);
      assertEquals(await fail("CHATHISTORY LATEST #t"), [
        "CHATHISTORY",
        "NEED_MORE_PARAMS",
      ]);
    });
  });
});

Deno.test("with history, CAP LS offers batch and draft/chathistory and ISUPPORT says CHATHISTORY; without a db there is none", async () => {
  await withDbDir(async (dir) => {
    const capsAndIsupport = async (
      server: { connect(): Promise<IrcClient> },
    ) => {
      const client = await server.connect();
      await client.send("CAP LS 302");
      const ls = await client.waitFor("CAP");
      await client.send("CAP END");
      const burst = await client.register("probe");
      const isupport = burst.filter((m) => m.command === "005")
        .flatMap((m) => m.params);
      return { caps: ls.params.at(-1)!.split(" "), isupport };
    };
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const { caps, isupport } = await capsAndIsupport(server);
      assertOk(caps.includes("batch") && caps.includes("draft/chathistory"));
      assertOk(isupport.includes("CHATHISTORY=100"), isupport.join(" "));
    });
    await withServer({}, async (server) => {
      assertEquals(server.server.context.history, undefined);
      const { caps, isupport } = await capsAndIsupport(server);
      assertOk(caps.includes("batch"));
      assertOk(!caps.includes("draft/chathistory"));
      assertOk(!isupport.some((token) => token.startsWith("CHATHISTORY")));
      const ana = await server.client("ana");
      await ana.send("CHATHISTORY LATEST #t * 10");
      assertEquals((await ana.waitFor("421")).params[1], "CHATHISTORY");
    });
  });
});

Deno.test("a database from an older schema version is migrated at start and its lines replayed", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "old.db");
    const old = new DatabaseSync(db);
    old.exec(MIGRATIONS[0]);
    old.exec(
      `INSERT INTO messages (msgid, channel, target, time, source, command, text)
       VALUES ('old-1', '#t', '#t', ${Date.UTC(2025, 0, 2, 3, 4, 5)},
               'ana!ana@127.0.0.1', 'PRIVMSG', 'written by version 1')`,
    );
    old.exec("PRAGMA user_version = 1");
    old.close();
    await withServer({ db }, async (server) => {
      const bea = await server.client("bea", FULL_CAPS);
      const lines = afterNames(await joinAndCollect(bea, "#t"));
      assertEquals(lines[1].params[1], "written by version 1");
      assertEquals(lines[1].tags.time, "2025-01-02T03:04:05.000Z");
      assertEquals(lines[1].tags.msgid, "old-1");
    });
  });
});

Deno.test("historyDays prunes old lines in the background while chat goes on", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    const seed = openHistory({ path: db });
    for (let i = 0; i < 1200; i++) {
      seed.record({
        target: "#t",
        source: "old!o@h",
        command: "PRIVMSG",
        text: `old ${i}`,
        time: Date.now() - 40 * 86_400_000,
      });
    }
    seed.record({
      target: "#t",
      source: "new!n@h",
      command: "PRIVMSG",
      text: "recent",
    });
    seed.close();
    const { promise: pruned, resolve } = Promise.withResolvers<string>();
    await withServer({
      db,
      historyDays: 30,
      log: (line) => line.startsWith("Pruned") && resolve(line),
    }, async (server) => {
      const ana = await server.client("ana", FULL_CAPS);
      assertIncludes(await pruned, "Pruned 1200 history lines");
      const lines = afterNames(await joinAndCollect(ana, "#t"));
      assertEquals(lines.slice(1, -1).map((m) => m.params[1]), ["recent"]);
    });
  });
});
