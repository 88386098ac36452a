/**
 * The client's options: parsed and validated from the settings table in
 * `client/settings.ts`, with the usage text derived from it.
 *
 * @module
 */

import { join } from "node:path";
import { commandFor } from "../settings/launcher.ts";
import { casefold } from "../protocol.ts";
import { mergeValues, readConfigFile } from "../settings/config_file.ts";
import { parseFlags, UsageError, usageText } from "../settings/flags.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";
import {
  asChannel,
  CLIENT_SETTINGS,
  type ClientSettingValues,
  DEFAULT_CHANNEL,
  DEFAULT_HOST,
  DEFAULT_PORT,
} from "./settings.ts";

export { DEFAULT_CHANNEL, DEFAULT_HOST, DEFAULT_PORT };

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
  /** Whether to log in with SASL (`--sasl`) when connecting. Default false. */
  sasl: boolean;
  /** The account to log in to. Default: the nick. */
  account?: string;
  /** A file holding the account password (otherwise the environment or a hidden question). Default none. */
  accountPasswordFile?: string;
  /** Whether `--help` was given. Default false. */
  help: boolean;
  /** Set when `--version` was given. */
  version?: true;
}

/** The outcome of {@link parseClientArgs}: options, or a sentence saying what was wrong. */
export type ParsedArgs =
  | { ok: true; options: ClientOptions }
  | { ok: false; error: string };

/** Help text printed for `--help` and after a bad flag. */
export const USAGE = usageText(CLIENT_SETTINGS, {
  usage: `Usage: ${commandFor("client")} [options]`,
  description: "Chat on a tertulia (or any IRC) server from the terminal.",
  footer: "Type /help once connected to list the chat commands.",
}).trimEnd();

/** Turns setting values (from the command line) into {@link ClientOptions}. */
export function clientOptionsFrom(values: ClientSettingValues): ClientOptions {
  const tls = values.tls === true || values.ca !== undefined;
  const channels: string[] = [];
  for (const name of values.channel ?? [DEFAULT_CHANNEL]) {
    const channel = asChannel(name);
    if (!channels.some((seen) => casefold(seen) === casefold(channel))) {
      channels.push(channel);
    }
  }
  return {
    host: values.host ?? DEFAULT_HOST,
    port: values.port ?? (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT),
    nick: values.nick,
    channels,
    password: values.password,
    tls,
    caFile: values.ca,
    reconnect: values["no-reconnect"] !== true,
    color: values["no-color"] !== true,
    bell: values["no-bell"] !== true,
    sasl: values.sasl === true || values.account !== undefined,
    account: values.account,
    accountPasswordFile: values["account-password-file"],
    help: values.help === true,
    ...(values.version ? { version: true } : {}),
  };
}

/**
 * The config file the client reads when `--config` names none:
 * `$XDG_CONFIG_HOME/tertulia/client.yaml`, else
 * `$HOME/.config/tertulia/client.yaml`; none without either variable.
 */
export function defaultClientConfigPath(
  env: { XDG_CONFIG_HOME?: string; HOME?: string },
): string | undefined {
  const base = env.XDG_CONFIG_HOME || (env.HOME && join(env.HOME, ".config"));
  return base ? join(base, "tertulia", "client.yaml") : undefined;
}

/** Where {@link parseClientArgs} may find a config file. */
export interface ConfigLookup {
  /** The file to read when `--config` is not given; skipped when it does not exist. */
  defaultConfig?: string;
}

/**
 * Parses `args` (as in `Deno.args`) and resolves to {@link ClientOptions},
 * or to a sentence saying what was wrong, never rejecting for a bad flag or
 * file. Settings come from the config file (`--config FILE`, else
 * `lookup.defaultConfig` if it exists), with the flags over them.
 */
export async function parseClientArgs(
  args: string[],
  lookup: ConfigLookup = {},
): Promise<ParsedArgs> {
  try {
    const flags = parseFlags(CLIENT_SETTINGS, args);
    const file = flags.config ??
      (lookup.defaultConfig !== undefined && exists(lookup.defaultConfig)
        ? lookup.defaultConfig
        : undefined);
    const values = file === undefined ? flags : mergeValues(
      CLIENT_SETTINGS,
      await readConfigFile(CLIENT_SETTINGS, file),
      flags,
    );
    return { ok: true, options: clientOptionsFrom(values) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { ok: false, error: error.message };
  }
}

/** Whether to colour output: not with `--no-color`, a non-empty NO_COLOR, or output that is not a terminal. */
export function shouldUseColor(
  flag: boolean,
  noColorEnv: string | undefined,
  isTerminal: boolean,
): boolean {
  return flag && (noColorEnv === undefined || noColorEnv === "") && isTerminal;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
