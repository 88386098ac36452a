/**
 * Drives `npm:irc-framework` bots from tests: connect and register one, and
 * wait (bounded) for the next event the library raises that matches.
 *
 * @module
 */

import { Client } from "irc-framework";

/** What irc-framework passes to an event listener (the package ships no types). */
export type IrcEvent = Record<string, unknown>;

/** The slice of irc-framework's `Client` the tests use. */
export interface IrcFrameworkBot {
  /** Current nick and other state the library tracks for us. */
  user: { nick: string };
  /** What the library learned from ISUPPORT. */
  network: {
    supports(feature: string): string | boolean;
    options: Record<string, unknown>;
  };
  /** Subscribes to a library event. */
  on(event: string, listener: (event: IrcEvent) => void): void;
  /** Unsubscribes a listener added with `on`. */
  removeListener(event: string, listener: (event: IrcEvent) => void): void;
  /** Sends JOIN. */
  join(channel: string): void;
  /** Sends PRIVMSG. */
  say(target: string, message: string): void;
  /** Sends NICK. */
  changeNick(nick: string): void;
  /** Sends TOPIC. */
  setTopic(channel: string, topic: string): void;
  /** Sends PING; the server's PONG raises a `pong` event. */
  ping(token?: string): void;
  /** Sends QUIT and closes the socket once it is written. */
  quit(message?: string): void;
  /** A channel handle; `updateUsers` sends NAMES and calls back after the `userlist` event. */
  channel(name: string): { updateUsers(callback?: () => void): void };
}

/** Default bound, in milliseconds, on how long {@link nextEvent} waits. */
export const EVENT_TIMEOUT_MS = 5_000;

/**
 * Resolves with the next `name` event from `bot` for which `predicate` holds.
 * Rejects after `timeoutMs` (default {@link EVENT_TIMEOUT_MS}) with a message
 * naming the event, so a missing reply fails the test instead of hanging it.
 * Subscribe before triggering the action that causes the event.
 */
export function nextEvent(
  bot: IrcFrameworkBot,
  name: string,
  predicate: (event: IrcEvent) => boolean = () => true,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<IrcEvent> {
  return new Promise((resolve, reject) => {
    const listener = (event: IrcEvent) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      bot.removeListener(name, listener);
      resolve(event);
    };
    const timer = setTimeout(() => {
      bot.removeListener(name, listener);
      reject(
        new Error(
          `${bot.user.nick}: no matching '${name}' event within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    bot.on(name, listener);
  });
}

/**
 * Creates an irc-framework client for `nick`, connects it to 127.0.0.1:`port`
 * without auto-reconnect, and resolves once the library raises `registered`.
 */
export async function connectBot(
  port: number,
  nick: string,
): Promise<IrcFrameworkBot> {
  const bot = new Client() as IrcFrameworkBot & {
    connect(options: object): void;
  };
  const registered = nextEvent(bot, "registered");
  bot.connect({
    host: "127.0.0.1",
    port,
    nick,
    username: nick.toLowerCase(),
    gecos: `${nick} (irc-framework)`,
    auto_reconnect: false,
  });
  await registered;
  return bot;
}

/** Resolves once the server has answered a PING from `bot`, so it has handled everything `bot` sent before. */
export async function syncBot(bot: IrcFrameworkBot): Promise<void> {
  const token = `sync-${crypto.randomUUID()}`;
  const pong = nextEvent(bot, "pong", (e) => e.message === token);
  bot.ping(token);
  await pong;
}

/** Sends QUIT from `bot` and resolves once the library reports its socket closed. */
export async function quitBot(
  bot: IrcFrameworkBot,
  message: string,
): Promise<void> {
  const closed = nextEvent(bot, "close");
  bot.quit(message);
  await closed;
}
