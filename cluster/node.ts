/**
 * One node of a tertulia network: a replicated state machine over one Redis
 * stream. Every line a registered user sends, every registration and every
 * departure is appended to the stream; every node applies the stream in its
 * one order, running the ordinary handlers with the entry's time and message
 * ids, so all nodes hold the same chat state and each delivers to the users
 * whose sockets it holds. Nick uniqueness, channel modes and message order
 * follow from that order: the first claim in the log wins, everywhere.
 *
 * @module
 */

import { casefold } from "../protocol/names.ts";
import { Numeric } from "../protocol/numerics.ts";
import { dispatchLine } from "../server/commands.ts";
import type { NetworkLink, ServerContext, Session } from "../server/context.ts";
import { departUser } from "../server/departure.ts";
import { relayFrom, reply } from "../server/replies.ts";
import { sendToChannel, withMsgids } from "../server/delivery.ts";
import {
  completeRegistration,
  enterChat,
  yieldNick,
} from "../server/handlers/registration.ts";
import { releaseNick, type User } from "../server/state.ts";
import { announceAccount } from "../accounts/service.ts";
import type { Account } from "../accounts/store.ts";
import type { HistoryLine } from "../server/history.ts";
import { decodeAccount, encodeAccount } from "./accounts.ts";
import { ORIGIN_ONLY, READ_ONLY, verbOf } from "./origin_only.ts";
import { type LogEntry, RedisLog } from "./redis_log.ts";
import { recordOf, RemoteSession, type UserRecord } from "./remote_session.ts";
import { channelRecord, restoreChannel, type Snapshot } from "./snapshot.ts";

/** The QUIT reason of users lost with their node, as netsplits look. */
export const NETSPLIT_REASON = "*.net *.split";
/** How long a node's lease lives without renewal, in ms. */
const LEASE_MS = 8000;
/** How often leases are renewed and other nodes' checked, in ms. */
const HEARTBEAT_MS = 2000;
/** After (re)connecting, how long before others' missing leases count, in ms. */
const SETTLE_MS = 6000;
/** The longest one blocking read waits, in ms (then it is simply repeated). */
const READ_BLOCK_MS = 5000;

/** A user known to the network: its connection id, its node, its session here. */
interface Known {
  id: string;
  node: string;
  session: Session;
  local: boolean;
}

/** A local registration waiting for its admit entry to come back. */
interface Admission {
  session: Session;
  nick: string;
  release: () => void;
}

/** Options of {@link ClusterNode}. */
export interface ClusterOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** This node's name (`--name`), unique in the network. */
  node: string;
  /** The network's name (`--network`), shared by its nodes. */
  network: string;
}

/** This server's membership of a network; see the module comment. */
export class ClusterNode implements NetworkLink {
  #server: ServerContext;
  #options: ClusterOptions;
  #log: RedisLog;
  #incarnation = crypto.randomUUID().slice(0, 8);
  #connections = 0;
  #byId = new Map<string, Known>();
  #byUser = new Map<User, Known>();
  #remoteUsers = 0;
  #admissions = new Map<string, Admission>();
  #lastId = "0-0";
  #epoch = "";
  #online = false;
  #onlineSince = 0;
  #closed = false;
  #leaving = false;
  #applying = false;
  /** Whether the entry being applied came from a user of this node. */
  #fromHere = false;
  #clock: number | undefined = undefined;
  #missing = new Map<string, number>();
  #heartbeat: ReturnType<typeof setInterval> | undefined = undefined;
  #wakeReader: (() => void) | undefined = undefined;
  #reading: Promise<void> | undefined = undefined;

  constructor(server: ServerContext, options: ClusterOptions) {
    this.#server = server;
    this.#options = options;
    this.#log = new RedisLog(options.url, options.network, {
      down: (reason) => this.#lost(reason),
      up: () => void this.#back(),
    });
  }

  get applying(): boolean {
    return this.#applying;
  }

  get nodeCount(): number {
    const nodes = new Set([this.#options.node]);
    for (const known of this.#byId.values()) nodes.add(known.node);
    return nodes.size;
  }

  get remoteUsers(): number {
    return this.#remoteUsers;
  }

  /** The clock handlers see: the applied entry's time, so every node stamps alike. */
  now(): number {
    return this.#clock ?? Date.now();
  }

  /**
   * Connects, announces this node, takes the running nodes' state if there
   * are any, and starts applying the log.
   */
  async start(): Promise<void> {
    const { node, network, url } = this.#options;
    await this.#log.connect(url);
    this.#epoch = await this.#log.epoch();
    await this.#log.renewLease(node, this.#incarnation, LEASE_MS);
    const others = (await this.#log.liveNodes()).filter((name) =>
      name !== node
    );
    const store = this.#server.accounts?.store;
    if (store !== undefined) {
      for (const json of await this.#log.accounts()) {
        store.insert(decodeAccount(json));
      }
      store.onCreated = (account) => void this.#shareAccount(account);
    }
    await this.#catchUpHistory();
    const helloId = await this.#log.append(["t", "hello", "n", node]);
    this.#lastId = helloId;
    if (others.length > 0) {
      const json = await this.#log.takeSnapshot(helloId);
      if (json !== undefined) this.#restore(JSON.parse(json) as Snapshot);
    }
    this.#online = true;
    this.#onlineSince = Date.now();
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#reading = this.#readLoop();
    this.#server.log(
      `cluster: ${node} joined network ${network} (${url}, ${others.length} other nodes)`,
    );
  }

  /** Leaves the network: others see this node's users split off; stops reading. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#heartbeat);
    this.#leaving = true;
    if (this.#online) {
      try {
        await this.#log.append(["t", "down", "n", this.#options.node]);
        await this.#log.dropLease(this.#options.node);
      } catch {
        // Redis went away too: the lease runs out by itself.
      }
    }
    this.#closed = true;
    this.#online = false;
    this.#log.close();
    this.#wakeReader?.();
    await this.#reading;
  }

  submit(session: Session, line: string, invalidUtf8: boolean): void {
    const known = this.#byUser.get(session.user);
    if (known === undefined) return session.runLine?.(line, invalidUtf8);
    if (!this.#online) return this.#runUnlinked(session, line, invalidUtf8);
    const fields = ["c", known.id, "l", line];
    if (invalidUtf8) fields.push("u", "1");
    this.#log.append(fields).catch(() =>
      this.#refuse(session, verbOf(line) || "*")
    );
  }

  admit(session: Session): void {
    const { user } = session;
    if (!this.#online) {
      releaseNick(this.#server.state, user);
      return this.#refuse(session, "NICK");
    }
    const id = `${this.#options.node}/${this.#incarnation}/${++this
      .#connections}`;
    const release = session.hold?.() ?? (() => {});
    this.#admissions.set(id, { session, nick: user.nick, release });
    const record = recordOf(user, id, this.#options.node);
    this.#log.append(["t", "admit", "d", JSON.stringify(record)]).catch(() => {
      this.#admissions.delete(id);
      releaseNick(this.#server.state, user);
      this.#refuse(session, "NICK");
      release();
    });
  }

  departLater(session: Session, reason: string, announce: boolean): boolean {
    const known = this.#byUser.get(session.user);
    if (this.#applying || !this.#online || known === undefined) return false;
    const data = JSON.stringify({ reason, announce });
    this.#log.append(["t", "quit", "c", known.id, "d", data]).catch(() =>
      // Not in the log: it leaves here now; the others hear at the resync.
      this.#local(() => this.#depart(known, reason, announce))
    );
    return true;
  }

  userChanged(user: User): void {
    const known = this.#byUser.get(user);
    if (this.#applying || !this.#online || known === undefined) return;
    const data = JSON.stringify({ account: user.account, oper: user.oper });
    this.#log.append(["t", "user", "c", known.id, "d", data]).catch(() => {});
  }

  forget(user: User): void {
    const known = this.#byUser.get(user);
    if (known === undefined) return;
    this.#byUser.delete(user);
    this.#byId.delete(known.id);
    if (!known.local) this.#remoteUsers--;
  }

  /** Tells `session` that what it asked needs the network, which is unreachable. */
  #refuse(session: Session, verb: string): void {
    reply(
      this.#server,
      session.user,
      Numeric.ERR_UNKNOWNERROR,
      verb,
      "The network is unreachable right now; try again shortly",
    );
  }

  /** While Redis is away: lines that only read (and QUIT) run here; the rest are refused. */
  #runUnlinked(session: Session, line: string, invalidUtf8: boolean): void {
    const verb = verbOf(line);
    if (!READ_ONLY.has(verb) && verb !== "QUIT") {
      return this.#refuse(session, verb || "*");
    }
    this.#local(() => session.runLine?.(line, invalidUtf8));
  }

  /** Runs `body` as if applied from the log, at the local clock. */
  #local(body: () => void): void {
    const outer = this.#applying;
    this.#applying = true;
    try {
      body();
    } finally {
      this.#applying = outer;
    }
  }

  async #readLoop(): Promise<void> {
    while (!this.#closed) {
      if (!this.#online) {
        await new Promise<void>((resolve) => this.#wakeReader = resolve);
        this.#wakeReader = undefined;
        continue;
      }
      let entries: LogEntry[];
      try {
        entries = await this.#log.read(this.#lastId, READ_BLOCK_MS);
      } catch {
        // The connection dropped; `#lost` and `#back` say when to go on.
        if (this.#online && !this.#closed) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        continue;
      }
      for (const [id, fields] of entries) {
        this.#lastId = id;
        this.#apply(id, fields);
      }
    }
  }

  /** Applies one entry, with its time as the clock and message ids made from its id. */
  #apply(id: string, fields: string[]): void {
    const get = (name: string) => {
      for (let i = 0; i < fields.length; i += 2) {
        if (fields[i] === name) return fields[i + 1];
      }
      return undefined;
    };
    let count = 0;
    this.#applying = true;
    this.#clock = Number(id.slice(0, id.indexOf("-")));
    try {
      withMsgids(() => `${id}-${++count}`, () => {
        switch (get("t")) {
          case undefined:
            return this.#applyLine(get("c")!, get("l")!, get("u") === "1");
          case "admit":
            return this.#applyAdmit(JSON.parse(get("d")!) as UserRecord);
          case "quit": {
            const known = this.#byId.get(get("c")!);
            const { reason, announce } = JSON.parse(get("d")!);
            if (known !== undefined) this.#depart(known, reason, announce);
            return;
          }
          case "user":
            return this.#applyUser(get("c")!, JSON.parse(get("d")!));
          case "account":
            return this.#applyAccount(get("d")!);
          case "hello":
            return this.#applyHello(id, get("n")!);
          case "down":
            return this.#applyDown(get("n")!);
          case "sync":
            return this.#applySync(
              get("n")!,
              JSON.parse(get("d")!) as Snapshot,
            );
        }
      });
    } catch (error) {
      this.#server.log(`cluster: cannot apply entry ${id}: ${error}`, "error");
    } finally {
      this.#applying = false;
      this.#fromHere = false;
      this.#clock = undefined;
    }
  }

  #applyLine(id: string, line: string, invalidUtf8: boolean): void {
    const known = this.#byId.get(id);
    if (known === undefined) return;
    const originOnly = ORIGIN_ONLY.has(verbOf(line));
    this.#fromHere = known.local;
    if (!known.local) {
      if (!originOnly) {
        dispatchLine(this.#server, known.session, line, invalidUtf8);
      }
    } else if (originOnly) {
      // Run as local input: what it changes for others goes to the log.
      this.#applying = false;
      this.#clock = undefined;
      try {
        known.session.runLine?.(line, invalidUtf8);
      } finally {
        this.#applying = true;
      }
    } else {
      known.session.runLine?.(line, invalidUtf8);
    }
  }

  #applyAdmit(record: UserRecord): void {
    const { state } = this.#server;
    const key = casefold(record.nick);
    const holder = state.users.get(key);
    const admission = this.#admissions.get(record.id);
    if (admission !== undefined) {
      this.#admissions.delete(record.id);
      const { session } = admission;
      if (holder === session.user && session.user.key === key) {
        this.#remember(record.id, this.#options.node, session, true);
        completeRegistration(this.#server, session);
      } else if (!holder?.registered) {
        // Gone while waiting (its connection closed): the others took it in.
        const data = JSON.stringify({
          reason: "Connection closed",
          announce: true,
        });
        this.#log.append(["t", "quit", "c", record.id, "d", data]).catch(
          () => {},
        );
      } else {
        reply(
          this.#server,
          session.user,
          Numeric.ERR_NICKNAMEINUSE,
          record.nick,
          "Nickname is already in use",
        );
      }
      admission.release();
      return;
    }
    // The first claim in the log wins; its own node answers a loser 433.
    if (holder?.registered) return;
    this.#addRemote(record);
  }

  /** Another node's user logged in or became an operator. */
  #applyUser(id: string, change: { account?: string; oper: boolean }): void {
    const known = this.#byId.get(id);
    if (known === undefined || known.local) return;
    const { user } = known.session;
    user.oper = change.oper;
    if (user.account === change.account) return;
    user.account = change.account;
    announceAccount(this.#server, user);
  }

  /** An account registered on another node: stored here too, so it logs in here. */
  #applyAccount(json: string): void {
    this.#server.accounts?.store.insert(decodeAccount(json));
  }

  /** Adds a user of another node to the state, taking its nick from any unregistered holder here. */
  #addRemote(record: UserRecord): User | undefined {
    const { state } = this.#server;
    const holder = state.users.get(casefold(record.nick));
    if (holder?.registered) return undefined;
    if (holder !== undefined) {
      const waiting = [...this.#admissions.values()].some((admission) =>
        admission.session.user === holder
      );
      yieldNick(this.#server, holder, !waiting);
    }
    const session = new RemoteSession(this.#server, record);
    const { user } = session;
    user.nick = record.nick;
    user.key = casefold(record.nick);
    state.users.set(user.key, user);
    this.#remember(record.id, record.node, session, false);
    enterChat(this.#server, user, false);
    if (user.invisible) this.#server.counts.invisible++;
    return user;
  }

  #remember(id: string, node: string, session: Session, local: boolean) {
    const known = { id, node, session, local };
    if (!local) this.#remoteUsers++;
    this.#byId.set(id, known);
    this.#byUser.set(session.user, known);
  }

  /** Takes a user out of the state (a local one's connection is closing already). */
  #depart(known: Known, reason: string, announce: boolean): void {
    departUser(this.#server, known.session.user, reason, announce, false);
  }

  /** A node (re)starting: whatever it had before is gone; it gets our state if it asks. */
  #applyHello(id: string, node: string): void {
    if (node === this.#options.node) return;
    this.#splitOff(node);
    const json = JSON.stringify(this.#snapshot());
    this.#log.offerSnapshot(id, json).catch(() => {});
  }

  #applyDown(node: string): void {
    if (node === this.#options.node) {
      // The others think we died (a partition, a stall): tell them who is here.
      if (!this.#leaving) void this.#sync();
      return;
    }
    this.#splitOff(node);
  }

  /** Every user of `node` quits, as in a netsplit. */
  #splitOff(node: string): void {
    for (const known of [...this.#byId.values()]) {
      if (known.node === node && !known.local) {
        this.#depart(known, NETSPLIT_REASON, true);
      }
    }
    this.#missing.delete(node);
  }

  /**
   * A node's own account of its users after an outage: those we hold that
   * it no longer has quit, those it has that we lack join.
   */
  #applySync(node: string, snapshot: Snapshot): void {
    if (node === this.#options.node) return;
    const announced = new Set(snapshot.users.map((record) => record.id));
    for (const known of [...this.#byId.values()]) {
      if (known.node === node && !announced.has(known.id)) {
        this.#depart(known, NETSPLIT_REASON, true);
      }
    }
    for (const record of snapshot.users) {
      if (!this.#byId.has(record.id)) this.#addRemote(record);
    }
    for (const channelData of snapshot.channels) {
      const { channel, joined } = restoreChannel(
        this.#server.state,
        channelData,
        (id) => this.#byId.get(id)?.session.user,
      );
      for (const user of joined) {
        sendToChannel(
          channel,
          relayFrom(this.#server, user, "JOIN", [channel.name]),
        );
      }
    }
  }

  /** The state as a snapshot (all of it, or only this node's users and their channels). */
  #snapshot(onlyLocal = false): Snapshot {
    const idOf = (user: User) => {
      const known = this.#byUser.get(user);
      return known === undefined || (onlyLocal && !known.local)
        ? undefined
        : known.id;
    };
    const users: UserRecord[] = [];
    for (const known of this.#byId.values()) {
      if (onlyLocal && !known.local) continue;
      users.push(recordOf(known.session.user, known.id, known.node));
    }
    const channels = [...this.#server.state.channels.values()]
      .map((channel) => channelRecord(channel, idOf))
      .filter((record) => !onlyLocal || record.members.length > 0);
    return { users, channels, peak: this.#server.counts.peak };
  }

  /** Takes a running node's snapshot as this node's state, before applying anything. */
  #restore(snapshot: Snapshot): void {
    const { state } = this.#server;
    state.channels.clear();
    for (const record of snapshot.users) this.#addRemote(record);
    for (const record of snapshot.channels) {
      restoreChannel(state, record, (id) => this.#byId.get(id)?.session.user);
    }
    this.#server.counts.peak = Math.max(
      this.#server.counts.peak,
      snapshot.peak,
    );
  }

  /** Appends this node's own users and their channels, so others can mend their view. */
  async #sync(): Promise<void> {
    const data = JSON.stringify(this.#snapshot(true));
    try {
      await this.#log.append(["t", "sync", "n", this.#options.node, "d", data]);
    } catch {
      // Redis went away again; the next return syncs.
    }
  }

  /**
   * Stores the lines this node missed while it was down (or before it
   * first ran) from the network's shared history, and from now on shares
   * the lines its own users send.
   */
  async #catchUpHistory(): Promise<void> {
    const hook = this.#server.history;
    if (hook === undefined) return;
    const { store } = hook;
    const lines = (await this.#log.history()).map((json) =>
      JSON.parse(json) as HistoryLine
    );
    // Every lookup first, then every write: lookups commit queued writes.
    const missing = lines.filter((line) =>
      store.around(line.target, { msgid: line.msgid }, 1).length === 0
    );
    for (const line of missing) store.record(line);
    if (missing.length > 0) {
      this.#server.log(
        `cluster: stored ${missing.length} history lines sent while this node was away`,
      );
    }
    hook.onRecorded = (line) => {
      if (!this.#fromHere) return;
      this.#log.keepHistory(JSON.stringify(line)).catch(() => {});
    };
  }

  /** Keeps an account made here in Redis, for nodes that start later, and tells the running ones. */
  async #shareAccount(account: Account): Promise<void> {
    const json = encodeAccount(account);
    try {
      await this.#log.keepAccount(account.name, json);
      await this.#log.append(["t", "account", "d", json]);
    } catch (error) {
      this.#server.log(
        `cluster: account ${account.name} is not shared yet (${error}); it is at the next start of the other nodes`,
        "warn",
      );
    }
  }

  /** Renews this node's lease and reports nodes whose lease ran out. */
  async #beat(): Promise<void> {
    if (!this.#online) return;
    const { node } = this.#options;
    try {
      await this.#log.renewLease(node, this.#incarnation, LEASE_MS);
      if (Date.now() - this.#onlineSince < SETTLE_MS) return;
      const live = new Set(await this.#log.liveNodes());
      const known = new Set([...this.#byId.values()].map((k) => k.node));
      for (const other of known) {
        if (other === node || live.has(other)) {
          this.#missing.delete(other);
          continue;
        }
        const misses = (this.#missing.get(other) ?? 0) + 1;
        this.#missing.set(other, misses);
        if (misses >= 2) await this.#log.append(["t", "down", "n", other]);
      }
    } catch {
      // Redis is away; `#lost` has said so.
    }
  }

  #lost(reason: string): void {
    if (this.#closed || !this.#online) return;
    this.#online = false;
    this.#server.log(
      `cluster: Redis unreachable (${reason}); local users stay, commands that need the network are refused`,
      "warn",
    );
  }

  async #back(): Promise<void> {
    if (this.#closed || this.#online) return;
    try {
      const epoch = await this.#log.epoch();
      if (epoch !== this.#epoch) {
        // Redis lost its data: the new log starts from scratch.
        this.#epoch = epoch;
        this.#lastId = "0-0";
      }
      await this.#log.renewLease(
        this.#options.node,
        this.#incarnation,
        LEASE_MS,
      );
    } catch {
      return;
    }
    this.#online = true;
    this.#onlineSince = Date.now();
    this.#missing.clear();
    this.#server.log(`cluster: Redis is back; resyncing`);
    await this.#sync();
    this.#wakeReader?.();
  }
}
