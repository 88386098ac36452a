/**
 * Draws a {@link ChatModel} into the page's skeleton (web/page/index.html):
 * status, conversation list with unread counts, header and topic, the
 * message log (appended to, not redrawn, so screen readers announce only new
 * lines) and the users-online list. All text goes in through `textContent`,
 * never as HTML.
 *
 * @module
 */

/// <reference lib="dom" />

import type { ChatLine, ChatModel, Conversation } from "./model.ts";
import { nickColor } from "./nick_color.ts";

/** Finds an element of the skeleton by id, or fails loudly (the page and script must match). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

const STATUS_TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Connection lost",
  disconnected: "Disconnected",
};

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'}]/g;

/** `14:03` for today, `25 Nov 14:03` for earlier days (24-hour, so it stays narrow). */
function clock(time: Date): string {
  const hm = `${String(time.getHours()).padStart(2, "0")}:${
    String(time.getMinutes()).padStart(2, "0")
  }`;
  if (time.toDateString() === new Date().toDateString()) return hm;
  return `${
    time.toLocaleDateString([], { day: "numeric", month: "short" })
  } ${hm}`;
}

/** Appends `text` to `parent`, with web addresses as links that open in a new tab. */
function appendLinkified(parent: HTMLElement, text: string): void {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    parent.append(text.slice(last, start));
    const link = document.createElement("a");
    link.href = match[0];
    link.textContent = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.append(link);
    last = start + match[0].length;
  }
  parent.append(text.slice(last));
}

/** Draws the model; call {@link ChatView.render} after changes (it batches to one frame). */
export class ChatView {
  #model: ChatModel;
  #shownConversation: Conversation | undefined = undefined;
  #lastLineId = 0;
  #lastHistory: boolean | undefined = undefined;
  #scheduled = false;

  /** A view of `model`, drawing into the current document. */
  constructor(model: ChatModel) {
    this.#model = model;
  }

  /** Redraws on the next animation frame (many messages in a burst draw once). */
  render(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      this.renderNow();
    });
  }

  /** Redraws at once. */
  renderNow(): void {
    const model = this.#model;
    this.#status();
    this.#conversations();
    this.#header(model.active);
    this.#messages(model.active);
    this.#members(model.active);
    const unread = model.unreadTotal;
    document.title = `${unread > 0 ? `(${unread}) ` : ""}${
      model.active.kind === "server" ? "" : `${model.active.name} · `
    }tertulia`;
    const total = byId("total-unread");
    total.hidden = unread === 0;
    total.textContent = String(unread);
  }

  #status(): void {
    const status = byId("status");
    const { status: state, statusDetail } = this.#model;
    status.dataset.state = state;
    const account = this.#model.account;
    const nick = state !== "connected"
      ? ""
      : ` as ${this.#model.nick}${
        account === undefined ? "" : `, logged in to account ${account}`
      }`;
    status.textContent = `${STATUS_TEXT[state]}${nick}${
      statusDetail ? ` — ${statusDetail}` : ""
    }`;
  }

  #conversations(): void {
    const active = this.#model.active;
    const channels = byId("channel-list");
    const privates = byId("private-list");
    const channelItems: HTMLElement[] = [];
    const privateItems: HTMLElement[] = [];
    for (const conversation of this.#model.conversations) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.conversation = conversation.name;
      if (conversation === active) button.setAttribute("aria-current", "true");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = conversation.kind === "server"
        ? "Server messages"
        : conversation.name;
      button.append(name);
      let label = name.textContent;
      if (conversation.unread > 0) {
        item.classList.add("has-unread");
        const badge = document.createElement("span");
        badge.className = conversation.mentions > 0 ? "badge" : "badge quiet";
        badge.textContent = String(conversation.unread);
        badge.setAttribute("aria-hidden", "true");
        button.append(badge);
        label += `, ${conversation.unread} unread${
          conversation.mentions > 0 ? `, ${conversation.mentions} for you` : ""
        }`;
      }
      if (conversation.kind === "channel" && !conversation.joined) {
        label += " (not joined)";
      }
      button.setAttribute("aria-label", label);
      item.append(button);
      (conversation.kind === "private" ? privateItems : channelItems).push(
        item,
      );
    }
    channels.replaceChildren(...channelItems);
    privates.replaceChildren(...privateItems);
    byId("private-title").hidden = privateItems.length === 0;
  }

  #header(conversation: Conversation): void {
    const title = conversation.kind === "server"
      ? "Server messages"
      : conversation.kind === "private"
      ? `Private chat with ${conversation.name}`
      : conversation.name;
    byId("conversation-title").textContent = title;
    byId("topic").textContent = conversation.topic;
    const leave = byId<HTMLButtonElement>("leave-button");
    leave.hidden = conversation.kind === "server";
    leave.textContent = conversation.kind === "private" ? "Close" : "Leave";
    leave.setAttribute(
      "aria-label",
      conversation.kind === "private"
        ? `Close the private chat with ${conversation.name}`
        : `Leave ${conversation.name}`,
    );
    const input = byId<HTMLInputElement>("message-input");
    const placeholder = conversation.kind === "server"
      ? "Type /join #channel, or /help"
      : `Message ${conversation.name}`;
    input.placeholder = placeholder;
    byId("message-label").textContent = placeholder;
  }

  #messages(conversation: Conversation): void {
    const log = byId("messages");
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    if (conversation !== this.#shownConversation) {
      this.#shownConversation = conversation;
      this.#lastLineId = 0;
      this.#lastHistory = undefined;
      log.replaceChildren();
    }
    const fresh = conversation.lines.filter((line) =>
      line.id > this.#lastLineId
    );
    // Lines dropped off the front (past MAX_LINES) leave the log too.
    const oldest = conversation.lines[0]?.id ?? 0;
    for (const item of [...log.querySelectorAll<HTMLElement>("[data-id]")]) {
      if (Number(item.dataset.id) < oldest) item.remove();
    }
    for (const line of fresh) {
      if (line.history !== this.#lastHistory) {
        if (line.history || this.#lastHistory !== undefined) {
          log.append(this.#divider(
            line.history ? "Earlier messages" : "New messages",
          ));
        }
        this.#lastHistory = line.history;
      }
      log.append(this.#line(line));
      this.#lastLineId = line.id;
    }
    if (conversation.lines.length === 0 && log.childElementCount === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = conversation.kind === "server"
        ? "Messages from the server show here."
        : "No messages yet. Say hello!";
      log.append(empty);
    } else if (fresh.length > 0) {
      log.querySelector(".empty")?.remove();
    }
    if (fresh.length > 0 && (atBottom || fresh.some((line) => line.self))) {
      log.scrollTop = log.scrollHeight;
    }
  }

  #divider(text: string): HTMLElement {
    const item = document.createElement("li");
    item.className = "divider";
    item.setAttribute("role", "separator");
    item.textContent = text;
    return item;
  }

  #line(line: ChatLine): HTMLElement {
    const item = document.createElement("li");
    item.className = `line ${line.kind}`;
    item.dataset.id = String(line.id);
    if (line.history) item.classList.add("history");
    if (line.self) item.classList.add("self");
    if (line.mention) item.classList.add("mention");
    const time = document.createElement("time");
    time.dateTime = line.time.toISOString();
    time.title = line.time.toLocaleString();
    time.textContent = clock(line.time);
    const body = document.createElement("span");
    body.className = "body";
    if (line.from !== undefined) {
      const from = document.createElement("span");
      from.className = "from";
      from.style.color = nickColor(line.from);
      from.textContent = line.kind === "action" ? `* ${line.from}` : line.from;
      body.append(from, " ");
    }
    appendLinkified(body, line.text);
    if (line.history) {
      const note = document.createElement("span");
      note.className = "visually-hidden";
      note.textContent = " (earlier message)";
      body.append(note);
    }
    if (line.mention) {
      const note = document.createElement("span");
      note.className = "visually-hidden";
      note.textContent = " (mentions you)";
      body.append(note);
    }
    item.append(time, body);
    return item;
  }

  #members(conversation: Conversation): void {
    const list = byId("member-list");
    const title = byId("members-title");
    const count = byId("member-count");
    const members = conversation.kind === "channel"
      ? this.#model.members(conversation)
      : conversation.kind === "private"
      ? [{ nick: this.#model.nick, prefix: "" }, {
        nick: conversation.name,
        prefix: "",
      }]
      : [];
    title.firstChild!.textContent = conversation.kind === "private"
      ? "In this chat "
      : "Users online ";
    count.textContent = members.length > 0 ? `(${members.length})` : "";
    const me = this.#model.nick.toLowerCase();
    list.replaceChildren(...members.map(({ nick, prefix }) => {
      const item = document.createElement("li");
      item.dataset.nick = nick;
      const isMe = nick.toLowerCase() === me;
      // Others' names open a private chat with them.
      const name = document.createElement(isMe ? "span" : "button");
      name.className = "member-name";
      name.textContent = nick;
      name.style.color = nickColor(nick);
      if (name instanceof HTMLButtonElement) {
        name.type = "button";
        name.dataset.privateChat = nick;
        name.setAttribute("aria-label", `${nick}: send a private message`);
      }
      item.append(name);
      if (prefix === "@" || prefix === "+") {
        const role = document.createElement("span");
        role.className = "role";
        role.textContent = prefix === "@" ? "operator" : "voice";
        item.append(role);
      }
      if (isMe) {
        const self = document.createElement("span");
        self.className = "me";
        self.textContent = "(you)";
        item.append(self);
      }
      return item;
    }));
  }
}
