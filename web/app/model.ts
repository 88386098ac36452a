/**
 * The web page's chat state: conversations (channels and private chats), who
 * is in each, their lines and unread counts, and how each IRC message from
 * the server changes them. No DOM and no socket, so it is tested with plain
 * Deno tests; the view draws it and the link feeds it.
 *
 * @module
 */

import { casefold, isChannelName, type Message } from "../../protocol.ts";
import { describeReply, sanitize } from "../../client/render.ts";
import { nickFromSource } from "../../client/chat_state.ts";
import { AccountSession, type Credentials, isReservedNick } from "./account.ts";

/** What kind of line a conversation shows. */
export type LineKind =
  | "message"
  | "action"
  | "notice"
  | "event"
  | "info"
  | "error";

/** One line in a conversation. */
export interface ChatLine {
  /** Unique within the page, in arrival order. */
  id: number;
  /** When it was said (the server's `time` tag when there is one). */
  time: Date;
  /** What it is. */
  kind: LineKind;
  /** Who said it, for messages, actions and notices. */
  from?: string;
  /** The text, safe to show (formatting and control codes removed). */
  text: string;
  /** Replayed from the server's history rather than said just now. */
  history: boolean;
  /** Said by this user. */
  self: boolean;
  /** Mentions this user's nick. */
  mention: boolean;
}

/** A channel, a private chat with one person, or the server's own messages. */
export interface Conversation {
  /** Channel name or nick, as the server spells it. */
  name: string;
  /** Which of the three it is. */
  kind: "channel" | "private" | "server";
  /** The channel topic; empty when none. */
  topic: string;
  /** Casefolded nick → nick as spelled, with its `@`/`+` prefix removed. */
  members: Map<string, string>;
  /** Casefolded nick → its highest prefix (`@`, `+`), for those that have one. */
  prefixes: Map<string, string>;
  /** Lines, oldest first (at most {@link MAX_LINES}). */
  lines: ChatLine[];
  /** Lines that arrived while another conversation was shown. */
  unread: number;
  /** Of those, the ones that mention this user. */
  mentions: number;
  /** For a channel: whether this user is in it. */
  joined: boolean;
  /** Message ids already shown, so history replayed after a reconnect is not shown twice. */
  seen: Set<string>;
}

/** Where the connection stands, as the status line says it. */
export type ConnectionStatus =
  | "idle"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "disconnected";

/** Most lines kept per conversation; older ones are dropped. */
export const MAX_LINES = 1000;
/** The conversation holding server notices and errors that belong nowhere else. */
export const SERVER_TAB = "tertulia";

/** What the link should do after a message has been handled. */
export interface Reaction {
  /** Lines to send back (PONG). */
  send: string[];
  /** Registration finished: the nick is ours. */
  registered?: boolean;
  /** The nick was refused during registration (taken or invalid): ask for another. */
  nickRefused?: string;
  /** With {@link nickRefused}: the nick belongs to an account, so its password is needed. */
  nickReserved?: boolean;
  /** Logging in or creating the account failed before registration: what to tell the user. */
  loginFailed?: string;
}

// CTCP ACTION (`/me`): the text between \x01ACTION and the closing \x01.
// deno-lint-ignore no-control-regex
const ACTION = /^\x01ACTION ?(.*?)\x01?$/s;

function folded(name: string): string {
  return casefold(name);
}

/** The chat state of one page, updated by {@link ChatModel.handle}. */
export class ChatModel {
  #nick = "";
  #registered = false;
  #conversations = new Map<string, Conversation>();
  #active = folded(SERVER_TAB);
  #status: ConnectionStatus = "idle";
  #statusDetail = "";
  #nextId = 1;
  #historyBatches = new Set<string>();
  #namesPending = new Map<string, Map<string, string>>();
  #listeners = new Set<() => void>();
  #accounts = new AccountSession();

  constructor() {
    this.#conversations.set(folded(SERVER_TAB), this.#create(SERVER_TAB));
  }

  /** This user's nick (the one asked for until registration finishes). */
  get nick(): string {
    return this.#nick;
  }

  /** Whether registration has finished on the current connection. */
  get registered(): boolean {
    return this.#registered;
  }

  /** The account this connection is logged in to, if any. */
  get account(): string | undefined {
    return this.#accounts.account;
  }

  /** The password typed on the name picker (memory only), used on this and every later connection; null for none. */
  get credentials(): Credentials | null {
    return this.#accounts.credentials;
  }

  set credentials(credentials: Credentials | null) {
    this.#accounts.credentials = credentials;
  }

  /** Whether the next connection logs in with SASL (so must ask for `sasl`). */
  get wantsSasl(): boolean {
    return this.#accounts.credentials?.mode === "login";
  }

  /** The connection status. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** More about the status (`reconnecting in 4 s`). */
  get statusDetail(): string {
    return this.#statusDetail;
  }

  /** Every conversation: channels, then the server tab, then private chats, each by name. */
  get conversations(): Conversation[] {
    const order = { channel: 0, server: 1, private: 2 };
    return [...this.#conversations.values()].sort((a, b) =>
      order[a.kind] - order[b.kind] ||
      folded(a.name).localeCompare(folded(b.name))
    );
  }

  /** The conversation being shown. */
  get active(): Conversation {
    return this.#conversations.get(this.#active) ??
      this.#conversations.get(folded(SERVER_TAB))!;
  }

  /** Channels this user is in, to join again after reconnecting. */
  get joinedChannels(): string[] {
    return [...this.#conversations.values()]
      .filter((c) => c.kind === "channel" && c.joined).map((c) => c.name);
  }

  /** Total unread lines outside the shown conversation. */
  get unreadTotal(): number {
    let total = 0;
    for (const conversation of this.#conversations.values()) {
      total += conversation.unread;
    }
    return total;
  }

  /** The members of a channel, operators first, then by name. */
  members(conversation: Conversation): { nick: string; prefix: string }[] {
    const rank = (prefix: string) =>
      prefix === "@" ? 0 : prefix === "+" ? 1 : 2;
    return [...conversation.members].map(([key, nick]) => ({
      nick,
      prefix: conversation.prefixes.get(key) ?? "",
    })).sort((a, b) =>
      rank(a.prefix) - rank(b.prefix) ||
      folded(a.nick).localeCompare(folded(b.nick))
    );
  }

  /** Calls `listener` after every change. */
  subscribe(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** Starts a new connection as `nick`: registration state is reset, conversations kept. */
  beginConnection(nick: string): void {
    this.#nick = nick;
    this.#registered = false;
    this.#accounts.beginConnection();
    this.#historyBatches.clear();
    this.#namesPending.clear();
    for (const conversation of this.#conversations.values()) {
      if (conversation.kind === "channel") {
        conversation.joined = false;
        conversation.members.clear();
        conversation.prefixes.clear();
      }
    }
    this.#changed();
  }

  /** Sets the connection status shown to the user. */
  setStatus(status: ConnectionStatus, detail = ""): void {
    this.#status = status;
    this.#statusDetail = detail;
    this.#changed();
  }

  /** Shows `name` (creating a private chat for a nick), clearing its unread count. */
  open(name: string): Conversation {
    const key = folded(name);
    let conversation = this.#conversations.get(key);
    if (conversation === undefined) {
      conversation = this.#create(name);
      this.#conversations.set(key, conversation);
    }
    this.#active = key;
    conversation.unread = 0;
    conversation.mentions = 0;
    this.#changed();
    return conversation;
  }

  /** Forgets a conversation (a channel left, a private chat closed). */
  close(name: string): void {
    const key = folded(name);
    if (key === folded(SERVER_TAB)) return;
    this.#conversations.delete(key);
    if (this.#active === key) {
      const next = this.conversations.find((c) => c.kind === "channel") ??
        this.conversations[0];
      this.#active = folded(next.name);
      next.unread = 0;
      next.mentions = 0;
    }
    this.#changed();
  }

  /** Adds a line from the page itself (help, a mistake) to the shown conversation. */
  note(text: string, kind: "info" | "error" = "info"): void {
    this.#add(this.active, { kind, text, time: new Date() });
    this.#changed();
  }

  /** Updates the state for one message from the server and says what to send back. */
  handle(message: Message): Reaction {
    const reaction = this.#apply(message);
    this.#changed();
    return reaction;
  }

  #apply(message: Message): Reaction {
    const none: Reaction = { send: [] };
    const time = message.tags.time ? new Date(message.tags.time) : new Date();
    const history = message.tags.batch !== undefined &&
      this.#historyBatches.has(message.tags.batch);
    const from = nickFromSource(message.source);
    const p = message.params;
    const step = this.#accounts.handle(message, this.#registered);
    if (step?.note !== undefined) {
      this.#add(this.active, { kind: "error", text: step.note, time });
    }
    if (step?.failed !== undefined) {
      return { send: step.send, loginFailed: step.failed };
    }
    const account = step?.send ?? [];
    if (step !== undefined && message.command !== "001") {
      return { send: account };
    }
    switch (message.command) {
      case "PING":
        return { send: [`PONG :${p.at(-1) ?? ""}`] };
      case "001":
        this.#nick = p[0] ?? this.#nick;
        this.#registered = true;
        return { send: account, registered: true };
      case "432":
      case "433":
        if (!this.#registered) {
          return {
            send: [],
            nickRefused: p[1] ?? "",
            nickReserved: isReservedNick(message),
          };
        }
        break;
      case "BATCH": {
        const ref = p[0] ?? "";
        if (ref.startsWith("+") && p[1] === "chathistory") {
          this.#historyBatches.add(ref.slice(1));
        } else if (ref.startsWith("-")) {
          this.#historyBatches.delete(ref.slice(1));
        }
        return none;
      }
      case "JOIN":
        this.#join(from, p[0], time, history);
        return none;
      case "PART":
        this.#leave(from, p[0], time, history, "left", p[1]);
        return none;
      case "KICK":
        this.#leave(p[1], p[0], time, history, `was removed by ${from}`, p[2]);
        return none;
      case "QUIT":
        this.#quit(from, time, p[0]);
        return none;
      case "NICK":
        this.#renamed(from, p[0], time);
        return none;
      case "TOPIC": {
        const channel = this.#conversations.get(folded(p[0]));
        if (channel !== undefined) {
          channel.topic = sanitize(p[1] ?? "");
          this.#add(channel, {
            kind: "event",
            time,
            history,
            text: channel.topic === ""
              ? `${from} cleared the topic`
              : `${from} set the topic: ${channel.topic}`,
          });
        }
        return none;
      }
      case "332": {
        const channel = this.#conversations.get(folded(p[1]));
        if (channel !== undefined) channel.topic = sanitize(p.at(-1) ?? "");
        return none;
      }
      case "353":
        this.#names(p[2], p[3] ?? "");
        return none;
      case "366":
        this.#namesEnd(p[1]);
        return none;
      case "PRIVMSG":
      case "NOTICE":
        this.#message(message, from, time, history);
        return none;
      case "ERROR":
        this.#add(this.active, {
          kind: "error",
          time,
          text: `The server closed the connection: ${sanitize(p[0] ?? "")}`,
        });
        return none;
    }
    if (/^\d{3}$/.test(message.command)) this.#reply(message, time);
    return none;
  }

  #reply(message: Message, time: Date): void {
    // The burst's numerics (welcome, LUSERS, MOTD) belong on the server tab.
    const code = Number(message.command);
    const server = this.#conversations.get(folded(SERVER_TAB))!;
    if (code < 400 && !this.#registered) return;
    if (
      code <= 5 || (code >= 250 && code <= 266) || (code >= 372 && code <= 376)
    ) {
      const text = sanitize(message.params.slice(1).join(" "));
      if (text !== "") this.#add(server, { kind: "info", time, text });
      return;
    }
    const described = describeReply(message);
    if (described === null) return;
    this.#add(this.active, {
      kind: described.error ? "error" : "info",
      time,
      text: described.text,
    });
  }

  #message(message: Message, from: string, time: Date, history: boolean) {
    const [target, raw = ""] = message.params;
    if (target === undefined) return;
    const self = folded(from) === folded(this.#nick);
    const action = ACTION.exec(raw);
    if (raw.startsWith("\x01") && action === null) return;
    let name: string;
    if (isChannelName(target)) name = target;
    else if (message.source === undefined || !message.source.includes("!")) {
      name = SERVER_TAB;
    } else name = self ? target : from;
    const key = folded(name);
    let conversation = this.#conversations.get(key);
    if (conversation === undefined) {
      if (isChannelName(name)) return;
      conversation = this.#create(name);
      this.#conversations.set(key, conversation);
    }
    const msgid = message.tags.msgid;
    if (msgid !== undefined) {
      if (conversation.seen.has(msgid)) return;
      conversation.seen.add(msgid);
      if (conversation.seen.size > MAX_LINES * 2) {
        conversation.seen.delete(conversation.seen.values().next().value!);
      }
    }
    const text = sanitize(action ? action[1] : raw);
    this.#add(conversation, {
      kind: action
        ? "action"
        : message.command === "NOTICE"
        ? "notice"
        : "message",
      from: from || SERVER_TAB,
      text,
      time,
      history,
      self,
      mention: !self && this.#mentions(text),
    });
  }

  #mentions(text: string): boolean {
    if (this.#nick === "") return false;
    const escaped = this.#nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(
      `(^|[^\\w\\[\\]\\\\\`^{|}-])${escaped}($|[^\\w\\[\\]\\\\\`^{|}-])`,
      "i",
    )
      .test(text);
  }

  #join(nick: string, name: string, time: Date, history: boolean): void {
    const key = folded(name);
    const self = folded(nick) === folded(this.#nick);
    let channel = this.#conversations.get(key);
    if (channel === undefined) {
      if (!self) return;
      channel = this.#create(name);
      this.#conversations.set(key, channel);
    }
    if (self) {
      channel.name = name;
      channel.joined = true;
    }
    channel.members.set(folded(nick), nick);
    this.#add(channel, {
      kind: "event",
      time,
      history,
      text: self ? `You joined ${name}` : `${nick} joined`,
    });
  }

  #leave(
    nick: string,
    name: string,
    time: Date,
    history: boolean,
    verb: string,
    reason: string | undefined,
  ): void {
    const channel = this.#conversations.get(folded(name));
    if (channel === undefined) return;
    const self = folded(nick) === folded(this.#nick);
    channel.members.delete(folded(nick));
    channel.prefixes.delete(folded(nick));
    const why = reason ? ` (${sanitize(reason)})` : "";
    if (self) {
      channel.joined = false;
      channel.members.clear();
      channel.prefixes.clear();
    }
    this.#add(channel, {
      kind: "event",
      time,
      history,
      text: `${self ? "You" : nick} ${
        self && verb === "left" ? "left" : verb
      }${why}`,
    });
  }

  #quit(nick: string, time: Date, reason: string | undefined): void {
    const key = folded(nick);
    const why = reason ? ` (${sanitize(reason)})` : "";
    for (const conversation of this.#conversations.values()) {
      if (
        conversation.members.delete(key) || folded(conversation.name) === key
      ) {
        conversation.prefixes.delete(key);
        this.#add(conversation, {
          kind: "event",
          time,
          text: `${nick} left the chat${why}`,
        });
      }
    }
  }

  #renamed(from: string, to: string, time: Date): void {
    const oldKey = folded(from);
    const self = oldKey === folded(this.#nick);
    if (self) this.#nick = to;
    const text = self
      ? `You are now known as ${to}`
      : `${from} is now known as ${to}`;
    for (const conversation of [...this.#conversations.values()]) {
      const wasMember = conversation.members.delete(oldKey);
      if (wasMember) {
        conversation.members.set(folded(to), to);
        const prefix = conversation.prefixes.get(oldKey);
        conversation.prefixes.delete(oldKey);
        if (prefix !== undefined) conversation.prefixes.set(folded(to), prefix);
      }
      if (
        conversation.kind === "private" && folded(conversation.name) === oldKey
      ) {
        this.#conversations.delete(oldKey);
        conversation.name = to;
        this.#conversations.set(folded(to), conversation);
        if (this.#active === oldKey) this.#active = folded(to);
        this.#add(conversation, { kind: "event", time, text });
      } else if (wasMember) {
        this.#add(conversation, { kind: "event", time, text });
      }
    }
  }

  #names(channel: string | undefined, list: string): void {
    if (channel === undefined) return;
    const key = folded(channel);
    const pending = this.#namesPending.get(key) ?? new Map<string, string>();
    for (const entry of list.split(" ")) {
      const match = /^([@+%~&]*)(.+)$/.exec(entry);
      if (match) pending.set(match[2], match[1].slice(0, 1));
    }
    this.#namesPending.set(key, pending);
  }

  #namesEnd(channel: string | undefined): void {
    if (channel === undefined) return;
    const key = folded(channel);
    const pending = this.#namesPending.get(key);
    this.#namesPending.delete(key);
    const conversation = this.#conversations.get(key);
    if (pending === undefined || conversation === undefined) return;
    conversation.members.clear();
    conversation.prefixes.clear();
    for (const [nick, prefix] of pending) {
      conversation.members.set(folded(nick), nick);
      if (prefix !== "") conversation.prefixes.set(folded(nick), prefix);
    }
  }

  #create(name: string): Conversation {
    return {
      name,
      kind: name === SERVER_TAB
        ? "server"
        : isChannelName(name)
        ? "channel"
        : "private",
      topic: "",
      members: new Map(),
      prefixes: new Map(),
      lines: [],
      seen: new Set(),
      unread: 0,
      mentions: 0,
      joined: false,
    };
  }

  #add(
    conversation: Conversation,
    line:
      & Omit<ChatLine, "id" | "history" | "self" | "mention">
      & Partial<ChatLine>,
  ): void {
    const full: ChatLine = {
      history: false,
      self: false,
      mention: false,
      ...line,
      id: this.#nextId++,
    };
    conversation.lines.push(full);
    if (conversation.lines.length > MAX_LINES) conversation.lines.shift();
    const shown = folded(conversation.name) === this.#active;
    const counts = !shown && !full.history && !full.self &&
      full.kind !== "event" && full.kind !== "info";
    if (counts) {
      conversation.unread++;
      if (full.mention || conversation.kind === "private") {
        conversation.mentions++;
      }
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
