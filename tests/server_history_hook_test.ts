import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import type { HistoryHook } from "../server.ts";
import { sendFromServer } from "../server/delivery.ts";
import type { History } from "../server/history.ts";

Deno.test("the history hook records channel PRIVMSG/NOTICE, replays after NAMES on JOIN, and saves/restores topics", async () => {
  const events: string[] = [];
  const history: HistoryHook = {
    // Only CHATHISTORY reads the store, and this test never sends it.
    store: {} as History,
    nextBatchRef: () => "b1",
    record(channel, relay) {
      events.push(
        `record ${channel.name} ${relay.command} ${relay.params.at(-1)} ${
          relay.msgid !== undefined
        }`,
      );
    },
    replay(channel, user) {
      events.push(`replay ${channel.name} ${user.nick}`);
      sendFromServer(user, "tertulia.local", "NOTICE", [
        user.nick,
        `history of ${channel.name}`,
      ]);
    },
    saveTopic(channel) {
      events.push(`save ${channel.name} ${channel.topic?.text}`);
    },
    restoreTopic(channel) {
      events.push(`restore ${channel.name}`);
      channel.topic = { text: "stored topic", setter: "old", setAt: 0 };
    },
  };
  await using t = await startTestServer({ history });
  const alice = await t.client("alice");
  await alice.send("JOIN #c");
  assertEquals((await alice.waitFor("332")).params.slice(1), [
    "#c",
    "stored topic",
  ]);
  await alice.waitFor("366");
  assertEquals((await alice.waitFor("NOTICE")).params[1], "history of #c");
  await alice.send("PRIVMSG #c :uno");
  await alice.send("NOTICE #c :dos");
  await alice.send("PRIVMSG alice :private, not recorded");
  await alice.send("@+typing=active TAGMSG #c");
  await alice.send("TOPIC #c :nuevo");
  await alice.waitFor("TOPIC");
  assertEquals(events, [
    "restore #c",
    "replay #c alice",
    "record #c PRIVMSG uno true",
    "record #c NOTICE dos true",
    "save #c nuevo",
  ]);
  assertOk(
    alice.messages.findIndex((m) => m.command === "366") <
      alice.messages.findIndex((m) => m.command === "NOTICE"),
  );
});
