/**
 * Every registered user of the network as this node knows it: its
 * network-wide connection id, the node holding its connection, and its
 * session here (a local connection, or a {@link RemoteSession}).
 *
 * @module
 */

import type { Session } from "../server/context.ts";
import type { User } from "../server/state.ts";

/** One user known to the network. */
export interface Known {
  /** Connection id, `node/incarnation/n`. */
  id: string;
  /** The node holding its connection. */
  node: string;
  /** Its session on this node. */
  session: Session;
  /** Whether that node is this one. */
  local: boolean;
  /** A local user's lines sent to the log and not applied yet. */
  inFlight?: number;
  /** Resumes a local user's input, held while too many of its lines are in flight. */
  resume?: () => void;
}

/** The network's users by connection id and by user record. */
export class Directory {
  #byId = new Map<string, Known>();
  #byUser = new Map<User, Known>();
  #remote = 0;

  /** Adds a user. */
  add(known: Known): void {
    this.#byId.set(known.id, known);
    this.#byUser.set(known.session.user, known);
    if (!known.local) this.#remote++;
  }

  /** The user with connection `id`. */
  byId(id: string): Known | undefined {
    return this.#byId.get(id);
  }

  /** What is known of `user`. */
  of(user: User): Known | undefined {
    return this.#byUser.get(user);
  }

  /** Drops `user`; whether it was known. */
  forget(user: User): boolean {
    const known = this.#byUser.get(user);
    if (known === undefined) return false;
    this.#byUser.delete(user);
    this.#byId.delete(known.id);
    if (!known.local) this.#remote--;
    return true;
  }

  /** Every known user (a copy: callers may forget users while walking it). */
  all(): Known[] {
    return [...this.#byId.values()];
  }

  /** The users of other nodes, counted. */
  get remoteCount(): number {
    return this.#remote;
  }

  /** This node's own users, counted. */
  get localCount(): number {
    return this.#byId.size - this.#remote;
  }

  /** Names of the nodes with users, `self` included. */
  nodes(self: string): Set<string> {
    const nodes = new Set([self]);
    for (const known of this.#byId.values()) nodes.add(known.node);
    return nodes;
  }
}
