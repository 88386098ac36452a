/**
 * Every server setting, declared once: `--help`, the command-line parser,
 * the config file's schema, `--write-config` and `docs/config.md` are all
 * derived from {@link SERVER_SETTINGS}. To add a setting, add a row here
 * (see `settings/setting.ts`).
 *
 * @module
 */

import type { Setting, SettingValues } from "../settings/setting.ts";
import { DEFAULT_CERTS_DIR } from "../tls/dev_certs.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";
import { normalizeOrigin } from "../web/origin.ts";
import { isIpAddress } from "../web/proxy.ts";
import { LOG_FORMATS, LOG_LEVELS } from "./log.ts";
import type { ServerOptions } from "./options.ts";

/** The web listener's port when the command line names none. */
export const DEFAULT_WEB_PORT = 59480;

/** The history database the command line uses unless `--db` or `--no-history` says otherwise. */
export const DEFAULT_DB_PATH = "data/tertulia.db";

/** Whether `text` is a scheme and host with nothing after it (an origin). */
function isOrigin(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\/?#\s]+\/?$/i.test(text) &&
    normalizeOrigin(text) !== undefined;
}

const port = { kind: "integer", min: 0, max: 65535, arg: "N" } as const;
const seconds = { kind: "number", min: 0.001, arg: "SECONDS" } as const;

/** A server setting row: `option` names the {@link ServerOptions} field that takes the value as it is. */
export type ServerSetting = Setting & { option?: keyof ServerOptions };

/** The server's settings table, in `--help` order. */
export const SERVER_SETTINGS = [
  {
    section: "Listening",
    name: "host",
    kind: "word",
    arg: "ADDR",
    default: "127.0.0.1",
    help: "address to listen on",
    live: false,
    option: "host",
  },
  {
    section: "Listening",
    name: "port",
    ...port,
    default: 59420,
    help: "plain-text port, 0 for any free one",
    live: false,
    option: "port",
  },
  {
    section: "Listening",
    name: "name",
    kind: "word",
    arg: "NAME",
    default: "tertulia.local",
    help: "server name",
    live: false,
    option: "name",
  },
  {
    section: "Listening",
    name: "network",
    kind: "word",
    arg: "NAME",
    default: "tertulia",
    help: "network name shown to clients",
    live: false,
    option: "network",
  },
  {
    section: "Listening",
    name: "redis",
    kind: "string",
    arg: "URL",
    defaultText: "none (a network of one server)",
    help:
      "join the network this Redis holds (redis://HOST:PORT[/DB]); each node has its own --name, all share --network",
    live: false,
    option: "redis",
    check: (url) =>
      /^rediss?:\/\/[^\s/]+(\/\d+)?\/?$/.test(url)
        ? undefined
        : "must be a URL like redis://127.0.0.1:6379",
  },
  {
    section: "Listening",
    name: "description",
    kind: "string",
    arg: "TEXT",
    defaultText: "<network> chat server",
    help: "one-line description of the server, shown by WHOIS and LINKS",
    live: true,
    option: "description",
  },
  {
    section: "Clients",
    name: "motd",
    kind: "path",
    defaultText: "none",
    help: "message-of-the-day file",
    live: true,
    option: "motd",
  },
  {
    section: "Clients",
    name: "password",
    kind: "string",
    arg: "PASS",
    defaultText: "none",
    help: "password clients must send with PASS",
    live: true,
    option: "password",
  },
  {
    section: "Clients",
    name: "max-clients",
    kind: "integer",
    min: 0,
    default: 0,
    help: "most simultaneous connections, 0 = no limit",
    live: true,
    option: "maxClients",
  },
  {
    section: "Clients",
    name: "max-per-ip",
    kind: "integer",
    min: 0,
    default: 0,
    help: "most connections per IP address, 0 = no limit",
    live: true,
    option: "maxPerIp",
  },
  {
    section: "Clients",
    name: "ping-interval",
    ...seconds,
    default: 120,
    help: "idle time before a client is PINGed",
    live: true,
    option: "pingInterval",
  },
  {
    section: "Clients",
    name: "ping-timeout",
    ...seconds,
    default: 120,
    help: "time to answer a PING",
    live: true,
    option: "pingTimeout",
  },
  {
    section: "Clients",
    name: "registration-timeout",
    ...seconds,
    default: 60,
    help: "time to register after connecting",
    live: true,
    option: "registrationTimeout",
  },
  {
    section: "Clients",
    name: "flood-rate",
    kind: "number",
    min: 0,
    arg: "LINES",
    default: 10,
    help: "lines per second per client, 0 = no flood control",
    live: true,
    option: "floodRate",
  },
  {
    section: "Clients",
    name: "flood-burst",
    kind: "integer",
    min: 1,
    arg: "LINES",
    default: 20,
    help: "lines a client may send at once",
    live: true,
    option: "floodBurst",
  },
  {
    section: "Clients",
    name: "recvq",
    kind: "integer",
    min: 1024,
    arg: "BYTES",
    default: 262144,
    help: 'delayed input allowed before "Excess Flood"',
    live: true,
    option: "recvq",
  },
  {
    section: "Clients",
    name: "sendq",
    kind: "integer",
    min: 1024,
    arg: "BYTES",
    default: 1048576,
    help: 'unsent output allowed before "SendQ exceeded"',
    live: true,
    option: "sendq",
  },
  {
    section: "TLS",
    name: "tls",
    kind: "boolean",
    help: "also listen for TLS (development certificates unless cert and key)",
    live: false,
  },
  {
    section: "TLS",
    name: "tls-port",
    ...port,
    default: DEFAULT_TLS_PORT,
    help: "TLS port, 0 for any free one (implies tls)",
    live: false,
  },
  {
    section: "TLS",
    name: "cert",
    kind: "path",
    help: "PEM certificate chain for TLS (with key; implies tls)",
    live: true,
  },
  {
    section: "TLS",
    name: "key",
    kind: "path",
    help: "PEM private key for TLS (with cert)",
    live: true,
  },
  {
    section: "TLS",
    name: "tls-only",
    kind: "boolean",
    help: "no plain-text listener (implies tls)",
    live: false,
    option: "tlsOnly",
  },
  {
    section: "TLS",
    name: "certs-dir",
    kind: "path",
    arg: "DIR",
    default: DEFAULT_CERTS_DIR,
    help: "where development certificates live",
    live: false,
  },
  {
    section: "TLS",
    name: "tls-handshake-timeout",
    ...seconds,
    default: 10,
    help: "time a TLS handshake may take",
    live: false,
    option: "tlsHandshakeTimeout",
  },
  {
    section: "Web chat",
    name: "web-port",
    ...port,
    default: DEFAULT_WEB_PORT,
    help: "web chat port (HTTPS with tls), 0 for any free one",
    live: false,
  },
  {
    section: "Web chat",
    name: "web-origin",
    kind: "list",
    arg: "ORIGIN",
    default: [],
    help: "other sites whose pages may use the web chat (repeatable; * = any)",
    live: true,
    check: (origin) =>
      origin === "*" || isOrigin(origin)
        ? undefined
        : "must be an origin like https://chat.example.org",
  },
  {
    section: "Web chat",
    name: "trusted-proxy",
    kind: "list",
    arg: "ADDR",
    default: [],
    help: "proxies whose X-Forwarded-For is believed (repeatable)",
    live: true,
    check: (proxy) => isIpAddress(proxy) ? undefined : "must be an IP address",
  },
  {
    section: "Web chat",
    name: "no-web",
    kind: "boolean",
    help: "no web chat listener",
    live: false,
    excludes: ["web-port", "web-origin", "trusted-proxy"],
  },
  {
    section: "History",
    name: "db",
    kind: "path",
    arg: "PATH",
    default: DEFAULT_DB_PATH,
    help: "SQLite file for channel history",
    live: false,
  },
  {
    section: "History",
    name: "history",
    kind: "integer",
    min: 0,
    default: 50,
    help: "history lines replayed on join, 0 = none",
    live: false,
    option: "historyLines",
  },
  {
    section: "History",
    name: "history-days",
    kind: "integer",
    min: 1,
    defaultText: "keep all",
    help: "prune history older than N days",
    live: false,
    option: "historyDays",
  },
  {
    section: "History",
    name: "history-commit-ms",
    kind: "integer",
    min: 0,
    max: 3_600_000,
    arg: "MS",
    default: 50,
    help: "longest wait before history is on disk, 0 = every line",
    live: false,
    option: "historyCommitMs",
  },
  {
    section: "History",
    name: "no-history",
    kind: "boolean",
    help: "keep no history at all",
    live: false,
    excludes: ["db", "history", "history-days", "history-commit-ms"],
  },
  {
    section: "Logs and metrics",
    name: "log-format",
    kind: "string",
    arg: "FORMAT",
    default: "text",
    help: "text (time and sentence) or json (one object per line)",
    live: true,
    option: "logFormat",
    check: (format) =>
      (LOG_FORMATS as readonly string[]).includes(format)
        ? undefined
        : `must be one of ${LOG_FORMATS.join(", ")}`,
  },
  {
    section: "Logs and metrics",
    name: "log-level",
    kind: "string",
    arg: "LEVEL",
    default: "info",
    help: "least important log lines written: debug, info, warn or error",
    live: true,
    option: "logLevel",
    check: (level) =>
      (LOG_LEVELS as readonly string[]).includes(level)
        ? undefined
        : `must be one of ${LOG_LEVELS.join(", ")}`,
  },
  {
    section: "Logs and metrics",
    name: "metrics-token",
    kind: "string",
    arg: "TOKEN",
    defaultText: "none (loopback only)",
    help:
      "bearer token that lets other hosts read GET /metrics on the web port",
    live: true,
    option: "metricsToken",
  },
  {
    section: "Program",
    name: "config",
    kind: "path",
    place: "flags",
    help:
      "read settings from this YAML file (flags override it; SIGHUP reloads it)",
    live: false,
  },
  {
    section: "Program",
    name: "write-config",
    kind: "path",
    place: "flags",
    help: "write a commented default config file there and exit",
    live: false,
  },
  {
    section: "Accounts",
    name: "min-password-length",
    kind: "integer",
    min: 1,
    max: 100,
    default: 8,
    help: "shortest password REGISTER accepts",
    live: true,
    option: "minPasswordLength",
  },
  {
    section: "Accounts",
    name: "opers",
    kind: "records",
    place: "file",
    fields: {
      name: { required: true, help: "the name given to OPER" },
      hash: {
        required: true,
        help:
          "argon2id hash of the password (deno run -A server.ts hash-password)",
      },
      account: {
        required: false,
        help: "OPER works only for a user logged in to this account",
      },
    },
    defaultText: "none",
    help: "IRC operators (OPER name password)",
    live: true,
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
    kind: "boolean",
    place: "flags",
    help: "show this text",
    live: false,
  },
] as const satisfies readonly ServerSetting[];

/** The values a command line or config file gave for {@link SERVER_SETTINGS}. */
export type ServerSettingValues = SettingValues<typeof SERVER_SETTINGS>;
