/**
 * tertulia's terminal chat client. Connects to a tertulia (or any IRC)
 * server, joins a channel and lets you chat.
 *
 *     deno run -A client.ts [--nick NAME] [--host HOST] [--port PORT] ...
 *
 * Run with `--help` for every flag; type `/help` once connected for the commands.
 *
 * @module
 */

import { runClient } from "./client/app.ts";
import {
  defaultClientConfigPath,
  parseClientArgs,
  shouldUseColor,
  USAGE,
} from "./client/options.ts";
import { VERSION } from "./protocol/version.ts";
import { openTerminal } from "./client/terminal.ts";

/** Runs the client with command-line `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = await parseClientArgs(args, {
    defaultConfig: defaultClientConfigPath({
      XDG_CONFIG_HOME: Deno.env.get("XDG_CONFIG_HOME"),
      HOME: Deno.env.get("HOME"),
    }),
  });
  if (!parsed.ok) {
    console.error(`${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { options } = parsed;
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.version) {
    console.log(VERSION);
    return 0;
  }
  const interrupt = new AbortController();
  const abort = () => interrupt.abort();
  Deno.addSignalListener("SIGINT", abort);
  Deno.addSignalListener("SIGTERM", abort);
  const exit = await runClient(options, {
    terminal: openTerminal(),
    color: shouldUseColor(
      options.color,
      Deno.env.get("NO_COLOR"),
      Deno.stdout.isTerminal(),
    ),
    bell: options.bell && Deno.stdout.isTerminal(),
    interrupt: interrupt.signal,
  });
  if (exit.error !== undefined) console.error(exit.error);
  return exit.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
