/**
 * Node liveness: this node renews its lease in Redis, and reports nodes
 * whose lease has run out so their users can split off. A lease missing
 * twice in a row counts, and none counts until this node has been connected
 * a while, so nodes reconnecting after a Redis restart get time to renew.
 *
 * @module
 */

import type { RedisLog } from "./redis_log.ts";

/** How long a node's lease lives without renewal, in ms. */
export const LEASE_MS = 8000;
/** How often leases are renewed and other nodes' checked, in ms. */
const HEARTBEAT_MS = 2000;
/** After (re)connecting, how long before others' missing leases count, in ms. */
const SETTLE_MS = 6000;

/** What a {@link Heartbeat} needs from its node. */
export interface HeartbeatHost {
  /** This node's name and this run's incarnation. */
  readonly node: string;
  readonly incarnation: string;
  /** Whether Redis is reachable now. */
  readonly online: boolean;
  /** Nodes this node holds users of. */
  nodesWithUsers(): Set<string>;
  /** `node`'s lease ran out: tell the network. */
  nodeLost(node: string): Promise<void>;
}

/** Renews this node's lease and watches the others'. */
export class Heartbeat {
  #log: RedisLog;
  #host: HeartbeatHost;
  #since = 0;
  #misses = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(log: RedisLog, host: HeartbeatHost) {
    this.#log = log;
    this.#host = host;
  }

  /** Renews the lease now; starts beating if not yet. */
  async renew(): Promise<void> {
    await this.#log.renewLease(
      this.#host.node,
      this.#host.incarnation,
      LEASE_MS,
    );
  }

  /** (Re)starts the watch: missing leases count again only after a while. */
  connected(): void {
    this.#since = Date.now();
    this.#misses.clear();
    this.#timer ??= setInterval(() => void this.#beat(), HEARTBEAT_MS);
  }

  /** Stops beating. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #beat(): Promise<void> {
    if (!this.#host.online) return;
    try {
      await this.renew();
      if (Date.now() - this.#since < SETTLE_MS) return;
      const live = new Set(await this.#log.liveNodes());
      for (const other of this.#host.nodesWithUsers()) {
        if (other === this.#host.node || live.has(other)) {
          this.#misses.delete(other);
          continue;
        }
        const misses = (this.#misses.get(other) ?? 0) + 1;
        this.#misses.set(other, misses);
        if (misses >= 2) {
          this.#misses.delete(other);
          await this.#host.nodeLost(other);
        }
      }
    } catch {
      // Redis is away; the node has said so.
    }
  }
}
