/**
 * How stored history is shown to one client, as wire lines. Pure: lines in,
 * lines out, no sockets.
 *
 * - With `batch` and `server-time`: one `chathistory` batch; every line keeps
 *   its original `time` and its `msgid`.
 * - Otherwise: ordinary lines between two server NOTICEs that say history
 *   starts and ends. With `server-time` each line carries its original `time`
 *   tag; without it the time is written at the start of the text,
 *   `[2026-11-25 14:03:12 UTC]`.
 *
 * @module
 */

import { serializeTags } from "../protocol/message.ts";
import { fitBody } from "./delivery.ts";
import type { HistoryLine } from "./history.ts";

/** What {@link formatReplay} needs besides the lines. */
export interface ReplayOptions {
  /** Capabilities the recipient enabled. */
  caps: ReadonlySet<string>;
  /** The server's name, source of BATCH and NOTICE lines. */
  serverName: string;
  /** The channel (or other target) the history belongs to, as the recipient knows it. */
  target: string;
  /** Reference for the batch, unique on this connection. */
  batchRef: string;
  /** Batch type. Default `chathistory`. */
  batchType?: string;
  /** Whether to frame an empty replay too (CHATHISTORY always answers with a batch). Default false. */
  framedWhenEmpty?: boolean;
}

/** Whether a client gets history inside a batch, with original times and message ids. */
export function wantsBatchedHistory(caps: ReadonlySet<string>): boolean {
  return caps.has("batch") && caps.has("server-time");
}

/** `2026-11-25 14:03:12 UTC`, the marker written before history lines for clients without `server-time`. */
export function formatHistoryTime(time: number): string {
  return new Date(time).toISOString().replace("T", " ").replace(
    /\.\d+Z$/,
    " UTC",
  );
}

const ACTION_START = "\x01ACTION ";

/** `text` with its original time written in front, inside a CTCP ACTION when it is one. */
function markText(text: string, time: number): string {
  const marker = `[${formatHistoryTime(time)}]`;
  if (text.startsWith(ACTION_START)) {
    return `${ACTION_START}${marker} ${text.slice(ACTION_START.length)}`;
  }
  return `${marker} ${text}`;
}

/** Prefixes `body` with `tags` when there are any. */
function withTags(tags: Record<string, string>, body: string): string {
  const text = serializeTags(tags);
  return text === "" ? body : `@${text} ${body}`;
}

/**
 * Renders stored `lines` (oldest first) for one recipient, as wire lines
 * without CR LF. Returns no lines for no history unless `framedWhenEmpty`.
 */
export function formatReplay(
  lines: readonly HistoryLine[],
  options: ReplayOptions,
): string[] {
  const { caps, serverName, target, batchRef } = options;
  if (lines.length === 0 && !options.framedWhenEmpty) return [];
  if (wantsBatchedHistory(caps)) {
    const out = [
      fitBody(serverName, "BATCH", [
        `+${batchRef}`,
        options.batchType ?? "chathistory",
        target,
      ]),
    ];
    for (const line of lines) {
      const tags = {
        batch: batchRef,
        time: new Date(line.time).toISOString(),
        msgid: line.msgid,
      };
      out.push(
        withTags(tags, fitBody(line.source, line.command, [target, line.text])),
      );
    }
    out.push(fitBody(serverName, "BATCH", [`-${batchRef}`]));
    return out;
  }
  const serverTime = caps.has("server-time");
  const messageTags = caps.has("message-tags");
  const notice = (text: string) =>
    fitBody(serverName, "NOTICE", [target, text]);
  const count = lines.length === 1 ? "1 message" : `${lines.length} messages`;
  const out = [
    notice(
      serverTime
        ? `Replaying the last ${count} of ${target}`
        : `Replaying the last ${count} of ${target}; times are UTC`,
    ),
  ];
  for (const line of lines) {
    const tags: Record<string, string> = {};
    if (serverTime) tags.time = new Date(line.time).toISOString();
    if (messageTags) tags.msgid = line.msgid;
    const text = serverTime ? line.text : markText(line.text, line.time);
    out.push(
      withTags(tags, fitBody(line.source, line.command, [target, text])),
    );
  }
  out.push(notice(`End of history of ${target}`));
  return out;
}
