/**
 * Connects the history store to the chat: records channel PRIVMSG and NOTICE
 * as they are relayed, keeps topics, and replays recent lines to whoever
 * joins. The store does the SQL; {@link formatReplay} decides the wire form.
 *
 * @module
 */

import type { HistoryHook } from "./context.ts";
import { encodeLine, type Relay } from "./delivery.ts";
import {
  type History,
  type HistoryCommand,
  type HistoryLine,
  openHistory,
} from "./history.ts";
import type { ServerOptions } from "./options.ts";
import { formatReplay } from "./replay.ts";
import type { Channel, User } from "./state.ts";

/** Options for {@link createHistoryHook}. */
export interface HistoryHookOptions {
  /** The open store; the hook does not close it. */
  store: History;
  /** Lines replayed on JOIN; 0 replays nothing (lines are still stored). */
  replayLines: number;
  /** The server's name, source of BATCH and NOTICE lines. */
  serverName: string;
  /** Where read failures are reported. */
  log: (line: string) => void;
}

/**
 * Whether `text` is a CTCP request or reply other than ACTION (`\x01VERSION\x01`):
 * not chat, and replaying it would make clients answer it again.
 */
function isCtcpQuery(text: string): boolean {
  return text.startsWith("\x01") && !text.startsWith("\x01ACTION ");
}

/** Sends formatted wire `lines` to `user`, one queued line each. */
export function sendLines(user: User, lines: readonly string[]): void {
  for (const line of lines) user.outbox.send(encodeLine(line));
}

/** Creates the {@link HistoryHook} the server calls on channel messages, topics and joins. */
export function createHistoryHook(options: HistoryHookOptions): HistoryHook {
  const { store, serverName, log } = options;
  let batches = 0;
  const nextBatchRef = () => `h${(++batches).toString(36)}`;
  const readFailed = (channel: Channel, error: unknown) =>
    log(
      `Cannot read history of ${channel.name} from ${store.path}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );

  const hook: HistoryHook = {
    store,
    nextBatchRef,
    record(channel: Channel, relay: Relay): void {
      if (relay.command !== "PRIVMSG" && relay.command !== "NOTICE") return;
      const text = relay.params[relay.params.length - 1] ?? "";
      if (isCtcpQuery(text)) return;
      const line = store.record({
        msgid: relay.msgid,
        time: relay.time,
        target: channel.name,
        source: relay.source,
        command: relay.command as HistoryCommand,
        text,
      });
      hook.onRecorded?.(line);
    },
    replay(
      channel: Channel,
      user: User,
      readable?: (time: number) => boolean,
    ): void {
      if (options.replayLines <= 0 || user.outbox.remote) return;
      let lines: HistoryLine[];
      try {
        lines = store.latest(channel.key, options.replayLines);
      } catch (error) {
        readFailed(channel, error);
        return;
      }
      if (readable !== undefined) {
        lines = lines.filter((line) => readable(line.time));
      }
      sendLines(
        user,
        formatReplay(lines, {
          caps: user.caps,
          serverName,
          target: channel.name,
          batchRef: nextBatchRef(),
        }),
      );
    },
    saveTopic(channel: Channel): void {
      const { topic } = channel;
      store.setTopic(
        channel.key,
        topic && { text: topic.text, setBy: topic.setter, setAt: topic.setAt },
      );
    },
    restoreTopic(
      channel: Channel,
      readable?: (time: number) => boolean,
    ): void {
      let stored;
      try {
        stored = store.getTopic(channel.key);
      } catch (error) {
        readFailed(channel, error);
        return;
      }
      if (stored === undefined || readable?.(stored.setAt) === false) return;
      channel.topic = {
        text: stored.text,
        setter: stored.setBy,
        setAt: stored.setAt,
      };
    },
  };
  return hook;
}

/**
 * Opens the history store `options.db` names and wraps it in a hook, or
 * returns `undefined` when `db` is unset. Throws the store's one-sentence
 * `HistoryError` when the file cannot be used.
 */
export function openHistoryHook(
  options: ServerOptions,
): HistoryHook | undefined {
  if (options.db === undefined) return undefined;
  const store = openHistory({
    path: options.db,
    groupCommitMs: options.historyCommitMs,
    retentionMs: options.historyDays === undefined
      ? undefined
      : options.historyDays * 86_400_000,
    log: options.log,
  });
  const kept = options.historyDays === undefined
    ? "kept until deleted"
    : `kept ${options.historyDays} days`;
  options.log(
    `history in ${options.db} (${kept}; ${options.historyLines} lines replayed on join)`,
  );
  return createHistoryHook({
    store,
    replayLines: options.historyLines,
    serverName: options.name,
    log: options.log,
  });
}
