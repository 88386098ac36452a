/**
 * Command-line flags for `client.ts`: parsing, validation and the usage text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { casefold, isValidChannel, isValidNick } from "../protocol.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";

/** Server host used when `--host` is not given. */
export const DEFAULT_HOST = "127.0.0.1";
/** Server port used when `--port` is not given. */
export const DEFAULT_PORT = 59420;
/** Channel joined on connect when `--channel` is not given. */
export const DEFAULT_CHANNEL = "#general";

/** Everything the client was asked to do on its command line. */
export interface ClientOptions {
  /** Server host name or address. Default {@link DEFAULT_HOST}. */
  host: string;
  /** Server TCP port. Default {@link DEFAULT_PORT}, or {@link DEFAULT_TLS_PORT} with TLS. */
  port: number;
  /** Nickname to use; when absent the client asks `Username:`. */
  nick?: string;
  /** Channels joined on connect (`--channel`, repeatable); typed text goes to the first. Default [{@link DEFAULT_CHANNEL}]. */
  channels: string[];
  /** Server password, sent with PASS before registering. Default none. */
  password?: string;
  /** Whether to connect with TLS. Default false; `--ca` implies true. */
  tls: boolean;
  /** PEM file with the CA certificate(s) to trust for TLS. Default: the system roots. */
  caFile?: string;
  /** Whether to reconnect after a lost connection. Default true. */
  reconnect: boolean;
  /** False when `--no-color` was given. Default true (NO_COLOR and non-TTY output still turn colour off). */
  color: boolean;
  /** False when `--no-bell` was given: no terminal bell when someone names you. Default true. */
  bell: boolean;
  /** Whether `--help` was given. Default false. */
  help: boolean;
}

/** The outcome of {@link parseClientArgs}: options, or a sentence saying what was wrong. */
export type ParsedArgs =
  | { ok: true; options: ClientOptions }
  | { ok: false; error: string };

/** Help text printed for `--help` and after a bad flag. */
export const USAGE = `Usage: deno run -A client.ts [options]

Chat on a tertulia (or any IRC) server from the terminal.

Options:
  --host HOST      Server to connect to (default ${DEFAULT_HOST})
  --port PORT      Server port (default ${DEFAULT_PORT}, or ${DEFAULT_TLS_PORT} with --tls)
  --nick NAME      Your nickname; without it you are asked for one
  --channel CHAN   Channel to join on connect (default ${DEFAULT_CHANNEL});
                   repeat it to join several
  --password PASS  Server password, if the server needs one
  --tls            Connect with TLS
  --ca FILE        Trust the CA certificate(s) in FILE (implies --tls)
  --no-reconnect   Exit instead of reconnecting when the connection drops
  --no-color       Plain output without colours (also: NO_COLOR=1)
  --no-bell        No terminal bell when someone mentions your nick
  -h, --help       Show this help and exit

Type /help once connected to list the chat commands.`;

/** Parses `args` (as in `Deno.args`) into {@link ClientOptions}, never throwing. */
export function parseClientArgs(args: string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        nick: { type: "string" },
        channel: { type: "string", multiple: true },
        password: { type: "string" },
        tls: { type: "boolean" },
        ca: { type: "string" },
        "no-reconnect": { type: "boolean" },
        "no-color": { type: "boolean" },
        "no-bell": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }

  const host = values.host ?? DEFAULT_HOST;
  if (host === "") return { ok: false, error: "--host needs a host name" };

  const tls = values.tls === true || values.ca !== undefined;
  let port = tls ? DEFAULT_TLS_PORT : DEFAULT_PORT;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      return {
        ok: false,
        error: `--port must be a number from 1 to 65535, not "${values.port}"`,
      };
    }
  }

  if (values.nick !== undefined && !isValidNick(values.nick)) {
    return { ok: false, error: `"${values.nick}" is not a valid nickname` };
  }

  const channels: string[] = [];
  for (const name of values.channel ?? [DEFAULT_CHANNEL]) {
    const channel = name.startsWith("#") ? name : `#${name}`;
    if (!isValidChannel(channel)) {
      return { ok: false, error: `"${name}" is not a valid channel` };
    }
    if (!channels.some((seen) => casefold(seen) === casefold(channel))) {
      channels.push(channel);
    }
  }

  if (values.ca === "") return { ok: false, error: "--ca needs a file name" };

  return {
    ok: true,
    options: {
      host,
      port,
      nick: values.nick,
      channels,
      password: values.password,
      tls,
      caFile: values.ca,
      reconnect: values["no-reconnect"] !== true,
      color: values["no-color"] !== true,
      bell: values["no-bell"] !== true,
      help: values.help === true,
    },
  };
}

/** Whether to colour output: not with `--no-color`, a non-empty NO_COLOR, or output that is not a terminal. */
export function shouldUseColor(
  flag: boolean,
  noColorEnv: string | undefined,
  isTerminal: boolean,
): boolean {
  return flag && (noColorEnv === undefined || noColorEnv === "") && isTerminal;
}
