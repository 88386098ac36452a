/**
 * A tertulia network for the bench: a fresh `redis-server` on a free port
 * of 127.0.0.1 (the cluster tests' throwaway Redis) and tertulia nodes
 * joined to it, each its own process started as scenario 1 starts its
 * server, so the CPU of every node and of Redis can be read from /proc.
 *
 * @module
 */

import { join } from "node:path";
import { startRedis } from "../tests/helpers/redis.ts";
import {
  type BenchServer,
  binaryUnavailableReason,
  startBenchServer,
  type StartOptions,
  tertuliaHasCluster,
} from "./peers.ts";

/** The network name every bench node shares. */
const NETWORK = "bench";

/** Redis and the tertulia nodes of one network. */
export interface BenchCluster {
  /** Redis's process id, for `/proc/<pid>`. */
  redisPid: number;
  /** The nodes, in the order they joined (`node1`, `node2`, …). */
  nodes: BenchServer[];
  /** Stops the nodes, then Redis. */
  stop(): Promise<void>;
}

/**
 * Returns `null` when a network can run here, else why not: tertulia must
 * have `--redis` and `redis-server` must be installed (apt-get installs it
 * when running as root).
 */
export async function clusterUnavailableReason(): Promise<string | null> {
  if (!await tertuliaHasCluster()) return "this server.ts has no --redis flag";
  return await binaryUnavailableReason("redis-server", "redis-server");
}

/**
 * Starts Redis and `count` tertulia nodes (`node1` …), one after another so
 * each later one takes the running nodes' state, every node with `options`
 * and its own log directory under `options.dir`. Resolves once every node
 * accepts connections (a node listens only after it joined the network).
 */
export async function startCluster(
  count: number,
  options: StartOptions,
): Promise<BenchCluster> {
  const redis = await startRedis();
  const nodes: BenchServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.close();
  };
  try {
    for (let index = 1; index <= count; index++) {
      const dir = join(options.dir, `node${index}`);
      await Deno.mkdir(dir);
      nodes.push(
        await startBenchServer("tertulia", {
          ...options,
          dir,
          cluster: { redis: redis.url, name: `node${index}`, network: NETWORK },
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { redisPid: redis.pid!, nodes, stop };
}
