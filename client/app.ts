/**
 * The running client: ties the terminal, the connection and the session
 * rules together. Registers, rejoins after reconnecting, asks again for a
 * taken nick, and quits cleanly.
 *
 * @module
 */

import { isValidNick, type Message } from "../protocol.ts";
import {
  type ConnectionOptions,
  describeConnectError,
  openConnection,
} from "./connection.ts";
import { NICK_RULES, parseInput } from "./input.ts";
import { type Link, openLink } from "./link.ts";
import { explainPlainClientOnTlsPort } from "../tls/errors.ts";
import type { ClientOptions } from "./options.ts";
import { type ClientEvent, renderEvent } from "./render.ts";
import { completeWord, DEFAULT_QUIT_REASON, planInput } from "./commands.ts";
import {
  alternativeNick,
  createSession,
  handleServerMessage,
  ircMessage,
  promptFor,
  registrationMessages,
  resetConnection,
  type SessionSignal,
} from "./session.ts";
import type { Terminal } from "./terminal.ts";

/** What the client runs on; everything but `terminal` has a default. */
export interface ClientDeps {
  /** Screen and keyboard. */
  terminal: Terminal;
  /** Whether to colour output. Default false. */
  color?: boolean;
  /** Whether to ring the bell when someone names the user. Default false. */
  bell?: boolean;
  /** Opens a connection. Default {@link openConnection}. */
  connect?: (options: ConnectionOptions) => Promise<Deno.Conn>;
  /** The current time. Default `() => new Date()`. */
  now?: () => Date;
  /** When aborted (Ctrl-C outside a TTY, SIGTERM), the client quits cleanly. Default: never. */
  interrupt?: AbortSignal;
  /** Waits between reconnection attempts, in milliseconds. Default 1 s, 2 s, 4 s, 8 s, 15 s, then 30 s. */
  retryDelays?: number[];
  /**
   * After this long without hearing from the server the client sends PING,
   * and after as long again it gives the connection up as lost, in
   * milliseconds. Default 90 000.
   */
  keepaliveMs?: number;
}

/** How the client ended: its exit code and, for a failure, why. */
export interface ClientExit {
  /** 0 after a clean quit, 1 after a failure. */
  code: number;
  /** What went wrong, for standard error. */
  error?: string;
}

const DEFAULT_RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000];
const DEFAULT_KEEPALIVE_MS = 90_000;
/** How long to wait for the server to close after QUIT before closing ourselves. */
const QUIT_TIMEOUT_MS = 3000;
const USERNAME_PROMPT = "Username: ";

/**
 * Watches a connection for silence: `ping` after `ms` without news, then
 * `giveUp` after `ms` more. Call `heard` whenever something arrives.
 */
function startWatchdog(ms: number, ping: () => void, giveUp: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const heard = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      ping();
      timer = setTimeout(giveUp, ms);
    }, ms);
  };
  heard();
  return { heard, stop: () => clearTimeout(timer) };
}

/** Asks for a nickname until a valid one is typed; `null` at end of input or on `interrupt`. */
async function askNick(
  terminal: Terminal,
  show: (event: ClientEvent) => void,
  interrupt: AbortSignal | undefined,
): Promise<string | null> {
  const interrupted = new Promise<null>((resolve) =>
    interrupt?.addEventListener("abort", () => resolve(null), { once: true })
  );
  while (true) {
    const answer = await Promise.race([
      terminal.ask(USERNAME_PROMPT),
      interrupted,
    ]);
    if (answer === null) return null;
    const nick = answer.trim();
    if (isValidNick(nick)) return nick;
    show({
      kind: "error",
      text: nick === ""
        ? "Please type a name."
        : `"${nick}" can't be used as a name. ${NICK_RULES}`,
    });
  }
}

/** Runs the client until the user quits or the connection fails for good. */
export async function runClient(
  options: ClientOptions,
  deps: ClientDeps,
): Promise<ClientExit> {
  const terminal = deps.terminal;
  const connect = deps.connect ?? openConnection;
  const now = deps.now ?? (() => new Date());
  const retryDelays = deps.retryDelays ?? DEFAULT_RETRY_DELAYS;
  const keepaliveMs = deps.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  const where = `${options.host}:${options.port}`;
  const connection: ConnectionOptions = {
    host: options.host,
    port: options.port,
    tls: options.tls ? { caFile: options.caFile } : undefined,
  };

  const show = (...events: ClientEvent[]) => {
    for (const event of events) {
      const rendering = {
        color: deps.color,
        bell: deps.bell,
        width: terminal.columns?.(),
      };
      for (const line of renderEvent(event, rendering)) {
        terminal.print(line);
      }
    }
  };
  const status = (text: string) => show({ kind: "status", text });

  /** Opened before asking for a name, so a server that is down is reported first; used once the name is known. */
  let early: Deno.Conn | undefined;
  if (options.nick === undefined) {
    try {
      early = await connect(connection);
    } catch (error) {
      terminal.close();
      return { code: 1, error: describeConnectError(error, connection) };
    }
  }
  const nick = options.nick ?? await askNick(terminal, show, deps.interrupt);
  if (nick === null) {
    early?.close();
    terminal.close();
    return { code: 1, error: "No username given." };
  }
  const state = createSession(nick, options.channels);
  terminal.setPrompt(promptFor(state));
  terminal.setCompleter((prefix) => completeWord(state, prefix));

  let link: Link | null = null;
  /** Set once a quit was asked for (it may first wait for lines still to send). */
  let quitStarted = false;
  let quitting = false;
  let quitRequested = () => {};
  const quitAsked = new Promise<null>((resolve) =>
    quitRequested = () => resolve(null)
  );
  let everRegistered = false;
  let awaitingNick = false;
  let nickAnswered = () => {};
  let nickAnswer = Promise.resolve();
  /** Whether the name was refused and asked for again on the current connection. */
  let askedAgain = false;
  let nickAttempts = 0;
  let fatal: string | undefined;
  let wake = () => {};
  const outbox: { messages: Message[]; echoes: ClientEvent[] }[] = [];
  const readyWaiters: ((ok: boolean) => void)[] = [];
  const pongWaiters = new Map<string, () => void>();

  const settleReady = (ok: boolean) => {
    for (const resolve of readyWaiters.splice(0)) resolve(ok);
  };
  const whenReady = (): Promise<boolean> =>
    state.ready
      ? Promise.resolve(true)
      : new Promise((resolve) => readyWaiters.push(resolve));

  /** Sends straight away on the current connection (registration, PONG, QUIT). */
  const writeNow = (messages: Message[]) => {
    if (messages.length > 0) link?.send(messages);
  };

  /**
   * Sends once registered, showing `echoes` (the user's own messages) as
   * they go; until then (or while reconnecting) keeps both in order.
   */
  const send = (messages: Message[], echoes: ClientEvent[]) => {
    if (messages.length === 0) return;
    if (link !== null && state.ready) {
      showEchoes(echoes);
      writeNow(messages);
      return;
    }
    if (everRegistered && terminal.interactive) {
      status("Not connected: this will be sent once the connection is back.");
    }
    outbox.push({ messages, echoes });
  };

  /**
   * Shows the user's own lines, under the nick the server knows them by now
   * (it may have been changed while they waited). With `echo-message` the
   * server sends them back instead, with their ids, so a replay after a
   * reconnect recognises them.
   */
  const showEchoes = (echoes: ClientEvent[]) => {
    if (state.caps.has("echo-message")) return;
    show(
      ...echoes.map((event) =>
        event.kind === "message" ? { ...event, from: state.nick } : event
      ),
    );
  };

  const flushOutbox = () => {
    for (const entry of outbox.splice(0)) {
      showEchoes(entry.echoes);
      writeNow(entry.messages);
    }
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const overTls = options.tls ? " over TLS" : "";
  const onSignal = (signal: SessionSignal) => {
    switch (signal.kind) {
      case "registered":
        status(
          everRegistered
            ? `Reconnected to ${where}${overTls} as ${state.nick}.`
            : `Connected to ${where}${overTls} as ${state.nick}. Type /help for commands, /quit to leave.`,
        );
        everRegistered = true;
        break;
      case "ready":
        flushOutbox();
        settleReady(true);
        break;
      case "nick-rejected":
        if (terminal.interactive && !everRegistered) {
          awaitingNick = true;
          askedAgain = true;
          nickAnswer = new Promise((resolve) => nickAnswered = resolve);
          show({
            kind: "error",
            text: signal.reason === "taken"
              ? `The name ${signal.nick} is already taken. Please choose another.`
              : `The server does not accept the name ${signal.nick}. Please choose another.`,
          });
          terminal.setPrompt(USERNAME_PROMPT);
        } else if (signal.reason === "taken") {
          nickAttempts++;
          const next = alternativeNick(options.nick ?? nick, nickAttempts);
          status(`The name ${signal.nick} is taken; using ${next} instead.`);
          state.nick = next;
          writeNow([ircMessage("NICK", next)]);
        } else {
          fatal = `The server does not accept the name ${signal.nick}.`;
          link?.close();
        }
        break;
      case "pong":
        pongWaiters.get(signal.token)?.();
        break;
      case "closing":
        if (!quitting) {
          show({
            kind: "error",
            text: `The server closed the connection: ${signal.text}`,
          });
        }
        break;
    }
  };

  let watchdog = { heard: () => {}, stop: () => {} };
  const onMessage = (message: Message) => {
    watchdog.heard();
    const outcome = handleServerMessage(state, message, now());
    show(...outcome.events);
    writeNow(outcome.replies);
    outcome.signals.forEach(onSignal);
    if (!awaitingNick) terminal.setPrompt(promptFor(state));
  };
  const onInvalid = (text: string) => show({ kind: "error", text });
  const onTlsReply = connection.tls === undefined
    ? () => fatal = explainPlainClientOnTlsPort(connection)
    : undefined;

  const connectionLoop = async (): Promise<ClientExit> => {
    let attempt = 0;
    status(`Connecting to ${where}…`);
    while (!quitting) {
      const reused = early !== undefined;
      let current: Deno.Conn;
      try {
        const opening = early === undefined
          ? connect(connection)
          : Promise.resolve(early);
        early = undefined;
        // A quit (typed, or a signal) must not wait for a handshake that never ends.
        const opened = await Promise.race([opening, quitAsked]);
        if (opened === null) {
          opening.then((conn) => conn.close(), () => {});
          break;
        }
        current = opened;
        if (quitting) {
          current.close();
          break;
        }
      } catch (error) {
        if (!everRegistered) {
          return { code: 1, error: describeConnectError(error, connection) };
        }
        const delay = retryDelays[Math.min(attempt++, retryDelays.length - 1)];
        status(
          `Still cannot reach ${where}. Trying again in ${delay / 1000}s…`,
        );
        await sleep(delay);
        continue;
      }
      const opened = openLink(current, { onMessage, onInvalid, onTlsReply });
      link = opened;
      watchdog = startWatchdog(
        keepaliveMs,
        () => writeNow([ircMessage("PING", "tertulia-keepalive")]),
        () => {
          show({
            kind: "error",
            text: `No answer from the server for ${(2 * keepaliveMs) / 1000}s.`,
          });
          opened.close();
        },
      );
      writeNow(registrationMessages(state, options.password));
      await opened.closed;
      watchdog.stop();
      link = null;
      const wasRegistered = state.registered;
      resetConnection(state);
      if (quitting) break;
      if (fatal !== undefined) return { code: 1, error: fatal };
      if (!everRegistered && askedAgain) {
        // The server gave up waiting for a new name: reconnect with the answer.
        await nickAnswer;
        askedAgain = false;
        continue;
      }
      // The server may have dropped the connection that waited while the name was typed.
      if (!everRegistered && reused) continue;
      if (!everRegistered) {
        return {
          code: 1,
          error:
            `The server at ${where} closed the connection before letting us in.`,
        };
      }
      if (!options.reconnect) {
        return { code: 1, error: `Lost the connection to ${where}.` };
      }
      if (wasRegistered) attempt = 0;
      const delay = retryDelays[Math.min(attempt++, retryDelays.length - 1)];
      show({
        kind: "error",
        text: `Lost the connection to ${where}. Reconnecting in ${
          delay / 1000
        }s…`,
      });
      await sleep(delay);
    }
    status("Bye!");
    return { code: 0 };
  };

  /**
   * Leaves: sends QUIT and waits (briefly) for the server to close. From a
   * script, lines still waiting to be sent go first. An `urgent` quit (a
   * signal) does not wait for them, and cuts short a quit already under way.
   */
  const quit = async (reason: string, urgent = false) => {
    if (quitStarted && !urgent) return;
    quitStarted = true;
    if (!urgent && outbox.length > 0 && !terminal.interactive) {
      await whenReady();
    }
    if (quitting) {
      if (urgent) link?.close();
      return;
    }
    quitting = true;
    quitRequested();
    wake();
    const current = link;
    if (current === null) return;
    if (state.registered) {
      current.send([ircMessage("QUIT", reason)]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        current.closed,
        new Promise((resolve) => timer = setTimeout(resolve, QUIT_TIMEOUT_MS)),
      ]);
      clearTimeout(timer);
    }
    current.close();
  };

  /** At the end of piped input: wait until the server has processed everything sent, then quit. */
  const finishScript = async () => {
    if (!await whenReady()) return;
    const token = `tertulia-${Date.now()}`;
    await new Promise<void>((resolve) => {
      pongWaiters.set(token, resolve);
      link?.closed.then(resolve);
      writeNow([ircMessage("PING", token)]);
    });
    pongWaiters.delete(token);
    await quit(DEFAULT_QUIT_REASON);
  };

  const inputLoop = async () => {
    while (!quitting) {
      const line = await terminal.readLine();
      if (line === null) {
        if (terminal.interactive) await quit(DEFAULT_QUIT_REASON);
        else await finishScript();
        return;
      }
      if (awaitingNick) {
        const answer = line.trim();
        if (!isValidNick(answer)) {
          show({
            kind: "error",
            text: `"${answer}" can't be used as a name. ${NICK_RULES}`,
          });
          continue;
        }
        awaitingNick = false;
        state.nick = answer;
        nickAnswered();
        writeNow([ircMessage("NICK", answer)]);
        terminal.setPrompt(promptFor(state));
        continue;
      }
      const plan = planInput(state, parseInput(line), now());
      const isEcho = (event: ClientEvent) =>
        event.kind === "message" && event.self;
      show(...plan.events.filter((event) => !isEcho(event)));
      send(plan.messages, plan.events.filter(isEcho));
      terminal.setPrompt(promptFor(state));
      if (plan.quit !== undefined) {
        await quit(plan.quit);
        return;
      }
    }
  };

  deps.interrupt?.addEventListener(
    "abort",
    () => quit(DEFAULT_QUIT_REASON, true),
    { once: true },
  );
  inputLoop();
  const exit = await connectionLoop();
  settleReady(false);
  terminal.close();
  return exit;
}
