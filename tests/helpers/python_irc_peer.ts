/**
 * Runs `tests/peers/python_irc_peer.py` (Python's `irc` library, Debian
 * package python3-irc) as a subprocess: send it commands, wait for the events
 * its library raises.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { LineFramerStream } from "../../protocol.ts";

/** The Debian interpreter: python3-irc installs into its dist-packages, not into pyenv or a venv. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

const PEER_SCRIPT = fileURLToPath(
  new URL("../peers/python_irc_peer.py", import.meta.url),
);

/** Whether {@link DEBIAN_PYTHON} exists and can import the `irc` library. */
export function pythonIrcAvailable(): boolean {
  try {
    const { success } = new Deno.Command(DEBIAN_PYTHON, {
      args: ["-c", "import irc.client"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return success;
  } catch {
    return false;
  }
}

/** One event the Python library raised, as the peer script reports it. */
export interface PythonIrcEvent {
  /** The library's event type: `welcome`, `join`, `namreply`, `pubmsg`, `privmsg`, `quit`, `features`... */
  type: string;
  /** Nick (or server name) the event came from. */
  source?: string | null;
  /** Channel or nick the event was aimed at. */
  target?: string | null;
  /** Remaining parameters, as the library split them. */
  arguments?: string[];
  /** For `features`: what the library parsed from ISUPPORT. */
  [feature: string]: unknown;
}

/** A running Python IRC peer. */
export interface PythonIrcPeer {
  /** Resolves with the first not-yet-consumed event matching `predicate`, waiting up to `timeoutMs` (default 5000). */
  next(
    predicate: (event: PythonIrcEvent) => boolean,
    timeoutMs?: number,
  ): Promise<PythonIrcEvent>;
  /** Calls the library method `command` (join, part, privmsg, nick, topic, names, ping, quit) with `args`. */
  send(command: string, ...args: unknown[]): Promise<void>;
  /** Resolves once the server has answered a PING, so it has handled everything sent before. */
  sync(): Promise<void>;
  /** Resolves with the exit code once the script has exited. */
  exited: Promise<number>;
  /** Kills the script if still running and waits for it; returns what it wrote to stderr. */
  close(): Promise<string>;
}

interface Waiter {
  predicate: (event: PythonIrcEvent) => boolean;
  resolve: (event: PythonIrcEvent) => void;
}

/** Options for {@link startPythonIrcPeer}. */
export interface PythonIrcPeerOptions {
  /** Connect with TLS, verifying the certificate for 127.0.0.1 against this PEM CA file. Default: plain text. */
  tlsCaFile?: string;
}

/** Starts the Python peer connecting to 127.0.0.1:`port` as `nick`. */
export function startPythonIrcPeer(
  port: number,
  nick: string,
  options: PythonIrcPeerOptions = {},
): PythonIrcPeer {
  const tls = options.tlsCaFile === undefined
    ? []
    : ["--tls-ca", options.tlsCaFile];
  const child = new Deno.Command(DEBIAN_PYTHON, {
    args: [PEER_SCRIPT, "127.0.0.1", String(port), nick, ...tls],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const unconsumed: PythonIrcEvent[] = [];
  const waiters = new Set<Waiter>();
  const transcript: string[] = [];

  const deliver = (event: PythonIrcEvent) => {
    for (const waiter of waiters) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
        return;
      }
    }
    unconsumed.push(event);
  };
  const reading = (async () => {
    for await (
      const framed of child.stdout.pipeThrough(new LineFramerStream())
    ) {
      if (framed.kind !== "line") continue;
      transcript.push(framed.line);
      deliver(JSON.parse(framed.line));
    }
  })();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const exited = child.status.then((status) => status.code);

  return {
    next(predicate, timeoutMs = 5_000) {
      const index = unconsumed.findIndex(predicate);
      if (index !== -1) return Promise.resolve(unconsumed.splice(index, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `${nick}: no matching event within ${timeoutMs} ms; saw:\n${
                transcript.join("\n")
              }`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async send(command, ...args) {
      await writer.write(
        encoder.encode(JSON.stringify({ command, args }) + "\n"),
      );
    },
    async sync() {
      const token = `sync-${crypto.randomUUID()}`;
      await this.send("ping", token);
      await this.next((e) =>
        e.type === "pong" && (e.arguments ?? []).includes(token)
      );
    },
    exited,
    async close() {
      await writer.close().catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await exited;
      await reading;
      return await stderr;
    },
  };
}
