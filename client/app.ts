/**
 * The running client: ties the terminal, the connection and the chat rules
 * together. Registers, rejoins after reconnecting, asks again for a taken
 * nick, and quits cleanly. Its phases (connecting, naming, registering,
 * ready, waiting-to-retry, quitting) are one {@link Lifecycle}; what to do
 * with typed lines and server messages is decided by the pure tables in
 * `typed_commands.ts` and `server_messages.ts`.
 *
 * @module
 */

import { isValidNick, type Message } from "../protocol.ts";
import { explainPlainClientOnTlsPort } from "../tls/errors.ts";
import {
  alternativeNick,
  type ChatState,
  createChatState,
  ircMessage,
  promptFor,
  registrationMessages,
  resetConnection,
} from "./chat_state.ts";
import { describeConnectError, type DialOptions, dialServer } from "./dial.ts";
import { Lifecycle } from "./lifecycle.ts";
import { type Link, openLink } from "./link.ts";
import type { ClientOptions } from "./options.ts";
import { type ClientEvent, renderEvent } from "./render.ts";
import { handleServerMessage, type ServerSignal } from "./server_messages.ts";
import { readSecret, type SecretSources } from "./secrets.ts";
import type { Terminal } from "./terminal.ts";
import {
  completeWord,
  DEFAULT_QUIT_REASON,
  NICK_RULES,
  planLine,
} from "./typed_commands.ts";

/** What the client runs on; everything but `terminal` has a default. */
export interface ClientDeps {
  /** Screen and keyboard. */
  terminal: Terminal;
  /** Whether to colour output. Default false. */
  color?: boolean;
  /** Whether to ring the bell when someone names the user. Default false. */
  bell?: boolean;
  /** Opens a connection. Default {@link dialServer}. */
  connect?: (options: DialOptions) => Promise<Deno.Conn>;
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
const KEEPALIVE_TOKEN = "tertulia-keepalive";

/** Lines typed while not connected: sent, and the user's own lines shown, once ready. */
interface Held {
  messages: Message[];
  echoes: ClientEvent[];
}

/**
 * Watches a connection for silence: `ping` after `ms` without news, then
 * `giveUp` after `ms` more. Call `heard` whenever something arrives.
 */
class Watchdog {
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #ms: number;
  readonly #ping: () => void;
  readonly #giveUp: () => void;

  constructor(ms: number, ping: () => void, giveUp: () => void) {
    this.#ms = ms;
    this.#ping = ping;
    this.#giveUp = giveUp;
    this.heard();
  }

  heard(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#ping();
      this.#timer = setTimeout(this.#giveUp, this.#ms);
    }, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** Resolves after `ms`, or as soon as `cut` settles. */
async function sleepUnless(ms: number, cut: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
    cut,
  ]);
  clearTimeout(timer);
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

/** Shows events on `terminal`, rendered with the client's colour, bell and width. */
function screenWriter(terminal: Terminal, deps: ClientDeps) {
  return (...events: ClientEvent[]) => {
    const rendering = {
      color: deps.color,
      bell: deps.bell,
      width: terminal.columns?.(),
    };
    for (const event of events) {
      for (const line of renderEvent(event, rendering)) terminal.print(line);
    }
  };
}

/**
 * One chat client's run: its connection lifecycle, from the first connect
 * to the goodbye. Created once the nick is known.
 */
export class ChatClient {
  readonly #options: ClientOptions;
  readonly #terminal: Terminal;
  readonly #connect: (options: DialOptions) => Promise<Deno.Conn>;
  readonly #now: () => Date;
  readonly #retryDelays: number[];
  readonly #keepaliveMs: number;
  readonly #dial: DialOptions;
  readonly #where: string;
  readonly #show: (...events: ClientEvent[]) => void;
  readonly #state: ChatState;
  readonly #lifecycle = new Lifecycle();
  /** A connection opened before the nick was asked for, used for the first attempt. */
  #early: Deno.Conn | undefined;
  #link: Link | null = null;
  #watchdog: Watchdog | null = null;
  /** Whether the server has ever let us in; until then failures end the client. */
  #everRegistered = false;
  /** Set while a refused name is being asked for again; resolves with the answer. */
  #nickAnswered: (() => void) | null = null;
  #nickAnswer: Promise<void> = Promise.resolve();
  /** Whether the name was refused and asked for again on the current connection. */
  #askedAgain = false;
  #nickAttempts = 0;
  /** Why the client must stop (set by a signal such as an unusable nick). */
  #fatal: string | undefined;
  /** Set once a quit was asked for (it may first wait for held lines to go out). */
  #quitStarted = false;
  #held: Held[] = [];
  readonly #secretSources: SecretSources;
  #pongWaiters = new Map<string, () => void>();

  /**
   * Prepares the client for `nick`; `early` is a connection already open,
   * `login` the account to log in to on every connection, if any.
   */
  constructor(
    options: ClientOptions,
    deps: ClientDeps,
    nick: string,
    early?: Deno.Conn,
    login?: { account: string; password: string },
  ) {
    this.#options = options;
    this.#terminal = deps.terminal;
    this.#connect = deps.connect ?? dialServer;
    this.#now = deps.now ?? (() => new Date());
    this.#retryDelays = deps.retryDelays ?? DEFAULT_RETRY_DELAYS;
    this.#keepaliveMs = deps.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
    this.#dial = {
      host: options.host,
      port: options.port,
      tls: options.tls ? { caFile: options.caFile } : undefined,
    };
    this.#where = `${options.host}:${options.port}`;
    this.#show = screenWriter(deps.terminal, deps);
    this.#state = createChatState(nick, options.channels);
    this.#secretSources = {
      file: options.accountPasswordFile,
      terminal: deps.terminal,
    };
    this.#early = early;
    this.#state.login = login ?? null;
    deps.interrupt?.addEventListener(
      "abort",
      () => this.#quit(DEFAULT_QUIT_REASON, true),
      { once: true },
    );
  }

  /** Runs until the user quits or the connection fails for good. */
  async run(): Promise<ClientExit> {
    this.#terminal.setPrompt(promptFor(this.#state));
    this.#terminal.setCompleter((prefix) => completeWord(this.#state, prefix));
    this.#readInput();
    const exit = await this.#runConnections();
    this.#lifecycle.enter("done");
    this.#terminal.close();
    return exit;
  }

  #status(text: string): void {
    this.#show({ kind: "status", text });
  }

  /** Sends straight away on the current connection (registration, PONG, QUIT). */
  #writeNow(messages: Message[]): void {
    if (messages.length > 0) this.#link?.send(messages);
  }

  /** Resolves true once ready, false if the client ends first. */
  async #whenReady(): Promise<boolean> {
    return await this.#lifecycle.reached("ready", "done") === "ready";
  }

  /** The delay before retry number `attempt` (0, 1, ...): the last one repeats. */
  #retryDelay(attempt: number): number {
    return this.#retryDelays[Math.min(attempt, this.#retryDelays.length - 1)];
  }

  /** Connects, and reconnects after losses, until quitting or a failure that ends the client. */
  async #runConnections(): Promise<ClientExit> {
    let attempt = 0;
    this.#status(`Connecting to ${this.#where}…`);
    const leaving = this.#lifecycle.reached("quitting", "done");
    while (!this.#lifecycle.leaving) {
      this.#lifecycle.enter("connecting");
      const reused = this.#early !== undefined;
      const opening = this.#early === undefined
        ? this.#connect(this.#dial)
        : Promise.resolve(this.#early);
      this.#early = undefined;
      let conn: Deno.Conn | null;
      try {
        // A quit (typed, or a signal) must not wait for a handshake that never ends.
        conn = await Promise.race([opening, leaving.then(() => null)]);
      } catch (error) {
        if (!this.#everRegistered) {
          return { code: 1, error: describeConnectError(error, this.#dial) };
        }
        const delay = this.#retryDelay(attempt++);
        this.#lifecycle.enter("waiting-to-retry");
        this.#status(
          `Still cannot reach ${this.#where}. Trying again in ${
            delay / 1000
          }s…`,
        );
        await sleepUnless(delay, leaving);
        continue;
      }
      if (conn === null || this.#lifecycle.leaving) {
        (conn === null ? opening : Promise.resolve(conn)).then(
          (late) => late.close(),
          () => {},
        );
        break;
      }
      this.#lifecycle.enter("registering");
      const wasRegistered = await this.#converse(conn);
      if (this.#lifecycle.leaving) break;
      if (this.#fatal !== undefined) return { code: 1, error: this.#fatal };
      if (!this.#everRegistered && this.#askedAgain) {
        // The server gave up waiting for a new name: reconnect with the answer.
        await this.#nickAnswer;
        this.#askedAgain = false;
        continue;
      }
      // The server may have dropped the connection that waited while the name was typed.
      if (!this.#everRegistered && reused) continue;
      if (!this.#everRegistered) {
        return {
          code: 1,
          error:
            `The server at ${this.#where} closed the connection before letting us in.`,
        };
      }
      if (!this.#options.reconnect) {
        return { code: 1, error: `Lost the connection to ${this.#where}.` };
      }
      if (wasRegistered) attempt = 0;
      const delay = this.#retryDelay(attempt++);
      this.#lifecycle.enter("waiting-to-retry");
      this.#show({
        kind: "error",
        text: `Lost the connection to ${this.#where}. Reconnecting in ${
          delay / 1000
        }s…`,
      });
      await sleepUnless(delay, leaving);
    }
    this.#status("Bye!");
    return { code: 0 };
  }

  /** Registers on `conn` and handles it until it closes; whether we had been let in on it. */
  async #converse(conn: Deno.Conn): Promise<boolean> {
    const link = openLink(conn, {
      onMessage: (message) => this.#onMessage(message),
      onInvalid: (text) => this.#show({ kind: "error", text }),
      onTlsReply: this.#dial.tls === undefined
        ? () => this.#fatal = explainPlainClientOnTlsPort(this.#dial)
        : undefined,
    });
    this.#link = link;
    this.#watchdog = new Watchdog(
      this.#keepaliveMs,
      () => this.#writeNow([ircMessage("PING", KEEPALIVE_TOKEN)]),
      () => {
        this.#show({
          kind: "error",
          text: `No answer from the server for ${
            (2 * this.#keepaliveMs) / 1000
          }s.`,
        });
        link.close();
      },
    );
    this.#writeNow(registrationMessages(this.#state, this.#options.password));
    await link.closed;
    this.#watchdog.stop();
    this.#link = null;
    const wasRegistered = this.#state.registered;
    resetConnection(this.#state);
    return wasRegistered;
  }

  #onMessage(message: Message): void {
    this.#watchdog?.heard();
    const outcome = handleServerMessage(this.#state, message, this.#now());
    this.#show(...outcome.events);
    this.#writeNow(outcome.replies);
    for (const signal of outcome.signals) this.#onSignal(signal);
    if (this.#lifecycle.phase !== "naming") {
      this.#terminal.setPrompt(promptFor(this.#state));
    }
  }

  #onSignal(signal: ServerSignal): void {
    switch (signal.kind) {
      case "registered": {
        const overTls = this.#options.tls ? " over TLS" : "";
        const as = `${this.#where}${overTls} as ${this.#state.nick}`;
        this.#status(
          this.#everRegistered
            ? `Reconnected to ${as}.`
            : `Connected to ${as}. Type /help for commands, /quit to leave.`,
        );
        this.#everRegistered = true;
        break;
      }
      case "ready":
        if (this.#lifecycle.leaving) break;
        this.#lifecycle.enter("ready");
        for (const held of this.#held.splice(0)) {
          this.#showEchoes(held.echoes);
          this.#writeNow(held.messages);
        }
        break;
      case "nick-rejected":
        this.#nickRejected(signal.nick, signal.reason);
        break;
      case "pong":
        this.#pongWaiters.get(signal.token)?.();
        break;
      case "closing":
        if (!this.#lifecycle.leaving) {
          this.#show({
            kind: "error",
            text: `The server closed the connection: ${signal.text}`,
          });
        }
        break;
    }
  }

  /** At a terminal, before we were ever let in, asks for another name; otherwise picks one (or gives up). */
  #nickRejected(nick: string, reason: "taken" | "invalid"): void {
    if (this.#terminal.interactive && !this.#everRegistered) {
      if (this.#lifecycle.leaving) return;
      this.#lifecycle.enter("naming");
      this.#askedAgain = true;
      this.#nickAnswer = new Promise((resolve) => this.#nickAnswered = resolve);
      this.#show({
        kind: "error",
        text: reason === "taken"
          ? `The name ${nick} is already taken. Please choose another.`
          : `The server does not accept the name ${nick}. Please choose another.`,
      });
      this.#terminal.setPrompt(USERNAME_PROMPT);
    } else if (reason === "taken") {
      this.#nickAttempts++;
      const next = alternativeNick(
        this.#options.nick ?? this.#state.nick,
        this.#nickAttempts,
      );
      this.#status(`The name ${nick} is taken; using ${next} instead.`);
      this.#state.nick = next;
      this.#writeNow([ircMessage("NICK", next)]);
    } else {
      this.#fatal = `The server does not accept the name ${nick}.`;
      this.#link?.close();
    }
  }

  /** Takes a new name typed after the server refused one. */
  #answerNick(line: string): void {
    const answer = line.trim();
    if (!isValidNick(answer)) {
      this.#show({
        kind: "error",
        text: `"${answer}" can't be used as a name. ${NICK_RULES}`,
      });
      return;
    }
    this.#state.nick = answer;
    this.#nickAnswered?.();
    this.#nickAnswered = null;
    // The connection that refused the name may be gone; then the next one uses it.
    if (this.#link !== null) {
      this.#lifecycle.enter("registering");
      this.#writeNow([ircMessage("NICK", answer)]);
    } else this.#lifecycle.enter("connecting");
    this.#terminal.setPrompt(promptFor(this.#state));
  }

  /**
   * Shows the user's own lines, under the nick the server knows them by now
   * (it may have been changed while they waited). With `echo-message` the
   * server sends them back instead, with their ids, so a replay after a
   * reconnect recognises them.
   */
  #showEchoes(echoes: ClientEvent[]): void {
    if (this.#state.caps.has("echo-message")) return;
    this.#show(
      ...echoes.map((event) =>
        event.kind === "message" ? { ...event, from: this.#state.nick } : event
      ),
    );
  }

  /**
   * Sends once ready, showing `echoes` (the user's own messages) as they
   * go; until then (or while reconnecting) holds both, in order.
   */
  #send(messages: Message[], echoes: ClientEvent[]): void {
    if (messages.length === 0) return;
    if (this.#link !== null && this.#lifecycle.phase === "ready") {
      this.#showEchoes(echoes);
      this.#writeNow(messages);
      return;
    }
    if (this.#everRegistered && this.#terminal.interactive) {
      this.#status(
        "Not connected: this will be sent once the connection is back.",
      );
    }
    this.#held.push({ messages, echoes });
  }

  /**
   * Leaves: sends QUIT and waits (briefly) for the server to close. From a
   * script, held lines go first. An `urgent` quit (a signal) does not wait
   * for them, and cuts short a quit already under way.
   */
  async #quit(reason: string, urgent = false): Promise<void> {
    if (this.#quitStarted && !urgent) return;
    this.#quitStarted = true;
    if (!urgent && this.#held.length > 0 && !this.#terminal.interactive) {
      await this.#whenReady();
    }
    if (this.#lifecycle.leaving) {
      if (urgent) this.#link?.close();
      return;
    }
    this.#lifecycle.enter("quitting");
    const link = this.#link;
    if (link === null) return;
    if (this.#state.registered) {
      link.send([ircMessage("QUIT", reason)]);
      await sleepUnless(QUIT_TIMEOUT_MS, link.closed);
    }
    link.close();
  }

  /** At the end of piped input: waits until the server has processed everything sent, then quits. */
  async #finishScript(): Promise<void> {
    if (!await this.#whenReady()) return;
    const token = `tertulia-${Date.now()}`;
    await new Promise<void>((resolve) => {
      this.#pongWaiters.set(token, resolve);
      this.#link?.closed.then(resolve);
      this.#writeNow([ircMessage("PING", token)]);
    });
    this.#pongWaiters.delete(token);
    await this.#quit(DEFAULT_QUIT_REASON);
  }

  /** Reads typed lines until the user quits or input ends. */
  async #readInput(): Promise<void> {
    while (!this.#lifecycle.leaving) {
      const line = await this.#terminal.readLine();
      if (line === null) {
        if (this.#terminal.interactive) await this.#quit(DEFAULT_QUIT_REASON);
        else await this.#finishScript();
        return;
      }
      if (this.#lifecycle.phase === "naming") {
        this.#answerNick(line);
        continue;
      }
      const plan = planLine(this.#state, line, this.#now());
      const isEcho = (event: ClientEvent) =>
        event.kind === "message" && event.self;
      this.#show(...plan.events.filter((event) => !isEcho(event)));
      this.#send(plan.messages, plan.events.filter(isEcho));
      if (plan.secret !== undefined) {
        const read = await readSecret(this.#secretSources, plan.secret.prompt);
        if (read.ok) this.#send(plan.secret.use(read.secret), []);
        else this.#show({ kind: "error", text: read.error });
      }
      this.#terminal.setPrompt(promptFor(this.#state));
      if (plan.quit !== undefined) {
        await this.#quit(plan.quit);
        return;
      }
    }
  }
}

/**
 * Runs the client until the user quits or the connection fails for good.
 * Without `--nick` it connects first (so a server that is down is reported
 * before anything is asked), then asks `Username:`.
 */
export async function runClient(
  options: ClientOptions,
  deps: ClientDeps,
): Promise<ClientExit> {
  const { terminal } = deps;
  let early: Deno.Conn | undefined;
  if (options.nick === undefined) {
    const dial: DialOptions = {
      host: options.host,
      port: options.port,
      tls: options.tls ? { caFile: options.caFile } : undefined,
    };
    try {
      early = await (deps.connect ?? dialServer)(dial);
    } catch (error) {
      terminal.close();
      return { code: 1, error: describeConnectError(error, dial) };
    }
  }
  const nick = options.nick ??
    await askNick(terminal, screenWriter(terminal, deps), deps.interrupt);
  if (nick === null) {
    early?.close();
    terminal.close();
    return { code: 1, error: "No username given." };
  }
  let login: { account: string; password: string } | undefined;
  if (options.sasl) {
    const account = options.account ?? nick;
    const read = await readSecret(
      { file: options.accountPasswordFile, terminal },
      `Password for ${account}: `,
    );
    if (!read.ok) {
      early?.close();
      terminal.close();
      return { code: 1, error: read.error };
    }
    login = { account, password: read.secret };
  }
  return await new ChatClient(options, deps, nick, early, login).run();
}
