/**
 * The history store on its own: storage across reopen, ordering, CHATHISTORY
 * queries, topics, pruning, schema migration, and the one-sentence errors for
 * files that cannot be used.
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertThrows,
} from "./helpers/assert.ts";
import {
  type History,
  HistoryError,
  type HistoryOptions,
  MIGRATIONS,
  openHistory,
  SCHEMA_VERSION,
} from "../server/history.ts";

/** Runs `body` with a fresh temporary folder, removed afterwards. */
async function withTempDir(
  body: (dir: string) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_history_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a store at `path`, runs `body`, and closes it whatever happens. */
async function withStore(
  options: HistoryOptions,
  body: (history: History) => void | Promise<void>,
): Promise<void> {
  const history = openHistory(options);
  try {
    await body(history);
  } finally {
    history.close();
  }
}

function say(history: History, target: string, text: string, time?: number) {
  return history.record({
    target,
    source: "ana!ana@127.0.0.1",
    command: "PRIVMSG",
    text,
    time,
  });
}

Deno.test("lines survive close and reopen, in order, with msgid and time", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "nested", "folder", "chat.db");
    const recorded: string[] = [];
    await withStore({ path }, (history) => {
      const first = say(history, "#Tertulia", "hola");
      recorded.push(first.msgid);
      recorded.push(
        history.record({
          target: "#tertulia",
          source: "bea!bea@127.0.0.1",
          command: "NOTICE",
          text: "a notice",
        }).msgid,
      );
      recorded.push(say(history, "#tertulia", "\x01ACTION waves\x01").msgid);
      say(history, "#other", "elsewhere");
      assertOk(Math.abs(first.time - Date.now()) < 60_000);
    });
    await withStore({ path }, (history) => {
      const lines = history.latest("#TERTULIA", 50);
      assertEquals(lines.map((line) => line.msgid), recorded);
      assertEquals(lines.map((line) => line.text), [
        "hola",
        "a notice",
        "\x01ACTION waves\x01",
      ]);
      assertEquals(lines.map((line) => line.command), [
        "PRIVMSG",
        "NOTICE",
        "PRIVMSG",
      ]);
      assertEquals(lines[0].target, "#Tertulia");
      assertOk(
        lines[0].time <= lines[1].time && lines[1].time <= lines[2].time,
      );
      assertEquals(new Set(lines.map((line) => line.msgid)).size, 3);
      assertEquals(history.latest("#other", 50).length, 1);
    });
  });
});

Deno.test("latest returns only the newest lines, oldest first, and sees unflushed lines", async () => {
  await withTempDir(async (dir) => {
    await withStore(
      { path: join(dir, "h.db"), groupCommitMs: 60_000 },
      (history) => {
        for (let i = 0; i < 10; i++) say(history, "#c", `line ${i}`);
        assertEquals(
          history.latest("#c", 3).map((line) => line.text),
          ["line 7", "line 8", "line 9"],
        );
      },
    );
  });
});

Deno.test("a recorded msgid is stored once even if recorded twice", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, (history) => {
      const line = say(history, "#c", "once");
      history.record(line);
      assertEquals(history.latest("#c", 10).length, 1);
    });
  });
});

Deno.test("before, after and latest-after answer by msgid and by time", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, (history) => {
      const base = Date.UTC(2026, 0, 1);
      const lines = Array.from(
        { length: 10 },
        (_, i) => say(history, "#c", `m${i}`, base + i * 1000),
      );
      const texts = (found: { text: string }[]) =>
        found.map((line) => line.text);
      assertEquals(texts(history.before("#c", { msgid: lines[5].msgid }, 2)), [
        "m3",
        "m4",
      ]);
      assertEquals(texts(history.after("#c", { msgid: lines[5].msgid }, 2)), [
        "m6",
        "m7",
      ]);
      assertEquals(texts(history.before("#c", { time: base + 2000 }, 5)), [
        "m0",
        "m1",
      ]);
      assertEquals(texts(history.after("#c", { time: base + 7000 }, 5)), [
        "m8",
        "m9",
      ]);
      assertEquals(
        texts(history.latest("#c", 2, { msgid: lines[3].msgid })),
        ["m8", "m9"],
      );
      assertEquals(
        texts(history.latest("#c", 50, { time: base + 7500 })),
        ["m8", "m9"],
      );
      assertEquals(history.before("#c", { msgid: "unknown" }, 5), []);
      assertEquals(history.before("#other", { msgid: lines[5].msgid }, 5), []);
    });
  });
});

Deno.test("between counts from its first reference either way; around centres on its reference", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, (history) => {
      const base = Date.UTC(2026, 0, 1);
      const lines = Array.from(
        { length: 10 },
        (_, i) => say(history, "#c", `m${i}`, base + i * 1000),
      );
      say(history, "#other", "elsewhere", base + 4500);
      const texts = (found: { text: string }[]) =>
        found.map((line) => line.text);
      const id = (i: number) => ({ msgid: lines[i].msgid });
      assertEquals(texts(history.between("#c", id(2), id(7), 3)), [
        "m3",
        "m4",
        "m5",
      ]);
      assertEquals(texts(history.between("#c", id(7), id(2), 3)), [
        "m4",
        "m5",
        "m6",
      ]);
      assertEquals(texts(history.between("#c", id(2), id(3), 10)), []);
      assertEquals(texts(history.between("#c", id(4), id(4), 10)), []);
      assertEquals(
        texts(
          history.between("#c", { time: base + 1000 }, {
            time: base + 4000,
          }, 10),
        ),
        ["m2", "m3"],
      );
      assertEquals(
        texts(
          history.between("#c", { time: base + 9000 }, { time: base }, 10),
        ),
        ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"],
      );
      assertEquals(history.between("#c", { msgid: "nope" }, id(3), 10), []);
      assertEquals(texts(history.around("#c", id(5), 1)), ["m5"]);
      assertEquals(texts(history.around("#c", id(5), 3)), ["m4", "m5", "m6"]);
      assertEquals(texts(history.around("#c", id(0), 3)), ["m0", "m1"]);
      assertEquals(texts(history.around("#c", { time: base + 4500 }, 4)), [
        "m3",
        "m4",
        "m5",
        "m6",
      ]);
      assertEquals(history.around("#c", { msgid: "nope" }, 3), []);
    });
  });
});

Deno.test("timestamp references split equal times correctly and ignore other channels' lines", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, (history) => {
      const a = [1000, 1000, 2000, 3000];
      const b = [500, 1500, 2500, 3500];
      const other: string[] = [];
      for (let i = 0; i < 4; i++) {
        say(history, "#a", `a${a[i]}-${i}`, a[i]);
        other.push(say(history, "#b", `b${b[i]}`, b[i]).msgid);
      }
      const texts = (lines: { text: string }[]) =>
        lines.map((line) => line.text);
      assertEquals(texts(history.before("#a", { time: 2000 }, 10)), [
        "a1000-0",
        "a1000-1",
      ]);
      assertEquals(texts(history.before("#a", { time: 1000 }, 10)), []);
      assertEquals(texts(history.after("#a", { time: 1000 }, 10)), [
        "a2000-2",
        "a3000-3",
      ]);
      assertEquals(texts(history.after("#a", { time: 999 }, 1)), ["a1000-0"]);
      assertEquals(texts(history.after("#a", { time: 3000 }, 10)), []);
      assertEquals(texts(history.latest("#a", 10, { time: 2000 })), [
        "a3000-3",
      ]);
      assertEquals(texts(history.before("#a", { time: 9999 }, 2)), [
        "a2000-2",
        "a3000-3",
      ]);
      assertEquals(history.after("#a", { msgid: other[1] }, 10), []);
      assertEquals(history.after("#empty", { time: 0 }, 10), []);
    });
  });
});

Deno.test("topics are stored per channel, survive reopen and can be cleared", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "h.db");
    await withStore({ path }, (history) => {
      history.setTopic("#Tertulia", {
        text: "bienvenidos",
        setBy: "ana",
        setAt: 1_700_000_000_000,
      });
      history.setTopic("#gone", { text: "x", setBy: "ana", setAt: 1 });
      history.setTopic("#gone", undefined);
    });
    await withStore({ path }, (history) => {
      assertEquals(history.getTopic("#tertulia"), {
        text: "bienvenidos",
        setBy: "ana",
        setAt: 1_700_000_000_000,
      });
      assertEquals(history.getTopic("#gone"), undefined);
      assertEquals(history.getTopic("#never"), undefined);
    });
  });
});

Deno.test("prune deletes only older lines, in steps, and reports the count", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, async (history) => {
      const old = Date.now() - 10 * 86_400_000;
      for (let i = 0; i < 1234; i++) say(history, "#c", `old ${i}`, old + i);
      say(history, "#c", "new");
      assertEquals(await history.prune(Date.now() - 86_400_000), 1234);
      assertEquals(history.latest("#c", 50).map((line) => line.text), ["new"]);
      assertEquals(await history.prune(Date.now() - 86_400_000), 0);
    });
  });
});

Deno.test("prune stops at the first line recent enough, in relay order", async () => {
  await withTempDir(async (dir) => {
    await withStore({ path: join(dir, "h.db") }, async (history) => {
      const cutoff = Date.now() - 86_400_000;
      say(history, "#c", "old 1", cutoff - 2000);
      say(history, "#c", "old 2", cutoff - 1);
      say(history, "#c", "exactly at the cutoff", cutoff);
      say(history, "#c", "stamped early by a clock step", cutoff - 5000);
      say(history, "#c", "new", Date.now());
      assertEquals(await history.prune(cutoff), 2);
      assertEquals(history.latest("#c", 50).map((line) => line.text), [
        "exactly at the cutoff",
        "stamped early by a clock step",
        "new",
      ]);
      assertEquals(await history.prune(Date.now() + 1), 3);
      assertEquals(await history.prune(Date.now() + 1), 0);
    });
  });
});

Deno.test("retentionMs prunes in the background and logs what it pruned", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "h.db");
    await withStore({ path }, (history) => {
      say(history, "#c", "ancient", Date.now() - 3 * 86_400_000);
      say(history, "#c", "recent");
    });
    const { promise: pruned, resolve } = Promise.withResolvers<string>();
    await withStore(
      { path, retentionMs: 86_400_000, log: resolve },
      async (history) => {
        assertIncludes(await pruned, `Pruned 1 history lines older than`);
        assertEquals(history.latest("#c", 50).map((line) => line.text), [
          "recent",
        ]);
      },
    );
  });
});

Deno.test("a version 1 database is migrated and keeps its lines", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "old.db");
    const old = new DatabaseSync(path);
    old.exec(MIGRATIONS[0]);
    old.exec(
      `INSERT INTO messages (msgid, channel, target, time, source, command, text)
       VALUES ('m-1', '#c', '#C', 1000, 'ana!a@h', 'PRIVMSG', 'from v1')`,
    );
    old.exec("PRAGMA user_version = 1");
    old.close();
    await withStore({ path }, (history) => {
      assertEquals(history.latest("#c", 10), [{
        msgid: "m-1",
        time: 1000,
        target: "#C",
        source: "ana!a@h",
        command: "PRIVMSG",
        text: "from v1",
      }]);
      history.setTopic("#c", { text: "topics need v2", setBy: "a", setAt: 2 });
      assertEquals(history.getTopic("#c")?.text, "topics need v2");
    });
    const check = new DatabaseSync(path);
    const row = check.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    check.close();
    assertEquals(row.user_version, SCHEMA_VERSION);
  });
});

Deno.test("a database of a newer schema version is refused", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "new.db");
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    const error = assertThrows(() => openHistory({ path }), HistoryError);
    assertIncludes(error.message, path);
    assertIncludes(error.message, "newer");
  });
});

Deno.test("a second store on the same file is refused while the first holds it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "h.db");
    await withStore({ path }, () => {
      const error = assertThrows(() => openHistory({ path }), HistoryError);
      assertEquals(
        error.message,
        `Cannot open history database ${path}: it is locked by another process, probably another tertulia server (PID ${Deno.pid}). To run another server, give it its own file with --db PATH, or none with --no-history.`,
      );
    });
    openHistory({ path }).close();
  });
});

Deno.test("another process cannot open the file, and gets it once the first closes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "h.db");
    const probe = `
      import { openHistory } from ${
      JSON.stringify(new URL("../server/history.ts", import.meta.url).href)
    };
      try { openHistory({ path: ${
      JSON.stringify(path)
    } }).close(); console.log("opened"); }
      catch (error) { console.log(error.message); }`;
    const run = async () => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["eval", probe],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      return new TextDecoder().decode(output.stdout).trim();
    };
    await withStore({ path }, async () => {
      assertIncludes(await run(), "is locked by another process");
    });
    assertEquals(await run(), "opened");
  });
});

Deno.test("other programs can read the database while a store holds it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "h.db");
    await withStore({ path }, async (history) => {
      say(history, "#c", "visible to readers");
      history.flush();
      const probe = `
        import { DatabaseSync } from "node:sqlite";
        const db = new DatabaseSync(${
        JSON.stringify(path)
      }, { readOnly: true });
        console.log(db.prepare("SELECT text FROM messages").get().text);`;
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["eval", probe],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      assertEquals(
        new TextDecoder().decode(output.stdout).trim(),
        "visible to readers",
      );
      assertEquals(
        (await Deno.readTextFile(`${path}.lock`)).trim(),
        String(Deno.pid),
      );
    });
  });
});

Deno.test("a corrupt file is refused with one sentence naming it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "corrupt.db");
    await Deno.writeTextFile(path, "this is not sqlite ".repeat(500));
    const error = assertThrows(() => openHistory({ path }), HistoryError);
    assertEquals(
      error.message,
      `Cannot open history database ${path}: it is corrupt or not an SQLite database (file is not a database).`,
    );
  });
});

Deno.test("a database damaged past its first page is refused at open", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "damaged.db");
    await withStore({ path }, (history) => {
      for (let i = 0; i < 3000; i++) say(history, `#c${i % 7}`, `line ${i}`);
    });
    const file = await Deno.open(path, { read: true, write: true });
    await file.seek(4096 * 3, Deno.SeekMode.Start);
    await file.write(new Uint8Array(4096 * 2).fill(0x5a));
    file.close();
    const error = assertThrows(() => openHistory({ path }), HistoryError);
    assertIncludes(
      error.message,
      `Cannot open history database ${path}: it is corrupt (`,
    );
    assertEquals(error.message.split("\n").length, 1);
  });
});

Deno.test("a folder that cannot be created is named in the error", async () => {
  await withTempDir(async (dir) => {
    const blocker = join(dir, "file");
    await Deno.writeTextFile(blocker, "");
    const path = join(blocker, "sub", "h.db");
    const error = assertThrows(() => openHistory({ path }), HistoryError);
    assertIncludes(
      error.message,
      `Cannot create folder ${join(blocker, "sub")}`,
    );
    assertIncludes(error.message, path);
  });
});

Deno.test("a folder given as the database path is refused", async () => {
  await withTempDir((dir) => {
    const error = assertThrows(() => openHistory({ path: dir }), HistoryError);
    assertEquals(
      error.message,
      `Cannot open history database ${dir}: it is a folder, not a file.`,
    );
  });
});

Deno.test({
  name: "a read-only file is refused",
  ignore: Deno.uid() === 0,
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "ro.db");
      openHistory({ path }).close();
      await Deno.chmod(path, 0o444);
      const error = assertThrows(() => openHistory({ path }), HistoryError);
      assertIncludes(error.message, path);
      assertIncludes(error.message, "read-only");
    });
  },
});

Deno.test({
  name: "a folder without write permission is refused",
  ignore: Deno.uid() === 0,
  fn: async () => {
    await withTempDir(async (dir) => {
      const locked = join(dir, "locked");
      await Deno.mkdir(locked, { mode: 0o555 });
      const path = join(locked, "h.db");
      const error = assertThrows(() => openHistory({ path }), HistoryError);
      assertEquals(
        error.message,
        `Cannot open history database ${path}: its folder is not writable (permission denied).`,
      );
      await Deno.chmod(locked, 0o755);
    });
  },
});

Deno.test("a full disk is logged once, chat goes on, and recovery is logged", async () => {
  await withTempDir(async (dir) => {
    const logged: string[] = [];
    await withStore(
      {
        path: join(dir, "h.db"),
        maxBytes: 64 * 1024,
        log: (line) => logged.push(line),
      },
      async (history) => {
        const text = "x".repeat(400);
        for (let i = 0; i < 400; i++) {
          say(history, "#c", text, Date.now() - 86_400_000);
          history.flush();
        }
        assertEquals(logged.length, 1);
        assertIncludes(logged[0], "Cannot store history in");
        assertIncludes(logged[0], "full");
        assertOk(history.latest("#c", 1000).length < 400);
        await history.prune(Date.now());
        say(history, "#c", "after cleanup");
        history.flush();
        assertEquals(logged.length, 2);
        assertIncludes(logged[1], "works again");
        assertEquals(history.latest("#c", 5).map((line) => line.text), [
          "after cleanup",
        ]);
      },
    );
  });
});
