/**
 * History replay as a third-party IRCv3 library sees it: irc-framework asks
 * for `batch` and `server-time` on its own, and must receive the replay as a
 * `chathistory` batch whose messages carry their original times.
 */

import { join } from "node:path";
import { assertEquals } from "./helpers/assert.ts";
import {
  connectBot,
  type IrcEvent,
  nextEvent,
  quitBot,
} from "./helpers/irc_framework.ts";
import { withServer } from "./helpers/server.ts";

Deno.test("irc-framework gets the replay on join as a chathistory batch with the original times", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_history_interop_" });
  try {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const ana = await server.client("ana");
      await ana.send("JOIN #tertulia");
      await ana.waitFor("366");
      await ana.send("PRIVMSG #tertulia :primero");
      await ana.send("PRIVMSG #tertulia :\x01ACTION saluda\x01");
      await ana.sync();
      const stored = server.server.context.history!.store.latest(
        "#tertulia",
        10,
      );

      const bot = await connectBot(server.port, "Bot");
      const replayed: IrcEvent[] = [];
      const collect = (event: IrcEvent) => replayed.push(event);
      bot.on("privmsg", collect);
      bot.on("action", collect);
      const batchEnd = nextEvent(bot, "batch end chathistory");
      bot.join("#tertulia");
      const batch = await batchEnd;
      assertEquals(batch.params, ["#tertulia"]);
      assertEquals(
        replayed.map((event) => [
          event.message,
          event.time,
          (event.batch as { type: string }).type,
        ]),
        [
          ["primero", stored[0].time, "chathistory"],
          ["saluda", stored[1].time, "chathistory"],
        ],
      );
      await quitBot(bot, "bye");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
