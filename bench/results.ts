/**
 * The shape of a bench run's results (what `bench/results/latest.json`
 * holds), the scenario catalogue, and the summary helpers both the runner
 * and the report use.
 *
 * @module
 */

import type { ServerKind } from "./peers.ts";
import { type Spread, spread } from "./stats.ts";

/** Scenario ids, in the order they run and are reported. */
export const SCENARIO_IDS = [
  "fanout-small",
  "fanout-large",
  "idle",
  "storm",
  "history",
  "burst",
  "burst-flood",
  "churn",
  "cluster-1",
  "cluster-2",
  "cluster-3",
] as const;

/** One of {@link SCENARIO_IDS}. */
export type ScenarioId = typeof SCENARIO_IDS[number];

/** Human titles for the report. */
export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  "fanout-small": "1. fan-out small",
  "fanout-large": "2. fan-out large",
  idle: "3. idle",
  storm: "4. connect storm",
  history: "5. history on",
  burst: "6. burst",
  "burst-flood": "7. burst, flood control on",
  churn: "8. churn",
  "cluster-1": "9a. cluster, 1 node",
  "cluster-2": "9b. cluster, 2 nodes",
  "cluster-3": "9c. cluster, 3 nodes",
};

/** The nodes of each cluster scenario's network. */
export const CLUSTER_NODES = {
  "cluster-1": 1,
  "cluster-2": 2,
  "cluster-3": 3,
} as const satisfies Partial<Record<ScenarioId, number>>;

/** A cluster scenario: a fan-out over a network of tertulia nodes and Redis. */
export type ClusterScenario = keyof typeof CLUSTER_NODES;

/** One repetition of one scenario against one server; absent fields do not apply. */
export interface RunMetrics {
  /** Clients connected for the run. */
  clients: number;
  /** Fan-out and burst: wall time from the first send to the last delivery, s. */
  seconds?: number;
  /** Churn: RSS once at rest after the first round of cycles, KiB. */
  rssAfterFirstRoundKiB?: number;
  /** Churn: RSS once at rest after the last round, KiB. */
  rssAfterLastRoundKiB?: number;
  /** Churn: last minus first, MiB. */
  churnGrowthMiB?: number;
  /** Churn: cycles per second over all rounds. */
  cyclesPerSecond?: number;
  /** Burst: 1 when the server dropped the member that never reads, else 0. */
  stalledDropped?: number;
  /** Fan-out: deliveries received. */
  deliveries?: number;
  /** Fan-out: deliveries per second, first send to last delivery. */
  deliveriesPerSecond?: number;
  /** Fan-out: latency percentiles, ms. */
  p50Ms?: number;
  /** Fan-out: 99th percentile latency, ms. */
  p99Ms?: number;
  /** Fan-out: largest latency, ms. */
  maxMs?: number;
  /** Fan-out: expected deliveries that never arrived. */
  lost?: number;
  /** Fan-out: duplicated, reordered or echoed deliveries. */
  anomalies?: number;
  /** Clients the server disconnected during the run. */
  disconnects: number;
  /** Server CPU (user + system) during the measured phase, s; in a cluster, every node's and Redis's. */
  cpuSeconds: number;
  /** Fan-out: server CPU seconds per million deliveries. */
  cpuPerMillion?: number;
  /** Fan-out: the same for the server's main thread alone (tertulia's chat thread, without workers); in a cluster, every node's and Redis's main thread. */
  mainThreadCpuPerMillion?: number;
  /** Cluster: tertulia nodes in the network. */
  nodes?: number;
  /** Cluster: Redis's share of {@link RunMetrics.cpuSeconds}, s. */
  redisCpuSeconds?: number;
  /** Cluster: Redis's peak RSS (VmHWM) at the end of the run, KiB. */
  redisPeakRssKiB?: number;
  /** Fan-out: the load generator's CPU seconds per second of run (1 = one core saturated). */
  loadCpuShare?: number;
  /** Server peak RSS (VmHWM) at the end of the run, KiB; in a cluster, the largest node's. */
  peakRssKiB: number;
  /** Storm: seconds until every client registered and joined. */
  stormSeconds?: number;
  /** Storm: registrations (with join) per second. */
  registrationsPerSecond?: number;
  /** Storm: registrations kept in flight (the server's listen backlog, capped). */
  concurrency?: number;
  /** Idle: (RSS with all clients − RSS before), per client, KiB, after the idle wait. */
  rssPerConnectionKiB?: number;
  /** Idle: the same, read as soon as the server's CPU came to rest after the storm. */
  rssPerConnectionAtRestKiB?: number;
  /** Idle: RSS before any client connected, KiB. */
  baselineRssKiB?: number;
}

/** The metrics summarised over repetitions: median, min and max of each. */
export type MetricSpreads = Partial<Record<keyof RunMetrics, Spread>>;

/** All repetitions of one scenario on one server. */
export interface ScenarioResult {
  /** The server. */
  server: ServerKind;
  /** The scenario. */
  scenario: ScenarioId;
  /** Why it did not run, if it did not. */
  skipped?: string;
  /** Each repetition. */
  runs: RunMetrics[];
  /** Median and range of every metric over the runs. */
  summary: MetricSpreads;
}

/** Where the numbers came from. */
export interface MachineInfo {
  /** CPU model from /proc/cpuinfo. */
  cpu: string;
  /** Logical CPUs. */
  cores: number;
  /** Total memory, MiB. */
  memoryMiB: number;
  /** Kernel release. */
  kernel: string;
  /** Deno version. */
  deno: string;
  /** 1-minute load average when the run started. */
  loadAverage: number;
  /** Host name. */
  hostname: string;
}

/** A whole bench run: what `latest.json` holds. */
export interface BenchResults {
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time of the run, s. */
  seconds: number;
  /** Whether this was a `--quick` run (smaller loads, one repetition). */
  quick: boolean;
  /** Repetitions per scenario. */
  repeat: number;
  /** The machine. */
  machine: MachineInfo;
  /** Each server's version string, or why it was skipped. */
  servers: {
    kind: ServerKind;
    version?: string;
    skipped?: string;
    limits: string;
  }[];
  /** Load parameters per scenario, for the report. */
  loads: Record<ScenarioId, string>;
  /** Every scenario × server. */
  results: ScenarioResult[];
}

/** Summarises repetitions: a {@link Spread} of every numeric metric present in all runs. */
export function summarise(runs: readonly RunMetrics[]): MetricSpreads {
  const summary: MetricSpreads = {};
  if (runs.length === 0) return summary;
  for (const key of Object.keys(runs[0]) as (keyof RunMetrics)[]) {
    const values = runs.map((run) => run[key]);
    if (values.every((value) => typeof value === "number")) {
      summary[key] = spread(values as number[]);
    }
  }
  return summary;
}
