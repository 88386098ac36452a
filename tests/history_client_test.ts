/**
 * History in tertulia's own client: it asks for `batch` and `server-time`,
 * and shows lines replayed from the server's history dimmed and with their
 * date, both from the session logic and from the real client process.
 */

import { join } from "node:path";
import { parseMessage, serializeMessage } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { withServer } from "./helpers/server.ts";
import {
  type ClientEvent,
  formatDateTime,
  renderEvent,
} from "../client/render.ts";
import {
  type ChatState,
  createChatState,
  resetConnection,
} from "../client/chat_state.ts";
import { handleServerMessage } from "../client/server_messages.ts";

const now = new Date(Date.UTC(2026, 10, 25, 15, 0, 0));

function feed(state: ChatState, line: string) {
  return handleServerMessage(state, parseMessage(line), now);
}

function messages(state: ChatState, ...lines: string[]) {
  return lines.flatMap((line) => feed(state, line).events).filter((
    event,
  ): event is Extract<ClientEvent, { kind: "message" }> =>
    event.kind === "message"
  );
}

Deno.test("the client asks for batch and server-time when offered, and ends CAP after the answer", () => {
  const state = createChatState("ana", ["#general"]);
  const ask = feed(state, ":srv CAP * LS :echo-message batch server-time");
  assertEquals(ask.replies.map(serializeMessage), [
    "CAP REQ :batch echo-message server-time",
  ]);
  assertEquals(
    feed(state, ":srv CAP * ACK :batch server-time").replies.map(
      serializeMessage,
    ),
    ["CAP END"],
  );
  const other = createChatState("bea");
  assertEquals(feed(other, ":srv CAP * LS * :away-notify").replies, []);
  assertEquals(
    feed(other, ":srv CAP * LS :sasl=PLAIN").replies.map(serializeMessage),
    ["CAP REQ :away-notify sasl"],
  );
  const old = createChatState("cai");
  assertEquals(feed(old, ":srv 421 cai CAP :Unknown command").events, []);
});

Deno.test("lines inside a chathistory batch or stamped long ago are replayed; live lines are not", () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":srv 001 ana :Welcome");
  feed(state, ":ana!a@h JOIN #general");
  const events = messages(
    state,
    "@time=2026-11-25T10:00:00.000Z :bea!b@h PRIVMSG #general :hours ago",
    ":srv BATCH +h1 chathistory #general",
    "@batch=h1;time=2026-11-25T14:59:59.000Z :bea!b@h PRIVMSG #general :from history",
    ":srv BATCH -h1",
    "@time=2026-11-25T14:59:59.500Z :bea!b@h PRIVMSG #general :live",
    "@batch=h1 :bea!b@h PRIVMSG #general :after the batch closed",
  );
  assertEquals(
    events.map((event) => [event.text, event.replayed]),
    [
      ["hours ago", true],
      ["from history", true],
      ["live", false],
      ["after the batch closed", false],
    ],
  );
});

Deno.test("after a reconnect, replayed lines already shown are skipped and replayed CTCP requests are not answered", () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":srv 001 ana :Welcome");
  feed(state, ":ana!a@h JOIN #general");
  const first = messages(
    state,
    ":srv BATCH +h1 chathistory #general",
    "@batch=h1;time=2026-11-25T14:00:00.000Z :bea!b@h PRIVMSG #general :old",
    "@batch=h1;time=2026-11-25T14:01:00.000Z :bea!b@h PRIVMSG #general :\x01VERSION\x01",
    ":srv BATCH -h1",
    "@time=2026-11-25T14:59:00.000Z :bea!b@h PRIVMSG #general :live before the drop",
  );
  assertEquals(first.map((event) => event.text), [
    "old",
    "live before the drop",
  ]);
  resetConnection(state);
  feed(state, ":srv 001 ana :Welcome");
  feed(state, ":ana!a@h JOIN #general");
  const replay = [
    ":srv BATCH +h2 chathistory #general",
    "@batch=h2;time=2026-11-25T14:00:00.000Z :bea!b@h PRIVMSG #general :old",
    "@batch=h2;time=2026-11-25T14:01:00.000Z :bea!b@h PRIVMSG #general :\x01VERSION\x01",
    "@batch=h2;time=2026-11-25T14:59:00.000Z :bea!b@h PRIVMSG #general :live before the drop",
    "@batch=h2;time=2026-11-25T14:59:30.000Z :bea!b@h PRIVMSG #general :said while ana was away",
    ":srv BATCH -h2",
  ];
  const outcomes = replay.map((line) => feed(state, line));
  assertEquals(outcomes.flatMap((outcome) => outcome.replies), []);
  assertEquals(
    outcomes.flatMap((outcome) => outcome.events).map((event) =>
      event.kind === "message" ? [event.text, event.replayed] : event.kind
    ),
    ["history", ["said while ana was away", true], "history", "users"],
  );
});

Deno.test("a replayed line is drawn dimmed with its date; without colour the date marks it", () => {
  const time = new Date(2026, 10, 24, 9, 7);
  const event: ClientEvent = {
    kind: "message",
    time,
    from: "bea",
    target: "#general",
    text: "hola",
    self: false,
    private: false,
    action: false,
    notice: false,
    elsewhere: false,
    replayed: true,
  };
  assertEquals(renderEvent(event), ["[2026-11-24 09:07] bea: hola"]);
  assertEquals(renderEvent(event, { color: true }), [
    "\x1b[2m[2026-11-24 09:07] bea: hola\x1b[0m",
  ]);
  assertEquals(renderEvent({ ...event, replayed: false }), [
    "[09:07] bea: hola",
  ]);
});

Deno.test("the real client shows history replayed on join with its date, and live lines as usual", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_client_history_" });
  try {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const bea = await server.client("bea");
      await bea.send("JOIN #general");
      await bea.waitFor("366");
      await bea.send("PRIVMSG #general :said before ana came");
      await bea.sync();
      const [stored] = server.server.context.history!.store.latest(
        "#general",
        1,
      );
      await using ana = spawnClient([
        "--port",
        String(server.port),
        "--nick",
        "ana",
      ]);
      await ana.waitForOutput("Users online (#general): @bea, ana\n");
      await ana.waitForOutput(
        `[${
          formatDateTime(new Date(stored.time))
        }] bea: said before ana came\n`,
      );
      await bea.send("PRIVMSG #general :live now");
      const live = await ana.waitForOutput(/\[\d\d:\d\d\] bea: live now\n/);
      assertOk(live.length > 0);
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
