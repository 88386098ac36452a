/**
 * Durability of history, proven against real server processes: kill -9
 * while 10 clients send loses at most the group-commit window and never
 * duplicates; SIGTERM flushes everything; a second server on the same file,
 * a corrupt file or an unusable folder stops start-up with one sentence; a
 * full disk mid-run is logged and chat goes on.
 */

import { join } from "node:path";
import type { Message } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { connectClient, type IrcClient } from "./helpers/irc_client.ts";
import {
  runServerToExit,
  type ServerProcess,
  spawnServer,
} from "./helpers/server_process.ts";
import { withServer } from "./helpers/server.ts";
import { type HistoryLine, openHistory } from "../server/history.ts";
import { createHistoryHook } from "../server/history_hook.ts";

const ACK_CAPS = ["echo-message", "server-time", "message-tags"];
const SENDERS = 10;
const BURST = 10;

/** Runs `body` with a temporary folder, removed afterwards. */
async function withDbDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_durability_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every line stored for `channel` in the file at `path` (the server must be stopped). */
function storedLines(path: string, channel: string): HistoryLine[] {
  const store = openHistory({ path });
  try {
    return store.latest(channel, 1_000_000);
  } finally {
    store.close();
  }
}

/** Stops `server` with SIGKILL if a test left it running. */
async function reap(server: ServerProcess | undefined): Promise<void> {
  if (server === undefined) return;
  server.kill("SIGKILL");
  await server.exited;
}

/**
 * Connects `SENDERS` clients to `port`, joins them to `channel`, and has each
 * send bursts of lines, waiting for the echo (the acknowledgement) of each
 * burst, until the server goes away. Resolves `enough` once `target` lines
 * are acknowledged. Returns the clients and a promise that settles when all
 * have stopped.
 */
async function sendUntilGone(
  port: number,
  channel: string,
  target: number,
  enough: () => void,
): Promise<{ clients: IrcClient[]; done: Promise<void> }> {
  const clients: IrcClient[] = [];
  for (let i = 0; i < SENDERS; i++) {
    const client = await connectClient({ port });
    await client.register(`s${i}`, { caps: ACK_CAPS });
    await client.send(`JOIN ${channel}`);
    await client.waitFor("366");
    clients.push(client);
  }
  let acknowledged = 0;
  const done = Promise.all(clients.map(async (client, i) => {
    try {
      for (let n = 0;; n += BURST) {
        const texts = Array.from({ length: BURST }, (_, k) => `s${i} ${n + k}`);
        await client.sendRaw(
          texts.map((text) => `PRIVMSG ${channel} :${text}\r\n`).join(""),
        );
        const last = texts[BURST - 1];
        await client.waitFor(
          (m) => m.command === "PRIVMSG" && m.params[1] === last,
          { timeout: 30_000 },
        );
        acknowledged += BURST;
        if (acknowledged >= target) enough();
      }
    } catch {
      // The server was killed: this sender stops.
    }
  })).then(() => {});
  return { clients, done };
}

/** The echoes of their own lines the clients received: what the server acknowledged. */
function acknowledgements(clients: IrcClient[]): Message[] {
  return clients.flatMap((client, i) =>
    client.messages.filter((m) =>
      m.command === "PRIVMSG" && m.source?.startsWith(`s${i}!`)
    )
  );
}

/**
 * kill -9 while `SENDERS` clients send, then checks the file: no line twice,
 * nothing that was not sent, and every acknowledged line relayed at least
 * `windowMs` before the last acknowledged one is there.
 */
async function killNineScenario(windowMs: number): Promise<void> {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    const args = [
      "--port",
      "0",
      "--db",
      db,
      "--flood-rate",
      "0",
      "--history-commit-ms",
      String(windowMs),
    ];
    let server: ServerProcess | undefined = await spawnServer(args);
    try {
      const { promise: enough, resolve } = Promise.withResolvers<void>();
      const { clients, done } = await sendUntilGone(
        server.port,
        "#load",
        1500,
        resolve,
      );
      await enough;
      server.kill("SIGKILL");
      await server.exited;
      await done;
      await Promise.all(clients.map((client) => client.close()));
      server = undefined;

      const acks = acknowledgements(clients);
      const lastAck = Math.max(...acks.map((m) => Date.parse(m.tags.time)));
      const rows = storedLines(db, "#load");
      const storedIds = new Set(rows.map((row) => row.msgid));
      assertEquals(storedIds.size, rows.length, "a msgid stored twice");
      assertEquals(
        new Set(rows.map((row) => row.text)).size,
        rows.length,
        "a line stored twice",
      );
      assertOk(rows.every((row) => /^s\d+ \d+$/.test(row.text)));
      const due = acks.filter((m) =>
        Date.parse(m.tags.time) <= lastAck - windowMs
      );
      const lost = due.filter((m) => !storedIds.has(m.tags.msgid));
      assertOk(acks.length >= 1500 && due.length > 0);
      assertEquals(
        lost.map((m) => `${m.params[1]} at ${m.tags.time}`),
        [],
        `acknowledged lines older than the ${windowMs} ms window are missing (last ack ${
          new Date(lastAck).toISOString()
        })`,
      );

      server = await spawnServer(args);
      const joiner = await connectClient({ port: server.port });
      await joiner.register("joiner", {
        caps: ["batch", "server-time", "message-tags"],
      });
      await joiner.send("JOIN #load");
      const open = await joiner.waitFor("BATCH");
      const ref = open.params[0].slice(1);
      await joiner.waitFor((m) =>
        m.command === "BATCH" && m.params[0] === `-${ref}`
      );
      const replayed = joiner.messages.filter((m) => m.tags.batch === ref);
      assertEquals(
        replayed.map((m) => m.tags.msgid),
        rows.slice(-50).map((row) => row.msgid),
      );
      await joiner.close();
      server.kill("SIGTERM");
      assertEquals((await server.exited).code, 0);
      server = undefined;
    } finally {
      await reap(server);
    }
  });
}

Deno.test("kill -9 while 10 clients send: after restart every line acknowledged before the 50 ms window is there, none twice, in order", async () => {
  await killNineScenario(50);
});

Deno.test("kill -9 with --history-commit-ms 0: every acknowledged line is there", async () => {
  await killNineScenario(0);
});

Deno.test("SIGTERM commits everything still waiting, even with a long commit window", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    let server: ServerProcess | undefined = await spawnServer([
      "--port",
      "0",
      "--db",
      db,
      "--flood-rate",
      "0",
      "--history-commit-ms",
      "600000",
    ]);
    try {
      const ana = await connectClient({ port: server.port });
      await ana.register("ana", { caps: ["echo-message"] });
      await ana.send("JOIN #t");
      await ana.waitFor("366");
      await ana.send("TOPIC #t :kept across restarts");
      await ana.waitFor("TOPIC");
      const texts = Array.from({ length: 200 }, (_, i) => `line ${i}`);
      await ana.sendRaw(
        texts.map((text) => `PRIVMSG #t :${text}\r\n`).join(""),
      );
      await ana.waitFor((m) =>
        m.command === "PRIVMSG" && m.params[1] === "line 199"
      );
      server.kill("SIGTERM");
      assertEquals((await server.exited).code, 0);
      await ana.close();
      server = undefined;
      assertEquals(storedLines(db, "#t").map((row) => row.text), texts);
      const store = openHistory({ path: db });
      assertEquals(store.getTopic("#t")?.text, "kept across restarts");
      store.close();
    } finally {
      await reap(server);
    }
  });
});

Deno.test("a second server on the same file is refused with one sentence; the file is free again once the first dies, even by kill -9", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    const args = ["--port", "0", "--db", db];
    let first: ServerProcess | undefined = await spawnServer(args);
    try {
      const second = await runServerToExit(args);
      assertEquals(second.code, 1);
      assertIncludes(
        second.stderr,
        `error: Cannot open history database ${db}: it is locked by another process, probably another tertulia server (PID `,
      );
      assertEquals(second.stderr.trim().split("\n").length, 1);
      assertIncludes(second.stderr, "--db PATH, or none with --no-history");
      first.kill("SIGKILL");
      await first.exited;
      first = await spawnServer(args);
      first.kill("SIGTERM");
      assertEquals((await first.exited).code, 0);
      first = undefined;
    } finally {
      await reap(first);
    }
  });
});

Deno.test("a corrupt database file stops start-up with one sentence naming it", async () => {
  await withDbDir(async (dir) => {
    const db = join(dir, "chat.db");
    await Deno.writeTextFile(db, "definitely not sqlite\n".repeat(200));
    const result = await runServerToExit(["--port", "0", "--db", db]);
    assertEquals(result.code, 1);
    assertEquals(
      result.stderr.trim(),
      `error: Cannot open history database ${db}: it is corrupt or not an SQLite database (file is not a database).`,
    );
  });
});

Deno.test("a folder that cannot be created stops start-up with one sentence naming it", async () => {
  await withDbDir(async (dir) => {
    const blocker = join(dir, "not-a-folder");
    await Deno.writeTextFile(blocker, "");
    const db = join(blocker, "chat.db");
    const result = await runServerToExit(["--port", "0", "--db", db]);
    assertEquals(result.code, 1);
    assertIncludes(
      result.stderr,
      `error: Cannot create folder ${blocker} for history database ${db}:`,
    );
    assertEquals(result.stderr.trim().split("\n").length, 1);
  });
});

Deno.test("the command line refuses --no-history with --db, and --history that is not a count", async () => {
  const cases: [string[], string][] = [
    [
      ["--no-history", "--db", "x.db"],
      "--no-history cannot be combined with --db",
    ],
    [["--history", "lots"], "--history must be an integer"],
    [["--history-days", "0"], "--history-days must be an integer"],
    [
      ["--history-commit-ms", "99999999999"],
      "--history-commit-ms must be an integer 0-3600000",
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runServerToExit(args);
    assertEquals(result.code, 2);
    assertIncludes(result.stderr, message);
    assertIncludes(result.stderr, "--history-days N");
  }
});

Deno.test("a full disk mid-run is logged once and chat goes on", async () => {
  await withDbDir(async (dir) => {
    const logs: string[] = [];
    const log = (line: string) => logs.push(line);
    const store = openHistory({
      path: join(dir, "small.db"),
      maxBytes: 48 * 1024,
      groupCommitMs: 0,
      log,
    });
    const history = createHistoryHook({
      store,
      replayLines: 50,
      serverName: "tertulia.local",
      log,
    });
    try {
      await withServer({ history }, async (server) => {
        const ana = await server.client("ana");
        const bea = await server.client("bea");
        await ana.send("JOIN #t");
        await ana.waitFor("366");
        await bea.send("JOIN #t");
        await bea.waitFor("366");
        const text = "x".repeat(400);
        for (let i = 0; i < 300; i++) {
          await ana.send(`PRIVMSG #t :${i} ${text}`);
        }
        await bea.waitFor((m) => m.params[1] === `299 ${text}`);
        const failures = logs.filter((line) =>
          line.startsWith("Cannot store history")
        );
        assertEquals(failures.length, 1, logs.join("\n"));
        assertIncludes(failures[0], "full");
        await ana.send("PRIVMSG #t :still talking");
        assertEquals((await bea.waitFor("PRIVMSG")).params[1], "still talking");
      });
    } finally {
      store.close();
    }
  });
});
