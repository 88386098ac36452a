/**
 * Runs irssi (Debian package irssi) in tmux, connected to a local server,
 * with a throwaway home directory so no user configuration leaks in.
 *
 * @module
 */

import { join } from "node:path";
import { startTmux, type TmuxSession } from "./tmux.ts";

/** irssi settings for a test run: fixed identity, nothing written back. */
function irssiConfig(nick: string): string {
  return `settings = {
  core = {
    real_name = "irssi interop peer";
    user_name = "irssi";
    nick = "${nick}";
    settings_autosave = "no";
    awaylog_file = "";
  };
  # No client-side flood protection: it would delay commands by seconds.
  "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "1000"; };
  "fe-common/core" = { autolog = "no"; beep_msg_level = ""; };
};
`;
}

/**
 * Starts irssi in tmux, connecting to 127.0.0.1:`port` as `nick` (irssi's
 * `-c`/`-p`/`-n`). The returned session's `close()` also removes irssi's home.
 */
export async function startIrssi(
  port: number,
  nick: string,
): Promise<TmuxSession> {
  const home = await Deno.makeTempDir({ prefix: "tertulia-irssi-" });
  await Deno.writeTextFile(join(home, "config"), irssiConfig(nick));
  const session = await startTmux([
    "irssi",
    `--home=${home}`,
    "-c",
    "127.0.0.1",
    "-p",
    String(port),
    "-n",
    nick,
  ]);
  return {
    ...session,
    async close() {
      await session.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}
