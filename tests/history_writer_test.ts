/**
 * The history store with its writer thread: reads answer from committed and
 * still-queued lines alike, and what another connection to the file sees
 * proves when lines are on disk: once a line a window later is recorded,
 * at once with a window of 0, and after forget, flush and close.
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { assertEquals } from "./helpers/assert.ts";
import {
  type History,
  type HistoryLine,
  type HistoryOptions,
  openHistory,
} from "../server/history.ts";

/** Opens a store in a fresh folder, runs `body` with it and the file's path, then closes and removes both. */
async function withStore(
  options: Omit<HistoryOptions, "path">,
  body: (history: History, path: string) => void | Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_writer_" });
  const path = join(dir, "h.db");
  const history = openHistory({ ...options, path });
  try {
    await body(history, path);
  } finally {
    history.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The texts of the lines another connection finds on disk, in row order. */
function onDisk(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT text FROM messages ORDER BY id").all() as {
      text: string;
    }[]).map((row) => row.text);
  } finally {
    db.close();
  }
}

function say(history: History, text: string, time: number): HistoryLine {
  return history.record({
    target: "#c",
    source: "ana!ana@127.0.0.1",
    command: "PRIVMSG",
    text,
    time,
  });
}

const texts = (lines: HistoryLine[]) => lines.map((line) => line.text);

Deno.test("every CHATHISTORY query answers alike whether its lines are committed, queued or both", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history, path) => {
    const base = Date.UTC(2026, 0, 1);
    const lines: HistoryLine[] = [];
    for (let i = 0; i < 5; i++) lines.push(say(history, `m${i}`, base + i));
    history.flush();
    for (let i = 5; i < 10; i++) lines.push(say(history, `m${i}`, base + i));
    history.record({ ...lines[2] });
    history.record({
      target: "#other",
      source: "bea!bea@127.0.0.1",
      command: "PRIVMSG",
      text: "elsewhere",
      time: base + 6,
    });
    assertEquals(onDisk(path), ["m0", "m1", "m2", "m3", "m4"]);
    const id = (i: number) => ({ msgid: lines[i].msgid });
    const answers = () => ({
      latest: texts(history.latest("#C", 3)),
      all: texts(history.latest("#c", 50)),
      latestAfter: texts(history.latest("#c", 50, id(3))),
      latestAfterTime: texts(history.latest("#c", 2, { time: base + 1 })),
      before: texts(history.before("#c", id(6), 3)),
      beforeTime: texts(history.before("#c", { time: base + 7 }, 4)),
      after: texts(history.after("#c", id(3), 3)),
      afterTime: texts(history.after("#c", { time: base + 3 }, 3)),
      between: texts(history.between("#c", id(2), id(8), 10)),
      betweenBack: texts(history.between("#c", id(8), id(2), 2)),
      around: texts(history.around("#c", id(5), 3)),
      aroundTime: texts(history.around("#c", { time: base + 4 }, 4)),
    });
    const expected = {
      latest: ["m7", "m8", "m9"],
      all: ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"],
      latestAfter: ["m4", "m5", "m6", "m7", "m8", "m9"],
      latestAfterTime: ["m8", "m9"],
      before: ["m3", "m4", "m5"],
      beforeTime: ["m3", "m4", "m5", "m6"],
      after: ["m4", "m5", "m6"],
      afterTime: ["m4", "m5", "m6"],
      between: ["m3", "m4", "m5", "m6", "m7"],
      betweenBack: ["m6", "m7"],
      around: ["m4", "m5", "m6"],
      aroundTime: ["m2", "m3", "m4", "m5"],
    };
    assertEquals(answers(), expected);
    history.flush();
    assertEquals(onDisk(path), [...expected.all, "elsewhere"]);
    assertEquals(answers(), expected);
  });
});

Deno.test("a line is on disk for other connections once a line one window later is recorded", async () => {
  await withStore({ groupCommitMs: 1000 }, (history, path) => {
    const base = Date.now();
    say(history, "first", base);
    say(history, "half a window later", base + 500);
    assertEquals(onDisk(path), []);
    say(history, "a window later", base + 1000);
    assertEquals(onDisk(path), ["first", "half a window later"]);
    assertEquals(texts(history.latest("#c", 5)), [
      "first",
      "half a window later",
      "a window later",
    ]);
  });
});

Deno.test("with a window of 0 every line is on disk when record returns", async () => {
  await withStore({ groupCommitMs: 0 }, (history, path) => {
    const base = Date.now();
    say(history, "one", base);
    assertEquals(onDisk(path), ["one"]);
    say(history, "two", base);
    assertEquals(onDisk(path), ["one", "two"]);
  });
});

Deno.test("a msgid recorded again after it was committed is read and stored once", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history, path) => {
    const line = say(history, "once", Date.now());
    history.flush();
    history.record(line);
    say(history, "next", Date.now());
    assertEquals(texts(history.latest("#c", 10)), ["once", "next"]);
    history.flush();
    assertEquals(onDisk(path), ["once", "next"]);
  });
});

Deno.test("forget removes a queued line and a committed one, from reads and from the file", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history, path) => {
    const now = Date.now();
    const committed = say(history, "committed", now);
    say(history, "kept", now);
    history.flush();
    const queued = say(history, "queued", now);
    assertEquals(history.forget("#C", queued.msgid), true);
    assertEquals(history.forget("#c", committed.msgid), true);
    assertEquals(history.forget("#c", committed.msgid), false);
    assertEquals(history.forget("#other", "unknown"), false);
    assertEquals(onDisk(path), ["kept"]);
    assertEquals(texts(history.latest("#c", 10)), ["kept"]);
  });
});

Deno.test("a queued topic is read back, a cleared one reads as none, before and after it is committed", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history) => {
    const topic = { text: "bienvenidos", setBy: "ana", setAt: 1 };
    history.setTopic("#a", topic);
    history.setTopic("#b", { text: "soon gone", setBy: "ana", setAt: 2 });
    history.flush();
    history.setTopic("#b", undefined);
    history.setTopic("#c", { text: "queued", setBy: "bea", setAt: 3 });
    const read = () => ["#A", "#b", "#c"].map((c) => history.getTopic(c));
    const expected = [topic, undefined, {
      text: "queued",
      setBy: "bea",
      setAt: 3,
    }];
    assertEquals(read(), expected);
    history.flush();
    assertEquals(read(), expected);
  });
});

Deno.test("stats count the writes queued and the commits made", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history) => {
    say(history, "a", Date.now());
    say(history, "b", Date.now());
    history.setTopic("#c", { text: "t", setBy: "ana", setAt: 1 });
    assertEquals(history.stats().queued, 3);
    assertEquals(history.stats().commits, 0);
    history.flush();
    const stats = history.stats();
    assertEquals([stats.queued, stats.commits], [0, 1]);
    assertEquals(stats.commitSeconds, stats.lastCommitSeconds);
  });
});

Deno.test("lines of any characters reach the file as they were recorded", async () => {
  await withStore({ groupCommitMs: 60_000 }, (history, path) => {
    const lines = ["ñandú 🦤 come", "\x01ACTION 日本語で話す\x01", "", "plain"]
      .map((text, i) =>
        history.record({
          target: i % 2 === 0 ? "#Café" : "#café",
          source: `ñu${i}!ü@höst`,
          command: i === 2 ? "NOTICE" : "PRIVMSG",
          text,
          time: 1000 + i,
        })
      );
    history.flush();
    assertEquals(onDisk(path), lines.map((line) => line.text));
    assertEquals(history.latest("#CAFé", 10), lines);
  });
});
