/**
 * Server settings: the {@link ServerOptions} type with its documented
 * defaults, and the command-line parser that fills it.
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEV_SERVER_NAMES } from "../tls/names.ts";
import {
  DEFAULT_CERTS_DIR,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
} from "../tls/dev_certs.ts";
import { DEFAULT_TLS_PORT } from "../tls/port.ts";
import { normalizeOrigin } from "../web/origin.ts";
import { isIpAddress } from "../web/proxy.ts";

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

/** The web listener's port when the command line names none. */
export const DEFAULT_WEB_PORT = 59480;

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
  /** Where log lines go. Default: `console.error` with an ISO timestamp. */
  log: (line: string) => void;
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
}

/** The history database the command line uses unless `--db` or `--no-history` says otherwise. */
export const DEFAULT_DB_PATH = "data/tertulia.db";

/** The defaults of every {@link ServerOptions} field. */
export const DEFAULT_OPTIONS: Readonly<ServerOptions> = {
  host: "127.0.0.1",
  port: 59420,
  name: "tertulia.local",
  network: "tertulia",
  maxClients: 0,
  maxPerIp: 0,
  pingInterval: 120,
  pingTimeout: 120,
  registrationTimeout: 60,
  tlsHandshakeTimeout: 10,
  floodRate: 10,
  floodBurst: 20,
  recvq: 262144,
  sendq: 1048576,
  tlsOnly: false,
  historyLines: 50,
  historyCommitMs: 50,
  log: (line) => console.error(`${new Date().toISOString()} ${line}`),
};

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

/** A bad command line: the message says what is wrong; callers print usage and exit 2. */
export class UsageError extends Error {
  /** Creates the error with a one-line explanation. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The `--help` text. */
export const USAGE = `Usage: deno run -A server.ts [options]

tertulia IRC server.

Options:
  --host ADDR                 address to listen on (default 127.0.0.1)
  --port N                    plain-text port, 0 for any free one (default 59420)
  --name NAME                 server name (default tertulia.local)
  --network NAME              network name shown to clients (default tertulia)
  --motd FILE                 message-of-the-day file (default none)
  --password PASS             password clients must send with PASS (default none)
  --max-clients N             most simultaneous connections, 0 = no limit (default 0)
  --max-per-ip N              most connections per IP address, 0 = no limit (default 0)
  --ping-interval SECONDS     idle time before a client is PINGed (default 120)
  --ping-timeout SECONDS      time to answer a PING (default 120)
  --registration-timeout SECONDS  time to register after connecting (default 60)
  --flood-rate LINES          lines per second per client, 0 = no flood control (default 10)
  --flood-burst LINES         lines a client may send at once (default 20)
  --recvq BYTES               delayed input allowed before "Excess Flood" (default 262144)
  --sendq BYTES               unsent output allowed before "SendQ exceeded" (default 1048576)
  --tls                       also listen for TLS (port 59421); without --cert and
                              --key, development certificates are made in certs/
  --tls-port N                TLS port, 0 for any free one (default 59421; implies --tls)
  --cert FILE                 PEM certificate chain for TLS (with --key; implies --tls)
  --key FILE                  PEM private key for TLS (with --cert)
  --tls-only                  no plain-text listener (implies --tls)
  --certs-dir DIR             where development certificates live (default certs)
  --tls-handshake-timeout SECONDS  time a TLS handshake may take (default 10)
  --web-port N                web chat port (HTTP, and HTTPS with --tls), 0 for any free one
                              (default 59480)
  --web-origin ORIGIN         another site whose pages may connect to the web chat, e.g.
                              https://chat.example.org (repeatable or comma-separated; * = any)
  --trusted-proxy ADDR        reverse proxy whose X-Forwarded-For/X-Real-IP is believed
                              (repeatable or comma-separated)
  --no-web                    no web chat listener
  --db PATH                   SQLite file for channel history (default data/tertulia.db)
  --history N                 history lines replayed on join, 0 = none (default 50)
  --history-days N            prune history older than N days (default: keep all)
  --history-commit-ms MS      longest wait before history is on disk, 0 = every line (default 50)
  --no-history                keep no history at all
  --help                      show this text
`;

/** Development certificates the command line asks for: `options.tls` points into `dir`, which must be filled before starting. */
export interface DevCertificateRequest {
  /** Directory for the CA and server certificate. */
  dir: string;
  /** Names the server certificate must cover. */
  names: string[];
}

/**
 * What the command line asks for: the usage text, or a server with these
 * options (and, for TLS without `--cert`/`--key`, development certificates
 * to ensure first).
 */
export type ParsedArgs =
  | { help: true }
  | {
    help: false;
    options: Partial<ServerOptions>;
    devCertificates?: DevCertificateRequest;
  };

function number(
  flag: string,
  text: string | undefined,
  check: { min: number; max?: number; integer: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (
    text.trim() === "" || !Number.isFinite(value) ||
    (check.integer && !Number.isInteger(value)) || value < check.min ||
    (check.max !== undefined && value > check.max)
  ) {
    const kind = check.integer ? "an integer" : "a number";
    const range = check.max === undefined
      ? `>= ${check.min}`
      : `${check.min}-${check.max}`;
    throw new UsageError(`--${flag} must be ${kind} ${range}, got "${text}"`);
  }
  return value;
}

/**
 * Parses server command-line arguments strictly. Throws {@link UsageError}
 * for an unknown flag, a missing or bad value, or a stray argument.
 */
export function parseServerArgs(args: string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        name: { type: "string" },
        network: { type: "string" },
        motd: { type: "string" },
        password: { type: "string" },
        "max-clients": { type: "string" },
        "max-per-ip": { type: "string" },
        "ping-interval": { type: "string" },
        "ping-timeout": { type: "string" },
        "registration-timeout": { type: "string" },
        "flood-rate": { type: "string" },
        "flood-burst": { type: "string" },
        recvq: { type: "string" },
        sendq: { type: "string" },
        tls: { type: "boolean" },
        "tls-port": { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        "tls-only": { type: "boolean" },
        "certs-dir": { type: "string" },
        "tls-handshake-timeout": { type: "string" },
        db: { type: "string" },
        history: { type: "string" },
        "history-days": { type: "string" },
        "history-commit-ms": { type: "string" },
        "no-history": { type: "boolean" },
        "web-port": { type: "string" },
        "web-origin": { type: "string", multiple: true },
        "trusted-proxy": { type: "string", multiple: true },
        "no-web": { type: "boolean" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
  if (values.help) return { help: true };
  const port = { min: 0, max: 65535, integer: true };
  const count = { min: 0, integer: true };
  const seconds = { min: 0.001, integer: false };
  for (const flag of ["host", "name", "network"] as const) {
    const value = values[flag];
    if (value !== undefined && (value === "" || /\s/.test(value))) {
      throw new UsageError(`--${flag} must be a non-empty word`);
    }
  }
  const options: Partial<ServerOptions> = {
    host: values.host,
    port: number("port", values.port, port),
    name: values.name,
    network: values.network,
    motd: values.motd,
    password: values.password,
    maxClients: number("max-clients", values["max-clients"], count),
    maxPerIp: number("max-per-ip", values["max-per-ip"], count),
    pingInterval: number("ping-interval", values["ping-interval"], seconds),
    pingTimeout: number("ping-timeout", values["ping-timeout"], seconds),
    registrationTimeout: number(
      "registration-timeout",
      values["registration-timeout"],
      seconds,
    ),
    floodRate: number("flood-rate", values["flood-rate"], {
      min: 0,
      integer: false,
    }),
    floodBurst: number("flood-burst", values["flood-burst"], {
      min: 1,
      integer: true,
    }),
    recvq: number("recvq", values.recvq, { min: 1024, integer: true }),
    sendq: number("sendq", values.sendq, { min: 1024, integer: true }),
    tlsOnly: values["tls-only"],
    historyLines: number("history", values.history, count),
    historyDays: number("history-days", values["history-days"], {
      min: 1,
      integer: true,
    }),
    historyCommitMs: number(
      "history-commit-ms",
      values["history-commit-ms"],
      { min: 0, max: 3_600_000, integer: true },
    ),
  };
  if (values["no-history"]) {
    const conflict = ([
      "db",
      "history",
      "history-days",
      "history-commit-ms",
    ] as const).find((
      flag,
    ) => values[flag] !== undefined);
    if (conflict !== undefined) {
      throw new UsageError(
        `--no-history cannot be combined with --${conflict}`,
      );
    }
  } else if (values.db === "") {
    throw new UsageError("--db needs a file path");
  } else {
    options.db = values.db ?? DEFAULT_DB_PATH;
  }
  options.web = webOptions(values);
  options.tlsHandshakeTimeout = number(
    "tls-handshake-timeout",
    values["tls-handshake-timeout"],
    seconds,
  );
  const tlsPort = number("tls-port", values["tls-port"], port) ??
    DEFAULT_TLS_PORT;
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
  for (
    const [flag, value] of [["cert", cert], ["key", key], [
      "certs-dir",
      certsDir,
    ]]
  ) {
    if (value === "") throw new UsageError(`--${flag} needs a path`);
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

/** Splits repeatable, comma-separated list flags into their entries. */
function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(","))
    .map((entry) => entry.trim()).filter((entry) => entry !== "");
}

/** The web listener the command line asks for: on by default, off with `--no-web`. */
function webOptions(values: {
  "web-port"?: string;
  "web-origin"?: string[];
  "trusted-proxy"?: string[];
  "no-web"?: boolean;
}): WebOptions | undefined {
  const origins = list(values["web-origin"]);
  const trustedProxies = list(values["trusted-proxy"]);
  if (values["no-web"]) {
    const conflict = (["web-port", "web-origin", "trusted-proxy"] as const)
      .find((flag) => values[flag] !== undefined);
    if (conflict !== undefined) {
      throw new UsageError(`--no-web cannot be combined with --${conflict}`);
    }
    return undefined;
  }
  for (const origin of origins) {
    if (origin !== "*" && !isOrigin(origin)) {
      throw new UsageError(
        `--web-origin must be an origin like https://chat.example.org, got "${origin}"`,
      );
    }
  }
  for (const proxy of trustedProxies) {
    if (!isIpAddress(proxy)) {
      throw new UsageError(
        `--trusted-proxy must be an IP address, got "${proxy}"`,
      );
    }
  }
  const port = number("web-port", values["web-port"], {
    min: 0,
    max: 65535,
    integer: true,
  });
  return {
    port: port ?? DEFAULT_WEB_PORT,
    origins,
    trustedProxies,
    optional: port === undefined,
  };
}

/** Whether `text` is a scheme and host with nothing after it (an origin). */
function isOrigin(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\/?#\s]+\/?$/i.test(text) &&
    normalizeOrigin(text) !== undefined;
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
