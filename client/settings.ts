/**
 * Every client setting, declared once: `--help`, the command-line parser
 * and the docs are derived from {@link CLIENT_SETTINGS} (see
 * `settings/setting.ts`); `client/options.ts` turns the values into
 * {@link ClientOptions}. To add a setting, add a row here and read it there.
 *
 * @module
 */

import { isValidChannel, isValidNick } from "../protocol.ts";
import type { Setting, SettingValues } from "../settings/setting.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";

/** Server host used when `--host` is not given. */
export const DEFAULT_HOST = "127.0.0.1";
/** Server port used when `--port` is not given (without TLS). */
export const DEFAULT_PORT = 59420;
/** Channel joined on connect when `--channel` is not given. */
export const DEFAULT_CHANNEL = "#general";

/** `name` as a channel: `#` is optional when typing it. */
export function asChannel(name: string): string {
  return name.startsWith("#") ? name : `#${name}`;
}

/** The client's settings table, in `--help` order. */
export const CLIENT_SETTINGS = [
  {
    section: "Connection",
    name: "host",
    kind: "word",
    arg: "HOST",
    default: DEFAULT_HOST,
    help: "server to connect to",
    live: false,
  },
  {
    section: "Connection",
    name: "port",
    kind: "integer",
    min: 1,
    max: 65535,
    arg: "PORT",
    defaultText: `${DEFAULT_PORT}, or ${DEFAULT_TLS_PORT} with --tls`,
    help: "server port",
    live: false,
  },
  {
    section: "Connection",
    name: "tls",
    kind: "boolean",
    help: "connect with TLS",
    live: false,
  },
  {
    section: "Connection",
    name: "ca",
    kind: "path",
    defaultText: "the system's roots",
    help: "trust the CA certificate(s) in FILE (implies --tls)",
    live: false,
  },
  {
    section: "Connection",
    name: "password",
    kind: "string",
    arg: "PASS",
    defaultText: "none",
    help: "server password, if the server needs one",
    live: false,
  },
  {
    section: "Connection",
    name: "no-reconnect",
    kind: "boolean",
    help: "exit instead of reconnecting when the connection drops",
    live: false,
  },
  {
    section: "Chat",
    name: "nick",
    kind: "word",
    arg: "NAME",
    defaultText: "asked",
    help: "your nickname; without it you are asked for one",
    check: (nick) => isValidNick(nick) ? undefined : "is not a valid nickname",
    live: false,
  },
  {
    section: "Chat",
    name: "channel",
    kind: "list",
    arg: "CHAN",
    default: [DEFAULT_CHANNEL],
    help: "channels to join on connect (# optional); repeat it or list them",
    check: (name) =>
      isValidChannel(asChannel(name)) ? undefined : "is not a valid channel",
    live: false,
  },
  {
    section: "Account",
    name: "sasl",
    kind: "boolean",
    help: "log in to your account (SASL) when connecting; the password is " +
      "read from --account-password-file, $TERTULIA_ACCOUNT_PASSWORD or a " +
      "hidden question",
    live: false,
  },
  {
    section: "Account",
    name: "account",
    kind: "word",
    arg: "NAME",
    defaultText: "your nick",
    help: "the account to log in to (implies --sasl)",
    live: false,
  },
  {
    section: "Account",
    name: "account-password-file",
    kind: "path",
    help: "file whose first line is the account password",
    live: false,
  },
  {
    section: "Screen",
    name: "no-color",
    kind: "boolean",
    help: "plain output without colours (also: NO_COLOR=1)",
    live: false,
  },
  {
    section: "Screen",
    name: "no-bell",
    kind: "boolean",
    help: "no terminal bell when someone mentions your nick",
    live: false,
  },
  {
    section: "Program",
    name: "config",
    kind: "path",
    place: "flags",
    help:
      "read settings from this YAML file (default ~/.config/tertulia/client.yaml, when it exists)",
    live: false,
  },
  {
    section: "Program",
    name: "version",
    kind: "boolean",
    place: "flags",
    help: "print the version and exit",
    live: false,
  },
  {
    section: "Program",
    name: "help",
    short: "h",
    kind: "boolean",
    place: "flags",
    help: "show this help and exit",
    live: false,
  },
] as const satisfies readonly Setting[];

/** The values a command line (or config file) gave for {@link CLIENT_SETTINGS}. */
export type ClientSettingValues = SettingValues<typeof CLIENT_SETTINGS>;
