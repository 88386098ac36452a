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

import { announceAccount } from "../accounts/service.ts";
import { MAX_LINE_BYTES } from "../protocol/message.ts";
import { casefold } from "../protocol/names.ts";
import { Numeric } from "../protocol/numerics.ts";
import { dispatchLine } from "../server/commands.ts";
import { SOFT_SENDQ_BYTES } from "../server/connection.ts";
import type { NetworkLink, ServerContext, Session } from "../server/context.ts";
import { sendToChannel, withMsgids } from "../server/delivery.ts";
import { departUser } from "../server/departure.ts";
import {
  completeRegistration,
  enterChat,
  yieldNick,
} from "../server/handlers/registration.ts";
import { relayFrom, reply } from "../server/replies.ts";
import { releaseNick, type User } from "../server/state.ts";
import { decodeAccount } from "./accounts.ts";
import { Directory, type Known } from "./directory.ts";
import {
  decodeBatch,
  encodeBatch,
  encodeEntry,
  type Entry,
} from "./entries.ts";
import { Heartbeat } from "./heartbeat.ts";
import {
  ORIGIN_ONLY,
  PASSWORD_CHECKS,
  READ_ONLY,
  verbOf,
} from "./origin_only.ts";
import { type LogEntry, redactUrl, RedisLog } from "./redis_log.ts";
import { recordOf, RemoteSession, type UserRecord } from "./remote_session.ts";
import { shareAccounts, shareHistory } from "./shared_stores.ts";
import { channelRecord, restoreChannel, type Snapshot } from "./snapshot.ts";

/** The QUIT reason of users lost with their node, as netsplits look. */
export const NETSPLIT_REASON = "*.net *.split";
/**
 * Lines of one user that may be on their way through Redis at once; past
 * it, the user's input waits (backpressure at the source, as a sendq over
 * its soft limit holds back the sender on a single server).
 */
const MAX_IN_FLIGHT = 64;
/**
 * Entries applied before the node lets the event loop turn, so its socket
 * writes come between them: at most a soft sendq's worth of full lines per
 * reader keeps backpressure able to act between turns, as it does between
 * lines on a single server, instead of a burst overflowing the hard sendq of
 * readers that keep up.
 */
const APPLY_BUDGET = Math.floor(SOFT_SENDQ_BYTES / MAX_LINE_BYTES);
/** Most entries written in one stream entry. */
const MAX_BATCH = 256;
/** The longest one blocking read waits, in ms (then it is simply repeated). */
const READ_BLOCK_MS = 5000;

/** A local registration waiting for its admit entry to come back. */
interface Admission {
  session: Session;
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
  readonly incarnation = crypto.randomUUID().slice(0, 8);
  #server: ServerContext;
  #options: ClusterOptions;
  #log: RedisLog;
  #heartbeat: Heartbeat;
  #users = new Directory();
  #admissions = new Map<string, Admission>();
  /** Departures sent to the log and not applied yet, by connection: each leaves here at once when run. */
  #departing = new Map<string, () => void>();
  /** Input holds taken when a password check was sent to the log, by connection, oldest first. */
  #held = new Map<string, (() => void)[]>();
  #connections = 0;
  #lastId = "0-0";
  #applied = 0;
  /** Entries waiting for this turn's write, with who waits for their id. */
  #outgoing: {
    fields: string[];
    done: (id: string) => void;
    failed: (error: unknown) => void;
  }[] = [];
  #writeScheduled = false;
  /** Bumped when Redis lost the log, so a read under way stops applying its old entries. */
  #logGeneration = 0;
  #localPeak = 0;
  #epoch = "";
  #online = false;
  #leaving = false;
  #closed = false;
  #applying = false;
  /** Whether the entry being applied came from a user of this node. */
  #fromHere = false;
  #clock: number | undefined = undefined;
  #wakeReader: (() => void) | undefined = undefined;
  #reading: Promise<void> | undefined = undefined;

  constructor(server: ServerContext, options: ClusterOptions) {
    this.#server = server;
    this.#options = options;
    this.#log = new RedisLog(options.url, options.network, {
      down: (reason) => this.#lost(reason),
      up: () => void this.#back(),
    });
    this.#heartbeat = new Heartbeat(this.#log, this);
  }

  /** This node's name. */
  get node(): string {
    return this.#options.node;
  }

  /** Whether Redis is reachable now. */
  get online(): boolean {
    return this.#online;
  }

  get applied(): number {
    return this.#applied;
  }

  get applying(): boolean {
    return this.#applying;
  }

  get nodeCount(): number {
    return this.#users.nodes(this.node).size;
  }

  nodeNames(): string[] {
    return [...this.#users.nodes(this.node)].sort();
  }

  get remoteUsers(): number {
    return this.#users.remoteCount;
  }

  get localPeak(): number {
    return this.#localPeak;
  }

  /** The clock handlers see: the applied entry's time, so every node stamps alike. */
  now(): number {
    return this.#clock ?? Date.now();
  }

  /**
   * Connects, fills in accounts and history kept in Redis, announces this
   * node, takes the running nodes' state if there are any, and starts
   * applying the log.
   */
  async start(): Promise<void> {
    const { node, network, url } = this.#options;
    await this.#log.connect(url);
    this.#epoch = await this.#log.epoch();
    await this.#heartbeat.renew();
    const others = (await this.#log.liveNodes()).filter((name) =>
      name !== node
    );
    await shareAccounts(
      this.#server,
      this.#log,
      (account) => this.#append({ kind: "account", account }),
    );
    await shareHistory(this.#server, this.#log, () => this.#fromHere);
    const helloId = await this.#append({ kind: "hello", node });
    this.#lastId = helloId;
    if (others.length > 0) {
      const json = await this.#log.takeSnapshot(helloId);
      if (json !== undefined) this.#restore(JSON.parse(json) as Snapshot);
    }
    this.#online = true;
    this.#heartbeat.connected();
    this.#reading = this.#readLoop();
    this.#server.log(
      `cluster: ${node} joined network ${network} (${
        redactUrl(url)
      }, ${others.length} other nodes)`,
    );
  }

  /** Leaves the network: others see this node's users split off; stops reading. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#heartbeat.stop();
    this.#leaving = true;
    if (this.#online) {
      try {
        await this.#append({ kind: "down", node: this.node });
        await this.#log.dropLease(this.node);
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
    const known = this.#users.of(session.user);
    if (known === undefined) return session.runLine?.(line, invalidUtf8);
    if (!this.#online) return this.#runUnlinked(session, line, invalidUtf8);
    const verb = verbOf(line);
    // The lines after a password check wait for its answer; they are not
    // even sent to the log until it is in.
    const release = PASSWORD_CHECKS.has(verb) ? session.hold?.() : undefined;
    if (release !== undefined) {
      const held = this.#held.get(known.id) ?? [];
      held.push(release);
      this.#held.set(known.id, held);
    }
    this.#sent(known, session);
    this.#append({ kind: "line", conn: known.id, line, invalidUtf8 }).catch(
      () => {
        this.#refuse(session, verb || "*");
        this.#releaseOldest(known.id);
        this.#landed(known);
      },
    );
  }

  /** Counts a line of `known` sent to the log; holds its input when too many are. */
  #sent(known: Known, session: Session): void {
    known.inFlight = (known.inFlight ?? 0) + 1;
    if (known.inFlight >= MAX_IN_FLIGHT && known.resume === undefined) {
      known.resume = session.hold?.();
    }
  }

  /** A line of `known` came back from the log (or never got there). */
  #landed(known: Known): void {
    known.inFlight = Math.max(0, (known.inFlight ?? 1) - 1);
    if (known.resume !== undefined && known.inFlight <= MAX_IN_FLIGHT / 2) {
      const resume = known.resume;
      known.resume = undefined;
      resume();
    }
  }

  /** Lets go of the oldest input hold of connection `id`. */
  #releaseOldest(id: string): void {
    const held = this.#held.get(id);
    held?.shift()?.();
    if (held?.length === 0) this.#held.delete(id);
  }

  admit(session: Session): void {
    const { user } = session;
    if (!this.#online) {
      releaseNick(this.#server.state, user);
      return this.#refuse(session, "NICK");
    }
    const id = `${this.node}/${this.incarnation}/${++this.#connections}`;
    const release = session.hold?.() ?? (() => {});
    this.#admissions.set(id, { session, release });
    this.#append({ kind: "admit", user: recordOf(user, id, this.node) })
      .catch(() => {
        this.#admissions.delete(id);
        releaseNick(this.#server.state, user);
        this.#refuse(session, "NICK");
        release();
      });
  }

  departLater(session: Session, reason: string, announce: boolean): boolean {
    const known = this.#users.of(session.user);
    if (this.#applying || !this.#online || known === undefined) return false;
    const leave = () =>
      this.#asApplied(() => this.#depart(known, reason, announce));
    this.#departing.set(known.id, leave);
    // Not in the log: it leaves here now; the others hear at the resync.
    this.#append({ kind: "quit", conn: known.id, reason, announce }).catch(
      leave,
    );
    return true;
  }

  userChanged(user: User): void {
    const known = this.#users.of(user);
    if (this.#applying || !this.#online || known === undefined) return;
    const { account, oper } = user;
    this.#append({ kind: "user", conn: known.id, account, oper })
      .catch(() => {});
  }

  forget(user: User): void {
    const known = this.#users.of(user);
    if (known !== undefined) {
      this.#held.delete(known.id);
      this.#departing.delete(known.id);
    }
    this.#users.forget(user);
  }

  /** Nodes this node holds users of (for the heartbeat). */
  nodesWithUsers(): Set<string> {
    return this.#users.nodes(this.node);
  }

  /** `node`'s lease ran out: its users split off everywhere. */
  async nodeLost(node: string): Promise<void> {
    await this.#append({ kind: "down", node });
  }

  /** Queues `entry` for this turn's write; resolves with the id of the stream entry holding it. */
  #append(entry: Entry): Promise<string> {
    return new Promise((done, failed) => {
      this.#outgoing.push({ fields: encodeEntry(entry), done, failed });
      if (this.#writeScheduled) return;
      this.#writeScheduled = true;
      setTimeout(() => this.#write(), 0);
    });
  }

  /** Writes the queued entries, in order, a batch per stream entry. */
  #write(): void {
    this.#writeScheduled = false;
    while (this.#outgoing.length > 0) {
      const batch = this.#outgoing.splice(0, MAX_BATCH);
      this.#log.append(encodeBatch(batch.map((queued) => queued.fields))).then(
        (id) => batch.forEach((queued) => queued.done(id)),
        (error) => batch.forEach((queued) => queued.failed(error)),
      );
    }
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
    this.#asApplied(() => session.runLine?.(line, invalidUtf8));
  }

  /** Runs `body` as if applied from the log (departures happen at once), at the local clock. */
  #asApplied(body: () => void): void {
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
      const generation = this.#logGeneration;
      let budget = APPLY_BUDGET;
      for (const [id, fields] of entries) {
        if (generation !== this.#logGeneration) break;
        this.#lastId = id;
        for (const [index, entry] of decodeBatch(fields).entries()) {
          // Each entry names its own messages, so one that runs on its
          // user's node alone (and may make ids there) shifts no other's.
          let count = 0;
          this.#apply(id, entry, () => `${id}-${index}-${++count}`);
          if (--budget > 0) continue;
          budget = APPLY_BUDGET;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
    }
  }

  /** Applies one entry, with its time as the clock and message ids made from its id. */
  #apply(id: string, entry: Entry, msgid: () => string): void {
    this.#applied++;
    this.#applying = true;
    this.#clock = Number(id.slice(0, id.indexOf("-")));
    try {
      withMsgids(msgid, () => this.#applyEntry(id, entry));
    } catch (error) {
      this.#server.log(`cluster: cannot apply entry ${id}: ${error}`, "error");
    } finally {
      this.#applying = false;
      this.#fromHere = false;
      this.#clock = undefined;
    }
  }

  #applyEntry(id: string, entry: Entry): void {
    switch (entry.kind) {
      case "line":
        return this.#applyLine(entry.conn, entry.line, entry.invalidUtf8);
      case "admit":
        return this.#applyAdmit(entry.user);
      case "quit": {
        const known = this.#users.byId(entry.conn);
        if (known !== undefined) {
          this.#depart(known, entry.reason, entry.announce);
        }
        return;
      }
      case "user":
        return this.#applyUser(entry.conn, entry.account, entry.oper);
      case "account":
        this.#server.accounts?.store.insert(decodeAccount(entry.account));
        return;
      case "hello":
        return this.#applyHello(id, entry.node);
      case "down":
        return this.#applyDown(entry.node);
      case "sync":
        return this.#applySync(entry.node, entry.snapshot);
    }
  }

  #applyLine(id: string, line: string, invalidUtf8: boolean): void {
    const known = this.#users.byId(id);
    if (known === undefined) return;
    const originOnly = ORIGIN_ONLY.has(verbOf(line));
    this.#fromHere = known.local;
    if (known.local) this.#landed(known);
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
        // A check still running holds the input itself from here on.
        if (PASSWORD_CHECKS.has(verbOf(line))) this.#releaseOldest(id);
      }
    } else {
      known.session.runLine?.(line, invalidUtf8);
    }
  }

  #applyAdmit(record: UserRecord): void {
    const key = casefold(record.nick);
    const holder = this.#server.state.users.get(key);
    const admission = this.#admissions.get(record.id);
    if (admission === undefined) {
      // The first claim in the log wins; its own node answers a loser 433.
      if (!holder?.registered) this.#addRemote(record);
      return;
    }
    this.#admissions.delete(record.id);
    const { session } = admission;
    if (holder === session.user && session.user.key === key) {
      this.#users.add({ id: record.id, node: this.node, session, local: true });
      this.#localPeak = Math.max(this.#localPeak, this.#users.localCount);
      completeRegistration(this.#server, session);
    } else if (!holder?.registered) {
      // Gone while waiting (its connection closed): the others took it in.
      this.#append({
        kind: "quit",
        conn: record.id,
        reason: "Connection closed",
        announce: true,
      }).catch(() => {});
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
  }

  /** Adds a user of another node to the state, taking its nick from any unregistered holder here. */
  #addRemote(record: UserRecord): User | undefined {
    const { state } = this.#server;
    const key = casefold(record.nick);
    const holder = state.users.get(key);
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
    user.key = key;
    state.users.set(key, user);
    this.#users.add({
      id: record.id,
      node: record.node,
      session,
      local: false,
    });
    enterChat(this.#server, user, false);
    if (user.invisible) this.#server.counts.invisible++;
    return user;
  }

  /** Another node's user logged in or became an operator. */
  #applyUser(id: string, account: string | undefined, oper: boolean): void {
    const known = this.#users.byId(id);
    if (known === undefined || known.local) return;
    const { user } = known.session;
    user.oper = oper;
    if (user.account === account) return;
    user.account = account;
    announceAccount(this.#server, user);
  }

  /** Takes a user out of the state (a local one's connection is closing already). */
  #depart(known: Known, reason: string, announce: boolean): void {
    departUser(this.#server, known.session.user, reason, announce, false);
  }

  /** A node (re)starting: whatever it had before is gone; it gets our state if it asks. */
  #applyHello(id: string, node: string): void {
    if (node === this.node) return;
    this.#splitOff(node);
    const json = JSON.stringify(this.#snapshot());
    this.#log.offerSnapshot(id, json).catch(() => {});
  }

  #applyDown(node: string): void {
    if (node !== this.node) return this.#splitOff(node);
    // The others think we died (a partition, a stall): tell them who is here.
    if (!this.#leaving) void this.#sync();
  }

  /** Every user of `node` quits, as in a netsplit. */
  #splitOff(node: string): void {
    for (const known of this.#users.all()) {
      if (known.node === node && !known.local) {
        this.#depart(known, NETSPLIT_REASON, true);
      }
    }
  }

  /**
   * A node's own account of its users after an outage: those we hold that
   * it no longer has quit, those it has that we lack join.
   */
  #applySync(node: string, snapshot: Snapshot): void {
    if (node === this.node) return;
    const announced = new Set(snapshot.users.map((record) => record.id));
    for (const known of this.#users.all()) {
      if (known.node === node && !announced.has(known.id)) {
        this.#depart(known, NETSPLIT_REASON, true);
      }
    }
    for (const record of snapshot.users) {
      if (this.#users.byId(record.id) === undefined) this.#addRemote(record);
    }
    for (const channelData of snapshot.channels) {
      const { channel, joined } = restoreChannel(
        this.#server.state,
        channelData,
        (id) => this.#users.byId(id)?.session.user,
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
      const known = this.#users.of(user);
      return known === undefined || (onlyLocal && !known.local)
        ? undefined
        : known.id;
    };
    const users = this.#users.all()
      .filter((known) => !onlyLocal || known.local)
      .map((known) => recordOf(known.session.user, known.id, known.node));
    const channels = [...this.#server.state.channels.values()]
      .map((channel) => channelRecord(channel, idOf))
      .filter((record) => !onlyLocal || record.members.length > 0);
    return { users, channels, peak: this.#server.counts.peak };
  }

  /** Takes a running node's snapshot as this node's state, before applying anything. */
  #restore(snapshot: Snapshot): void {
    const { state, counts } = this.#server;
    // The network's channels replace this node's; a channel registered in
    // this node's own database that the network lacks stays.
    for (const record of snapshot.channels) {
      state.channels.delete(casefold(record.name));
    }
    for (const record of snapshot.users) this.#addRemote(record);
    for (const record of snapshot.channels) {
      restoreChannel(state, record, (id) => this.#users.byId(id)?.session.user);
    }
    counts.peak = Math.max(counts.peak, snapshot.peak);
  }

  /** Appends this node's own users and their channels, so others can mend their view. */
  async #sync(): Promise<void> {
    try {
      await this.#append({
        kind: "sync",
        node: this.node,
        snapshot: this.#snapshot(true),
      });
    } catch {
      // Redis went away again; the next return syncs.
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

  /**
   * Settles what was sent to a log Redis has since lost: departures happen
   * here now, registrations are refused (the client may try again), and the
   * input held behind password checks is let go.
   */
  #settleLost(): void {
    for (const leave of [...this.#departing.values()]) leave();
    this.#departing.clear();
    for (const [id, { session, release }] of this.#admissions) {
      this.#admissions.delete(id);
      releaseNick(this.#server.state, session.user);
      this.#refuse(session, "NICK");
      release();
    }
    for (const held of this.#held.values()) {
      for (const release of held) release();
    }
    this.#held.clear();
  }

  async #back(): Promise<void> {
    if (this.#closed || this.#online) return;
    try {
      const epoch = await this.#log.epoch();
      if (epoch !== this.#epoch) {
        // Redis lost its data: the new log starts from scratch.
        this.#epoch = epoch;
        this.#lastId = "0-0";
        this.#logGeneration++;
        this.#settleLost();
      }
      await this.#heartbeat.renew();
    } catch {
      return;
    }
    this.#online = true;
    this.#heartbeat.connected();
    this.#server.log(`cluster: Redis is back; resyncing`);
    await this.#sync();
    this.#wakeReader?.();
  }
}
