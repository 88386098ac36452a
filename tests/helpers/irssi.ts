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

/** Options for {@link startIrssi}. */
export interface IrssiOptions {
  /**
   * Connect with TLS, verifying the server's certificate against this PEM CA
   * file. irssi then connects to `localhost`, not `127.0.0.1`: it matches only
   * DNS names of the certificate, never IP addresses. Default: plain text.
   */
  tlsCaFile?: string;
}

/**
 * Starts irssi in tmux, connecting to `port` on this machine as `nick`:
 * plain text through irssi's `-c`/`-p`/`-n`, or TLS through a typed
 * `/connect -tls`. The returned session's `close()` also removes irssi's home.
 */
export async function startIrssi(
  port: number,
  nick: string,
  options: IrssiOptions = {},
): Promise<TmuxSession> {
  const home = await Deno.makeTempDir({ prefix: "tertulia-irssi-" });
  await Deno.writeTextFile(join(home, "config"), irssiConfig(nick));
  const connect = options.tlsCaFile === undefined
    ? ["-c", "127.0.0.1", "-p", String(port)]
    : ["-!"];
  const session = await startTmux([
    "irssi",
    `--home=${home}`,
    ...connect,
    "-n",
    nick,
  ]);
  if (options.tlsCaFile !== undefined) {
    await session.typeLine(
      `/connect -4 -tls -tls_verify -tls_cafile ${options.tlsCaFile} localhost ${port}`,
    );
  }
  return {
    ...session,
    async close() {
      await session.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}
