import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer, waitUntil } from "./helpers/server.ts";
import { peerAvailable } from "./helpers/peer_servers.ts";

// WeeChat (Debian weechat-headless) chats with a raw client through the server:
// it registers (CAP negotiation included), joins, sends, receives and quits.
Deno.test({
  name: "WeeChat joins a channel and chats both ways with another client",
  ignore: !peerAvailable("weechat-headless"),
  async fn() {
    await using t = await startTestServer();
    const ana = await t.client("ana");
    await ana.send("JOIN #plaza");
    await ana.waitFor("366");
    const dir = await Deno.makeTempDir({ prefix: "tertulia-weechat-" });
    const commands = [
      "/set logger.file.flush_delay 0",
      `/server add tertulia 127.0.0.1/${t.port} -notls -nicks=wee -username=wee -realname=WeeChat -autojoin=#plaza`,
      "/connect tertulia",
      "/wait 2 /msg -server tertulia #plaza hola desde weechat",
    ].join(";");
    const weechat = new Deno.Command("weechat-headless", {
      args: ["--dir", dir, "--no-script", "--run-command", commands],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const join = await ana.waitFor(
        (m) => m.command === "JOIN" && m.source?.startsWith("wee!") === true,
        {
          timeout: 15000,
        },
      );
      assertEquals(join.params, ["#plaza"]);
      const message = await ana.waitFor("PRIVMSG", { timeout: 15000 });
      assertEquals(message.params, ["#plaza", "hola desde weechat"]);
      await ana.send("PRIVMSG #plaza :hola wee");
      const log = `${dir}/logs/irc.tertulia.#plaza.weechatlog`;
      await waitUntil(
        () => {
          try {
            return Deno.readTextFileSync(log).includes("hola wee");
          } catch {
            return false;
          }
        },
        "WeeChat logs the reply",
        15000,
      );
      const text = Deno.readTextFileSync(log);
      assertOk(text.includes("ana"), text);
    } finally {
      weechat.kill("SIGTERM");
      await weechat.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
