/**
 * The web chat page: asks for a name (or takes `?nick=ana&channel=plaza`
 * from the address), connects, and turns what the user types into IRC with
 * the same commands as the terminal client (`/me`, `/join`, `/msg`, …).
 *
 * @module
 */

/// <reference lib="dom" />

import {
  isChannelName,
  isValidChannel,
  isValidNick,
  type Message,
} from "../../protocol.ts";
import { splitText } from "../../client/say.ts";
import {
  NICK_RULES,
  parseInput,
  TYPED_COMMANDS,
} from "../../client/typed_commands.ts";
import { nickFromSource } from "../../client/chat_state.ts";
import type { AccountMode } from "./account.ts";
import { Link, PAGE_CAPS } from "./link.ts";
import { ChatModel, SERVER_TAB } from "./model.ts";
import { byId, ChatView } from "./view.ts";

/** Bytes of text per PRIVMSG, leaving room for the source and target the server adds. */
const TEXT_BYTES = 400;
/** Where the last name used is remembered, to fill in the form next time. */
const NICK_KEY = "tertulia.nick";
const DEFAULT_CHANNEL = "#general";
/** Tries a name the page chose (not the user) gets when the server says it is taken. */
const TAKEN_RETRIES = 4;

/** Reads `?nick=` and `?channel=` (with or without `#`). */
function invitation(): { nick?: string; channel?: string } {
  const params = new URLSearchParams(location.search);
  const nick = params.get("nick")?.trim() || undefined;
  const raw = params.get("channel")?.trim();
  const channel = raw ? (raw.startsWith("#") ? raw : `#${raw}`) : undefined;
  return { nick, channel };
}

function webSocketUrl(): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
}

/** The page's behaviour: login, connection life and typed commands. */
class ChatPage {
  #model = new ChatModel();
  #view = new ChatView(this.#model);
  #link: Link;
  /** Channels to join once registered (the chosen one, or those joined before a drop). */
  #wanted: string[] = [];
  /** A channel the user asked for, shown as soon as the server confirms the JOIN. */
  #toOpen: string | undefined = undefined;
  #leaving = false;
  /** Whether the name was chosen by the page (address, reconnect) rather than typed just now. */
  #automatic = false;
  /** Times a name the page chose was found taken on this login. */
  #takenRetries = 0;

  constructor() {
    this.#link = new Link(webSocketUrl(), {
      capabilities: () =>
        this.#model.wantsSasl ? [...PAGE_CAPS, "sasl"] : PAGE_CAPS,
      onOpen: () => this.#model.setStatus("connecting", "signing in"),
      onMessage: (message) => this.#onMessage(message),
      onDrop: (delay) => this.#onDrop(delay),
    });
    this.#model.subscribe(() => this.#view.render());
  }

  /** Wires up the page and connects at once when the address says who to be. */
  boot(): void {
    byId("nick-rules").textContent = NICK_RULES;
    const nickInput = byId<HTMLInputElement>("nick-input");
    const channelInput = byId<HTMLInputElement>("channel-input");
    const passwordInput = byId<HTMLInputElement>("password-input");
    const invite = invitation();
    nickInput.value = invite.nick ?? localStorage.getItem(NICK_KEY) ?? "";
    if (invite.channel) channelInput.value = invite.channel;
    byId("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const nick = nickInput.value.trim();
      const password = passwordInput.value;
      this.#model.credentials = password === "" ? null : {
        account: nick,
        password,
        mode: this.#accountMode(),
      };
      this.#login(nick, channelInput.value.trim(), false);
    });
    // Password managers offer to save a new password only when creating one.
    for (const choice of document.querySelectorAll("[name=account-mode]")) {
      choice.addEventListener("change", () => {
        passwordInput.autocomplete = this.#accountMode() === "register"
          ? "new-password"
          : "current-password";
      });
    }
    byId("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId<HTMLInputElement>("message-input");
      const text = input.value;
      input.value = "";
      this.#typed(text);
    });
    byId("join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId<HTMLInputElement>("join-input");
      const text = input.value.trim();
      if (text === "") return;
      input.value = "";
      this.#typed(`/join ${text}`);
      this.#closePanels();
    });
    byId("channel-list").addEventListener(
      "click",
      (event) => this.#pick(event),
    );
    byId("private-list").addEventListener(
      "click",
      (event) => this.#pick(event),
    );
    byId("member-list").addEventListener("click", (event) => {
      const nick = (event.target as HTMLElement).closest("button")?.dataset
        .privateChat;
      if (nick === undefined) return;
      this.#model.open(nick);
      this.#closePanels();
      byId("message-input").focus();
    });
    byId("leave-button").addEventListener("click", () => {
      const active = this.#model.active;
      if (active.kind === "channel" && active.joined) {
        this.#link.send(`PART ${active.name}`);
      } else this.#model.close(active.name);
      byId("message-input").focus();
    });
    this.#panelToggle("channels-toggle", "sidebar");
    this.#panelToggle("members-toggle", "members");
    document.addEventListener("keydown", (event) => this.#onKey(event));
    this.#view.renderNow();
    if (invite.nick !== undefined) {
      this.#login(invite.nick, channelInput.value.trim(), true);
    } else nickInput.focus();
  }

  #accountMode(): AccountMode {
    const checked = document.querySelector<HTMLInputElement>(
      "[name=account-mode]:checked",
    );
    return checked?.value === "register" ? "register" : "login";
  }

  /** Connects as `nick`, with the model's credentials when the user gave a password. */
  #login(nick: string, channelText: string, automatic: boolean): void {
    const error = byId("nick-error");
    const channel = channelText === ""
      ? DEFAULT_CHANNEL
      : channelText.startsWith("#")
      ? channelText
      : `#${channelText}`;
    if (!isValidNick(nick)) {
      error.textContent = nick === ""
        ? "Please type a name."
        : `"${nick}" cannot be used as a name. ${NICK_RULES}`;
      this.#showLogin();
      return;
    }
    if (!isValidChannel(channel)) {
      error.textContent = `"${channelText}" is not a valid channel name.`;
      this.#showLogin();
      byId("channel-input").focus();
      return;
    }
    error.textContent = "";
    byId<HTMLButtonElement>("login-button").disabled = true;
    this.#wanted = [channel];
    this.#toOpen = channel;
    this.#leaving = false;
    this.#automatic = automatic;
    this.#takenRetries = 0;
    this.#model.beginConnection(nick);
    this.#model.setStatus("connecting");
    this.#link.start(nick);
  }

  #showLogin(focus: "nick-input" | "password-input" = "nick-input"): void {
    byId("login").hidden = false;
    byId("chat").hidden = true;
    byId("channels-toggle").hidden = true;
    byId("members-toggle").hidden = true;
    byId<HTMLButtonElement>("login-button").disabled = false;
    const field = byId<HTMLInputElement>(focus);
    field.focus();
    field.select();
  }

  #showChat(): void {
    byId("login").hidden = true;
    byId("chat").hidden = false;
    byId("channels-toggle").hidden = false;
    byId("members-toggle").hidden = false;
  }

  #onMessage(message: Message): void {
    const reaction = this.#model.handle(message);
    for (const line of reaction.send) this.#link.send(line);
    if (reaction.loginFailed !== undefined) {
      this.#refuse(reaction.loginFailed, "password-input");
      return;
    }
    if (reaction.nickRefused !== undefined) {
      const refused = reaction.nickRefused || this.#model.nick;
      if (reaction.nickReserved) {
        byId<HTMLInputElement>("nick-input").value = refused;
        this.#refuse(
          `The name "${refused}" belongs to an account. If it is yours, type its password and choose "Log in"; otherwise pick another name.`,
          "password-input",
        );
        return;
      }
      // Right after a reload or a drop the server may not have seen our old
      // connection go yet: a name the page chose itself gets a few more tries.
      if (
        message.command === "433" && this.#automatic &&
        this.#takenRetries < TAKEN_RETRIES
      ) {
        this.#takenRetries++;
        this.#link.retrySoon();
        return;
      }
      this.#refuse(
        message.command === "433"
          ? `Someone is already using the name "${refused}". Please pick another.`
          : `"${refused}" cannot be used as a name. ${NICK_RULES}`,
        "nick-input",
      );
      return;
    }
    if (reaction.registered) {
      this.#automatic = true;
      this.#takenRetries = 0;
      localStorage.setItem(NICK_KEY, this.#model.nick);
      // The password stays in memory (for reconnections), not in the page.
      byId<HTMLInputElement>("password-input").value = "";
      this.#link.markHealthy();
      this.#model.setStatus("connected");
      this.#showChat();
      for (const channel of this.#wanted) this.#link.send(`JOIN ${channel}`);
      if (this.#wanted.length === 0) byId("message-input").focus();
      return;
    }
    const self = nickFromSource(message.source).toLowerCase() ===
      this.#model.nick.toLowerCase();
    if (message.command === "NICK" && self) this.#link.nick = this.#model.nick;
    if (message.command === "JOIN" && self) {
      const channel = message.params[0];
      if (
        this.#toOpen !== undefined &&
        this.#toOpen.toLowerCase() === channel.toLowerCase()
      ) {
        this.#toOpen = undefined;
        this.#model.open(channel);
        byId("message-input").focus();
      }
    }
    if (message.command === "PART" && self) {
      this.#model.close(message.params[0]);
    }
  }

  /** Stops connecting and asks again on the name picker, saying why. */
  #refuse(why: string, focus: "nick-input" | "password-input"): void {
    this.#link.stop();
    this.#model.setStatus("idle");
    byId("nick-error").textContent = why;
    this.#showLogin(focus);
  }

  #onDrop(delay: number): void {
    // Rejoin what was joined; a drop before registration keeps the earlier wish.
    if (this.#model.registered) this.#wanted = this.#model.joinedChannels;
    const active = this.#model.active;
    if (active.kind === "channel") this.#toOpen = active.name;
    this.#model.beginConnection(this.#model.nick);
    this.#model.setStatus(
      "reconnecting",
      `trying again in ${Math.ceil(delay / 1000)} s`,
    );
  }

  #typed(text: string): void {
    const model = this.#model;
    const action = parseInput(text);
    const active = model.active;
    const target = active.kind === "server" ? undefined : active.name;
    const say = (to: string, words: string) => {
      for (const piece of splitText(words, TEXT_BYTES)) {
        this.#link.send(`PRIVMSG ${to} :${piece}`);
      }
    };
    switch (action.kind) {
      case "none":
        return;
      case "say":
        if (target === undefined) {
          model.note("Pick a channel first, or type /join #channel.", "error");
        } else say(target, action.text);
        return;
      case "msg":
        if (!isChannelName(action.target)) model.open(action.target);
        say(action.target, action.text);
        return;
      case "me":
        if (target === undefined) {
          model.note("Pick a channel first, or type /join #channel.", "error");
        } else {this.#link.send(
            `PRIVMSG ${target} :\x01ACTION ${action.text}\x01`,
          );}
        return;
      case "join":
        this.#toOpen = action.channel;
        if (
          model.conversations.some((c) =>
            c.joined && c.name.toLowerCase() === action.channel.toLowerCase()
          )
        ) {
          model.open(action.channel);
          this.#toOpen = undefined;
          return;
        }
        this.#link.send(
          `JOIN ${action.channel}${action.key ? ` ${action.key}` : ""}`,
        );
        return;
      case "part": {
        const channel = action.channel ??
          (active.kind === "channel" ? active.name : undefined);
        if (channel === undefined) {
          if (active.kind === "private") model.close(active.name);
          else model.note("You are not in a channel here.", "error");
          return;
        }
        this.#link.send(
          `PART ${channel}${action.reason ? ` :${action.reason}` : ""}`,
        );
        return;
      }
      case "query":
        if (action.nick !== undefined) model.open(action.nick);
        else {
          const channel = model.conversations.find((c) => c.kind === "channel");
          model.open(channel?.name ?? SERVER_TAB);
        }
        return;
      case "nick":
        this.#link.send(`NICK ${action.nick}`);
        return;
      case "names":
        if (active.kind === "channel") this.#link.send(`NAMES ${active.name}`);
        return;
      case "topic": {
        const channel = action.channel ??
          (active.kind === "channel" ? active.name : undefined);
        if (channel === undefined) {
          model.note("Usage: /topic [#channel] [text]", "error");
          return;
        }
        if (action.text === undefined) {
          const known = model.conversations.find((c) =>
            c.name.toLowerCase() === channel.toLowerCase()
          );
          model.note(
            known?.topic
              ? `Topic for ${channel}: ${known.topic}`
              : `No topic is set for ${channel}.`,
          );
        } else this.#link.send(`TOPIC ${channel} :${action.text}`);
        return;
      }
      case "list":
        this.#link.send("LIST");
        return;
      case "whois":
        this.#link.send(`WHOIS ${action.nick}`);
        return;
      case "away":
        this.#link.send(action.text ? `AWAY :${action.text}` : "AWAY");
        return;
      case "raw":
        this.#link.send(action.line);
        return;
      case "help":
        model.note("Commands:");
        for (const [name, command] of Object.entries(TYPED_COMMANDS)) {
          model.note(`/${name} ${command.args} — ${command.summary}`);
        }
        model.note("Anything else you type is sent to the conversation shown.");
        return;
      case "quit":
        this.#quit(action.reason ?? "Leaving");
        return;
      case "register":
      case "login":
        // Passwords are typed only on the name picker, never in the chat box.
        model.note(
          'To log in or create an account, type /quit, then your name and password with "Log in" or "Create account".',
        );
        return;
      case "error":
        model.note(action.message, "error");
        return;
    }
  }

  #quit(reason: string): void {
    if (this.#leaving) return;
    this.#leaving = true;
    this.#link.send(`QUIT :${reason}`);
    this.#link.stop();
    this.#model.setStatus("disconnected", "you left the chat");
    byId("nick-error").textContent = "";
    this.#showLogin();
  }

  #pick(event: Event): void {
    const button = (event.target as HTMLElement).closest("button");
    const name = button?.dataset.conversation;
    if (name === undefined) return;
    this.#model.open(name);
    this.#closePanels();
    byId("message-input").focus();
  }

  #panelToggle(buttonId: string, panelId: string): void {
    const button = byId(buttonId);
    const panel = byId(panelId);
    button.addEventListener("click", () => {
      const open = !panel.classList.contains("open");
      this.#closePanels();
      panel.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
      if (open) panel.querySelector<HTMLElement>("button, input")?.focus();
    });
  }

  #closePanels(): void {
    for (
      const [buttonId, panelId] of [["channels-toggle", "sidebar"], [
        "members-toggle",
        "members",
      ]]
    ) {
      byId(panelId).classList.remove("open");
      byId(buttonId).setAttribute("aria-expanded", "false");
    }
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key === "Escape") {
      this.#closePanels();
      if (!byId("chat").hidden) byId("message-input").focus();
      return;
    }
    // Alt+↑ / Alt+↓ move between conversations without leaving the keyboard.
    if (
      event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")
    ) {
      const list = this.#model.conversations;
      const index = list.indexOf(this.#model.active);
      const next = list[
        (index + (event.key === "ArrowUp" ? -1 : 1) + list.length) % list.length
      ];
      this.#model.open(next.name);
      event.preventDefault();
    }
  }
}

new ChatPage().boot();
