/**
 * Server settings: the {@link ServerOptions} type with its documented
 * defaults, and the command-line parser that fills it from the settings
 * table in `server/settings.ts`.
 *
 * @module
 */

import { commandFor } from "../settings/launcher.ts";
import { join } from "node:path";
import {
  DEFAULT_REGISTER_THROTTLE,
  DEFAULT_THROTTLE,
  type ThrottlePolicy,
} from "../accounts/throttle.ts";
import { isPasswordHash } from "../accounts/passwords.ts";
import {
  ConfigError,
  defaultConfigText,
  mergeValues,
  readConfigFile,
} from "../settings/config_file.ts";
import {
  checkExclusions,
  parseFlags,
  UsageError,
  usageText,
} from "../settings/flags.ts";
import { DEV_SERVER_NAMES } from "../tls/names.ts";
import { createLog, type Log, type LogFormat, type LogLevel } from "./log.ts";
import {
  DEFAULT_CERTS_DIR,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
} from "../tls/dev_certs.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";
import {
  DEFAULT_DB_PATH,
  DEFAULT_WEB_PORT,
  SERVER_SETTINGS,
  type ServerSettingValues,
} from "./settings.ts";

export { DEFAULT_DB_PATH, DEFAULT_WEB_PORT, UsageError };

/** TLS listener settings: the port and the PEM files for its certificate and private key. */
export interface TlsOptions {
  /** Port for the TLS listener (0 picks a free one). */
  port: number;
  /** Path of the PEM certificate chain. */
  certFile: string;
  /** Path of the PEM private key. */
  keyFile: string;
}

/** Web chat listener settings: HTTP + WebSocket (HTTPS + WSS alongside `tls`). */
export interface WebOptions {
  /** Port for the web listener (0 picks a free one). */
  port: number;
  /** Origins besides the server's own whose pages may open a WebSocket (`*` for any). Default none. */
  origins?: string[];
  /** Reverse-proxy addresses whose `X-Forwarded-For`/`X-Real-IP` headers are believed. Default none. */
  trustedProxies?: string[];
  /** When the port is taken, log it and run without the web listener instead of failing (the command line's default port). Default `false`. */
  optional?: boolean;
}

/** Everything that tunes the server. Each field documents its default. */
export interface ServerOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host: string;
  /** Plain-text port; 0 picks a free one. Default `59420`. */
  port: number;
  /** Server name used as the source of server messages. Default `tertulia.local`. */
  name: string;
  /** Network name advertised in ISUPPORT `NETWORK`. Default `tertulia`. */
  network: string;
  /** One-line description of the server, shown by WHOIS (312) and LINKS. Default `<network> chat server`. */
  description?: string;
  /** Redis holding the network this server is a node of (`cluster/`). Default none: one server alone. */
  redis?: string;
  /** Path of a text file sent as the message of the day; without it clients get 422. Default none. */
  motd?: string;
  /** Connection password clients must give with PASS. Default none (no password). */
  password?: string;
  /** Most simultaneous connections; more are refused with ERROR. 0 means no limit. Default `0`. */
  maxClients: number;
  /** Most simultaneous connections from one IP address. 0 means no limit. Default `0`. */
  maxPerIp: number;
  /** Seconds of silence before a registered client is sent PING. Default `120`. */
  pingInterval: number;
  /** Seconds to wait for any reply to that PING before closing with `Ping timeout`. Default `120`. */
  pingTimeout: number;
  /** Seconds a new connection has to register before it is closed. Default `60`. */
  registrationTimeout: number;
  /** Seconds a TLS handshake may take. Default `10`. */
  tlsHandshakeTimeout: number;
  /** Lines per second each client may send once its burst is used; 0 turns flood control off. Default `10`. */
  floodRate: number;
  /** Lines a client may send at once before flood control delays it. Default `20`. */
  floodBurst: number;
  /** Bytes of delayed (unprocessed) input a client may pile up before `Excess Flood`. Default `262144`. */
  recvq: number;
  /** Bytes of output that may wait for a slow reader before `SendQ exceeded`. Default `1048576`. */
  sendq: number;
  /** TLS listener; default none. */
  tls?: TlsOptions;
  /**
   * Web chat listener (the page and IRC over WebSocket). Default none:
   * `startServer` serves no web unless given one; the command line defaults
   * to port {@link DEFAULT_WEB_PORT} (`--no-web` turns it off).
   */
  web?: WebOptions;
  /** Serve TLS only, with no plain-text listener. Needs `tls`. Default `false`. */
  tlsOnly: boolean;
  /**
   * Where log lines go. Default: stderr, as `logFormat` says. A given
   * function gets the bare sentences (at or above `logLevel`).
   */
  log: Log;
  /** How stderr log lines are written: `text` (ISO time, sentence) or `json` (one object per line). Default `text`. */
  logFormat: LogFormat;
  /** The least important log lines written. Default `info`. */
  logLevel: LogLevel;
  /** Bearer token that lets other than loopback peers read `GET /metrics`. Default none (loopback only). */
  metricsToken?: string;
  /**
   * SQLite file for persistent channel history. Default none: `startServer`
   * keeps no history unless given one; the command line defaults to
   * {@link DEFAULT_DB_PATH} (`--no-history` turns it off).
   */
  db?: string;
  /** History lines replayed to a client when it joins a channel; 0 replays none. Default `50`. */
  historyLines: number;
  /** Days history is kept; older lines are pruned in the background. Default none (kept forever). */
  historyDays?: number;
  /** Longest time, in ms, a history line waits before it is committed (what a crash can lose); 0 commits each line before it is relayed. Default `50`. */
  historyCommitMs: number;
  /** Shortest password REGISTER accepts, in characters. Default `8`. */
  minPasswordLength: number;
  /** Whether REGISTER works before connection registration completes. Default `true`. */
  registerBeforeConnect: boolean;
  /** IRC operators OPER accepts (the `opers` setting). Default none. */
  opers: readonly OperEntry[];
  /** Brakes on failed password checks (SASL, IDENTIFY, OPER). Default {@link DEFAULT_THROTTLE}. */
  loginThrottle: ThrottlePolicy;
  /** Brakes on accounts created from one IP address. Default {@link DEFAULT_REGISTER_THROTTLE}. */
  registerThrottle: ThrottlePolicy;
}

/** One IRC operator, as the `opers` setting lists it. */
export interface OperEntry {
  /** The name given to OPER. */
  name: string;
  /** argon2id hash of the password, as `server.ts hash-password` prints it. */
  hash: string;
  /** When set, OPER works only for a user logged in to this account. */
  account?: string;
}

/** The defaults of every {@link ServerOptions} field: the table's, plus where log lines go. */
export const DEFAULT_OPTIONS: Readonly<ServerOptions> = Object.freeze(
  Object.assign(
    {
      log: createLog({ logFormat: "text", logLevel: "info" }),
    },
    ...SERVER_SETTINGS.flatMap((row) =>
      "option" in row && "default" in row ? [{ [row.option]: row.default }] : []
    ),
    {
      tlsOnly: false,
      registerBeforeConnect: true,
      opers: [],
      loginThrottle: DEFAULT_THROTTLE,
      registerThrottle: DEFAULT_REGISTER_THROTTLE,
    },
  ) as ServerOptions,
);

/** Fills the missing fields of `options` with {@link DEFAULT_OPTIONS}. */
export function resolveOptions(options: Partial<ServerOptions>): ServerOptions {
  const resolved: ServerOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  if (resolved.tlsOnly && resolved.tls === undefined) {
    throw new UsageError("--tls-only needs a TLS listener (--tls-port)");
  }
  return resolved;
}

/** The `--help` text. */
export const USAGE = usageText(SERVER_SETTINGS, {
  usage: `Usage: ${commandFor("server")} [options]`,
  description: "tertulia IRC server.",
});

/** Development certificates the command line asks for: `options.tls` points into `dir`, which must be filled before starting. */
export interface DevCertificateRequest {
  /** Directory for the CA and server certificate. */
  dir: string;
  /** Names the server certificate must cover. */
  names: string[];
}

/**
 * What the command line asks for: the usage text, the version, or a server
 * with these options (and, for TLS without `--cert`/`--key`, development
 * certificates to ensure first).
 */
export type ParsedArgs =
  | { help: true }
  | {
    help: false;
    /** `--version`: print it and exit. */
    version?: true;
    /** `--write-config FILE`: write the commented default config there and exit. */
    writeConfig?: string;
    options: Partial<ServerOptions>;
    devCertificates?: DevCertificateRequest;
    /** `--config FILE`, the flags given beside it and the values they made, to read it again on reload. */
    config?: LoadedConfig;
  };

/** Where the running settings came from: a config file, with command-line flags over it. */
export interface ConfigSource {
  /** The config file's path. */
  file: string;
  /** The values the command line gave (they override the file's). */
  flags: ServerSettingValues;
}

/** A config file as read: its source, and the values of file and flags merged. */
export interface LoadedConfig extends ConfigSource {
  /** The merged values the options were made from. */
  values: ServerSettingValues;
}

/**
 * Parses server command-line arguments strictly, resolving to what they
 * ask for. Rejects with {@link UsageError} for an unknown flag, a missing
 * or bad value, or a stray argument, and a `ConfigError` naming file, line
 * and key for a bad `--config` file.
 */
export async function parseServerArgs(args: string[]): Promise<ParsedArgs> {
  const flags = parseFlags(SERVER_SETTINGS, args);
  if (flags.help) return { help: true };
  if (flags.version) return { help: false, version: true, options: {} };
  const writeConfig = flags["write-config"];
  if (writeConfig !== undefined) {
    return { help: false, writeConfig, options: {} };
  }
  if (flags.config === undefined) return serverOptionsFrom(flags);
  // The flags' own conflicts are the command line's; what is left, the file's.
  checkExclusions(SERVER_SETTINGS, flags);
  const { parsed, config } = await loadServerConfig({
    file: flags.config,
    flags,
  });
  return { ...parsed, config };
}

/**
 * Reads `source.file` again and puts `source.flags` over it. Resolves to
 * the options a start or a reload runs with; rejects with
 * {@link UsageError} naming the file, line and key of a bad setting.
 */
export async function loadServerConfig(source: ConfigSource): Promise<{
  parsed: Exclude<ParsedArgs, { help: true }>;
  config: LoadedConfig;
}> {
  const file = await readConfigFile(SERVER_SETTINGS, source.file);
  const values = mergeValues(SERVER_SETTINGS, file, source.flags);
  try {
    return {
      parsed: serverOptionsFrom(values),
      config: { ...source, values },
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new ConfigError(
      `${source.file}: ${error.message.replaceAll("--", "")}`,
    );
  }
}

/** Resolves to the commented default config file `--write-config` writes. */
export async function defaultServerConfig(): Promise<string> {
  return await defaultConfigText(SERVER_SETTINGS, {
    title: "tertulia server configuration",
    notes: [
      "Start the server with: deno task server --config THIS_FILE",
      "Keys are the long command-line flags without --; flags override this file.",
      "Every setting is commented out at its default: uncomment a line to change it.",
      'Settings marked "changes on reload" take effect on SIGHUP (kill -HUP <pid>);',
      "the others keep their old value until a restart.",
      "Reference: docs/config.md",
    ],
  });
}

/**
 * Turns given setting values (command line, config file, or both merged)
 * into server options: the rows with an `option` field are copied, the
 * history, web and TLS groups are checked for conflicts and assembled.
 */
export function serverOptionsFrom(
  values: ServerSettingValues,
): Exclude<ParsedArgs, { help: true }> {
  const options: Partial<ServerOptions> = {};
  for (const row of SERVER_SETTINGS) {
    const value = values[row.name];
    if ("option" in row && value !== undefined) {
      Object.assign(options, { [row.option]: value });
    }
  }
  if (values.opers !== undefined) options.opers = operEntries(values.opers);
  checkExclusions(SERVER_SETTINGS, values);
  if (!values["no-history"]) {
    options.db = values.db ?? DEFAULT_DB_PATH;
  }
  options.web = webOptions(values);
  const tlsPort = values["tls-port"] ?? DEFAULT_TLS_PORT;
  const { cert, key } = values;
  const certsDir = values["certs-dir"];
  const tls = values.tls || values["tls-port"] !== undefined ||
    cert !== undefined || key !== undefined || values["tls-only"] ||
    certsDir !== undefined;
  if (!tls) return { help: false, options };
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      "--cert and --key go together: give both, or neither to use development certificates",
    );
  }
  if (cert !== undefined && key !== undefined) {
    if (certsDir !== undefined) {
      throw new UsageError(
        "--certs-dir is for development certificates and cannot be combined with --cert and --key",
      );
    }
    options.tls = { port: tlsPort, certFile: cert, keyFile: key };
    return { help: false, options };
  }
  const dir = certsDir ?? DEFAULT_CERTS_DIR;
  options.tls = {
    port: tlsPort,
    certFile: join(dir, SERVER_CERT_FILE),
    keyFile: join(dir, SERVER_KEY_FILE),
  };
  return {
    help: false,
    options,
    devCertificates: { dir, names: devCertificateNames(values.host) },
  };
}

/**
 * Checks the `opers` setting's entries: each needs a `name` and an argon2id
 * `hash` (from `server.ts hash-password`); `account` is optional.
 */
function operEntries(records: readonly Record<string, string>[]): OperEntry[] {
  return records.map((record, index) => {
    const { name, hash, account } = record;
    const where = `opers entry ${index + 1}${name ? ` (${name})` : ""}`;
    if (!name || /\s/.test(name)) {
      throw new UsageError(`${where}: needs a name without spaces`);
    }
    if (!hash || !isPasswordHash(hash)) {
      const hasher = `${commandFor("server")} hash-password`;
      throw new UsageError(
        `${where}: hash must be an argon2id hash from \`${hasher}\``,
      );
    }
    return account ? { name, hash, account } : { name, hash };
  });
}

/** The web listener the values ask for: on by default, off with `no-web`. */
function webOptions(values: ServerSettingValues): WebOptions | undefined {
  if (values["no-web"]) return undefined;
  const port = values["web-port"];
  return {
    port: port ?? DEFAULT_WEB_PORT,
    origins: values["web-origin"] ?? [],
    trustedProxies: values["trusted-proxy"] ?? [],
    optional: port === undefined,
  };
}

/** Addresses that mean "every interface", which no certificate can name. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

/** The development certificate's names: localhost and 127.0.0.1, plus `host` when it is a specific address or name. */
function devCertificateNames(host: string | undefined): string[] {
  const names = [...DEV_SERVER_NAMES];
  if (
    host !== undefined && !WILDCARD_HOSTS.has(host) && !names.includes(host)
  ) names.push(host);
  return names;
}
