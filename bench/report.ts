/**
 * Turns {@link BenchResults} into the markdown report: machine, per-scenario
 * tables (median with min–max), tertulia / peer ratios and the targets.
 *
 * @module
 */

import type { ServerKind } from "./peers.ts";
import {
  type BenchResults,
  CLUSTER_NODES,
  type ClusterScenario,
  type RunMetrics,
  SCENARIO_TITLES,
  type ScenarioId,
  type ScenarioResult,
} from "./results.ts";
import type { Spread } from "./stats.ts";

/** Formats a number with at most `digits` decimals and thousands separators. */
function num(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
}

/** `median (min–max)`, or just the median when all runs agree or there is one. */
function cell(
  spread: Spread | undefined,
  format: (value: number) => string,
): string {
  if (spread === undefined) return "–";
  const median = format(spread.median);
  if (spread.min === spread.max) return median;
  return `${median} (${format(spread.min)}–${format(spread.max)})`;
}

const millions = (value: number) => `${num(value / 1e6, 2)} M`;
const ms = (value: number) => num(value, value < 10 ? 2 : 1);
const mib = (kib: number) => num(kib / 1024, 1);
const plain = (value: number) => num(value, 2);
const count = (value: number) => num(value, 0);
const percent = (value: number) => `${num(value * 100, 0)} %`;

function find(
  results: BenchResults,
  scenario: ScenarioId,
  server: ServerKind,
): ScenarioResult | undefined {
  return results.results.find((r) =>
    r.scenario === scenario && r.server === server
  );
}

function median(
  result: ScenarioResult | undefined,
  key: keyof RunMetrics,
): number {
  return result?.summary[key]?.median ?? NaN;
}

/** The servers that ran (in order), with skipped ones left out. */
function serversRun(results: BenchResults): ServerKind[] {
  return results.servers.filter((s) => s.skipped === undefined).map((s) =>
    s.kind
  );
}

function fanoutTable(results: BenchResults): string[] {
  const lines = [
    "| Scenario | Server | Deliveries/s | p50 ms | p99 ms | max ms | Lost | Disconnects | Server CPU s | CPU s per M deliveries | Peak RSS MiB | Load generator CPU |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const scenario of ["fanout-small", "fanout-large", "history"] as const) {
    for (const server of serversRun(results)) {
      const result = find(results, scenario, server);
      if (result === undefined) continue;
      const title = SCENARIO_TITLES[scenario];
      if (result.skipped !== undefined) {
        lines.push(
          `| ${title} | ${server} | skipped: ${result.skipped} | | | | | | | | | |`,
        );
        continue;
      }
      const s = result.summary;
      lines.push(
        `| ${title} | ${server} | ${cell(s.deliveriesPerSecond, millions)} | ${
          cell(s.p50Ms, ms)
        } | ${cell(s.p99Ms, ms)} | ${cell(s.maxMs, ms)} | ${
          cell(s.lost, count)
        } | ${cell(s.disconnects, count)} | ${cell(s.cpuSeconds, plain)} | ${
          cell(s.cpuPerMillion, plain)
        } | ${cell(s.peakRssKiB, mib)} | ${cell(s.loadCpuShare, percent)} |`,
      );
    }
  }
  return lines;
}

function burstTable(results: BenchResults): string[] {
  const lines = [
    "| Scenario | Server | Total s | Deliveries | Lost | Readers dropped | Stalled reader dropped | p99 ms | Server CPU s | Peak RSS MiB | Load generator CPU |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const scenario of ["burst", "burst-flood"] as const) {
    for (const server of serversRun(results)) {
      const result = find(results, scenario, server);
      if (result === undefined) continue;
      const title = SCENARIO_TITLES[scenario];
      if (result.skipped !== undefined) {
        lines.push(
          `| ${title} | ${server} | skipped: ${result.skipped} | | | | | | | | |`,
        );
        continue;
      }
      const s = result.summary;
      lines.push(
        `| ${title} | ${server} | ${cell(s.seconds, plain)} | ${
          cell(s.deliveries, count)
        } | ${cell(s.lost, count)} | ${cell(s.disconnects, count)} | ${
          cell(s.stalledDropped, (v) =>
            v === 1 ? "yes" : v === 0 ? "no" : plain(v))
        } | ${cell(s.p99Ms, ms)} | ${cell(s.cpuSeconds, plain)} | ${
          cell(s.peakRssKiB, mib)
        } | ${cell(s.loadCpuShare, percent)} |`,
      );
    }
  }
  return lines;
}

function churnTable(results: BenchResults): string[] {
  const lines = [
    "| Server | Cycles/s | RSS after round 1 MiB | after the last MiB | Growth MiB | Server CPU s | Members dropped |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const server of serversRun(results)) {
    const result = find(results, "churn", server);
    if (result === undefined) continue;
    if (result.skipped !== undefined) {
      lines.push(`| ${server} | skipped: ${result.skipped} | | | | | |`);
      continue;
    }
    const s = result.summary;
    lines.push(
      `| ${server} | ${cell(s.cyclesPerSecond, count)} | ${
        cell(s.rssAfterFirstRoundKiB, mib)
      } | ${cell(s.rssAfterLastRoundKiB, mib)} | ${
        cell(s.churnGrowthMiB, (v) => num(v, 1))
      } | ${cell(s.cpuSeconds, plain)} | ${cell(s.disconnects, count)} |`,
    );
  }
  return lines;
}

function connectionTable(results: BenchResults): string[] {
  const lines = [
    "| Server | Clients | 3. RSS per connection KiB | at rest KiB | RSS before MiB | Peak RSS MiB | 4. Storm s | Registrations/s | In flight | Server CPU s | Disconnects |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const server of serversRun(results)) {
    const idle = find(results, "idle", server);
    const storm = find(results, "storm", server);
    const result = idle ?? storm;
    if (result === undefined) continue;
    if (result.skipped !== undefined) {
      lines.push(
        `| ${server} | skipped: ${result.skipped} | | | | | | | | | |`,
      );
      continue;
    }
    const s = result.summary;
    lines.push(
      `| ${server} | ${cell(s.clients, count)} | ${
        cell(s.rssPerConnectionKiB, plain)
      } | ${cell(s.rssPerConnectionAtRestKiB, plain)} | ${
        cell(s.baselineRssKiB, mib)
      } | ${cell(s.peakRssKiB, mib)} | ${cell(s.stormSeconds, plain)} | ${
        cell(s.registrationsPerSecond, count)
      } | ${cell(s.concurrency, count)} | ${cell(s.cpuSeconds, plain)} | ${
        cell(s.disconnects, count)
      } |`,
    );
  }
  return lines;
}

/** The cluster scenarios that ran on tertulia, fewest nodes first. */
function clusterResults(
  results: BenchResults,
): [ClusterScenario, ScenarioResult][] {
  return (Object.keys(CLUSTER_NODES) as ClusterScenario[]).flatMap((id) => {
    const result = find(results, id, "tertulia");
    return result === undefined ? [] : [[id, result]];
  });
}

/**
 * Scenario 9: the fan-out over 1 to 3 nodes and Redis, below the same
 * fan-out on one tertulia process (scenario 1), with its CPU per delivery
 * as a multiple of that and of the 1-node network's.
 */
function clusterTable(results: BenchResults): string[] {
  const alone = find(results, "fanout-small", "tertulia");
  const single = median(alone, "cpuPerMillion");
  const oneNode = median(
    find(results, "cluster-1", "tertulia"),
    "cpuPerMillion",
  );
  // Scenario, what serves it, and its result.
  const rows: [ScenarioId, string, ScenarioResult][] = [];
  if (alone !== undefined && alone.skipped === undefined) {
    rows.push(["fanout-small", "one process", alone]);
  }
  for (const [id, result] of clusterResults(results)) {
    rows.push([id, String(CLUSTER_NODES[id]), result]);
  }
  const lines = [
    "| Scenario | Nodes | Deliveries/s | p99 ms | Lost | Disconnects | CPU s, nodes + Redis | of which Redis | CPU s per M deliveries | × one process (1.) | × 1 node (9a.) | Peak RSS MiB, largest node | Redis peak RSS MiB | Load generator CPU |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [id, nodes, result] of rows) {
    const title = SCENARIO_TITLES[id];
    if (result.skipped !== undefined) {
      lines.push(
        `| ${title} | ${nodes} | skipped: ${result.skipped} | | | | | | | | | | | |`,
      );
      continue;
    }
    const s = result.summary;
    const perMillion = median(result, "cpuPerMillion");
    const times = (base: number) => num(perMillion / base, 2);
    lines.push(
      `| ${title} | ${nodes} | ${cell(s.deliveriesPerSecond, millions)} | ${
        cell(s.p99Ms, ms)
      } | ${cell(s.lost, count)} | ${cell(s.disconnects, count)} | ${
        cell(s.cpuSeconds, plain)
      } | ${cell(s.redisCpuSeconds, plain)} | ${
        cell(s.cpuPerMillion, plain)
      } | ${times(single)} | ${times(oneNode)} | ${cell(s.peakRssKiB, mib)} | ${
        cell(s.redisPeakRssKiB, mib)
      } | ${cell(s.loadCpuShare, percent)} |`,
    );
  }
  return lines;
}

/** One ratio row: what is compared, and whether higher or lower is better. */
interface RatioRow {
  scenario: ScenarioId;
  metric: keyof RunMetrics;
  label: string;
  better: "higher" | "lower";
  /** Target on the tertulia / ngircd ratio, if there is one. */
  target?: { max?: number; min?: number; text: string };
}

const RATIO_ROWS: RatioRow[] = [
  {
    scenario: "fanout-small",
    metric: "deliveriesPerSecond",
    label: "deliveries/s",
    better: "higher",
    target: { min: 1, text: "≥ 1" },
  },
  {
    scenario: "fanout-small",
    metric: "cpuPerMillion",
    label: "CPU s per M deliveries",
    better: "lower",
    target: { max: 0.5, text: "≤ 0.5" },
  },
  {
    scenario: "fanout-small",
    metric: "p99Ms",
    label: "p99 latency",
    better: "lower",
    target: { max: 1, text: "≤ 1" },
  },
  {
    scenario: "fanout-large",
    metric: "deliveriesPerSecond",
    label: "deliveries/s",
    better: "higher",
    target: { min: 1, text: "≥ 1" },
  },
  {
    scenario: "fanout-large",
    metric: "cpuPerMillion",
    label: "CPU s per M deliveries",
    better: "lower",
    target: { max: 0.5, text: "≤ 0.5" },
  },
  {
    scenario: "fanout-large",
    metric: "peakRssKiB",
    label: "peak RSS",
    better: "lower",
  },
  {
    scenario: "fanout-large",
    metric: "p99Ms",
    label: "p99 latency",
    better: "lower",
    target: { max: 1, text: "≤ 1" },
  },
  {
    scenario: "idle",
    metric: "rssPerConnectionKiB",
    label: "RSS per connection",
    better: "lower",
    target: { max: 2, text: "≤ 2" },
  },
  {
    scenario: "storm",
    metric: "stormSeconds",
    label: "storm seconds",
    better: "lower",
  },
  {
    scenario: "history",
    metric: "deliveriesPerSecond",
    label: "deliveries/s (history on vs peer without)",
    better: "higher",
  },
  {
    scenario: "burst",
    metric: "seconds",
    label: "total time",
    better: "lower",
    target: { max: 1, text: "≤ 1" },
  },
  {
    scenario: "burst",
    metric: "peakRssKiB",
    label: "peak RSS",
    better: "lower",
  },
  {
    scenario: "burst-flood",
    metric: "seconds",
    label: "total time",
    better: "lower",
  },
  {
    scenario: "burst-flood",
    metric: "peakRssKiB",
    label: "peak RSS",
    better: "lower",
  },
];

/** The tertulia / peer ratio of one metric's medians, NaN when either is missing. */
export function ratio(
  results: BenchResults,
  scenario: ScenarioId,
  metric: keyof RunMetrics,
  peer: ServerKind,
): number {
  const ours = median(find(results, scenario, "tertulia"), metric);
  const theirs = median(
    find(results, scenario === "history" ? "fanout-small" : scenario, peer),
    metric,
  );
  return ours / theirs;
}

function ratioTable(results: BenchResults): string[] {
  const peers = serversRun(results).filter((s) => s !== "tertulia");
  if (peers.length === 0 || !serversRun(results).includes("tertulia")) {
    return ["No ratios: tertulia and at least one peer must run."];
  }
  const lines = [
    `| Scenario | Metric | ${
      peers.map((p) => `tertulia / ${p}`).join(" | ")
    } | Target (vs ngircd) | Met |`,
    `|---|---|${peers.map(() => "---:").join("|")}|---|---|`,
  ];
  for (const row of RATIO_ROWS) {
    const values = peers.map((peer) =>
      ratio(results, row.scenario, row.metric, peer)
    );
    if (values.every((v) => !Number.isFinite(v))) continue;
    let met = "";
    if (row.target !== undefined && peers.includes("ngircd")) {
      const value = values[peers.indexOf("ngircd")];
      if (Number.isFinite(value)) {
        const ok = (row.target.min === undefined || value >= row.target.min) &&
          (row.target.max === undefined || value <= row.target.max);
        met = ok ? "yes" : "no";
      }
    }
    lines.push(
      `| ${
        SCENARIO_TITLES[row.scenario]
      } | ${row.label} (${row.better} is better) | ${
        values.map((v) => num(v, 2)).join(" | ")
      } | ${row.target?.text ?? ""} | ${met} |`,
    );
  }
  return lines;
}

function absoluteTargets(results: BenchResults): string[] {
  const lines: string[] = [];
  const tertulia = (scenario: ScenarioId) =>
    find(results, scenario, "tertulia");
  const storm = tertulia("storm");
  if (storm !== undefined && storm.skipped === undefined) {
    const seconds = median(storm, "stormSeconds");
    const clients = median(storm, "clients");
    lines.push(
      `- Connect storm: ${num(clients, 0)} clients registered and joined in ${
        num(seconds, 2)
      } s (target ≤ 5 s for 10,000): ${
        seconds <= 5 && clients >= 10000
          ? "met"
          : clients < 10000
          ? "not measured at 10,000 (quick run)"
          : "not met"
      }.`,
    );
  }
  const limit = (
    scenario: ScenarioId,
    metric: keyof RunMetrics,
    label: string,
    max: number,
    format: (value: number) => string,
    unit: string,
  ) => {
    const result = tertulia(scenario);
    if (result === undefined || result.skipped !== undefined) return;
    const value = median(result, metric);
    lines.push(
      `- ${label}: ${format(value)} ${unit} (target ≤ ${
        format(max)
      } ${unit}): ${value <= max ? "met" : "not met"}${
        results.quick ? " (quick run: smaller load)" : ""
      }.`,
    );
  };
  limit("burst", "peakRssKiB", "Burst peak RSS", 64 * 1024, mib, "MiB");
  limit(
    "churn",
    "churnGrowthMiB",
    "Churn RSS growth, last round vs first",
    20,
    (v) => num(v, 1),
    "MiB",
  );
  limit(
    "fanout-large",
    "peakRssKiB",
    "Fan-out 1,000 clients peak RSS",
    100 * 1024,
    mib,
    "MiB",
  );
  limit(
    "idle",
    "rssPerConnectionKiB",
    "Idle memory per connection",
    6.5,
    plain,
    "KiB",
  );
  const historyCpu = median(tertulia("history"), "cpuPerMillion") /
    median(tertulia("fanout-small"), "cpuPerMillion");
  // The history store writes from a worker thread, so the chat thread's own
  // share is reported beside the whole process's.
  const historyMainCpu =
    median(tertulia("history"), "mainThreadCpuPerMillion") /
    median(tertulia("fanout-small"), "mainThreadCpuPerMillion");
  if (Number.isFinite(historyCpu)) {
    lines.push(
      `- History on / off, CPU s per M deliveries (scenario 5 / scenario 1): ${
        num(historyCpu, 2)
      } for the whole process (target ≤ 1.03): ${
        historyCpu <= 1.03 ? "met" : "not met"
      }${
        Number.isFinite(historyMainCpu)
          ? `; ${num(historyMainCpu, 2)} for the main (chat) thread alone`
          : ""
      }.`,
    );
  }
  lines.push(...clusterTargets(results));
  const ours = results.results.filter((r) =>
    r.server === "tertulia" && r.skipped === undefined
  );
  const lost = ours.reduce(
    (sum, r) => sum + r.runs.reduce((s, run) => s + (run.lost ?? 0), 0),
    0,
  );
  const dropped = ours.reduce(
    (sum, r) => sum + r.runs.reduce((s, run) => s + run.disconnects, 0),
    0,
  );
  if (ours.length > 0) {
    lines.push(
      `- tertulia lost deliveries over all runs: ${lost}; disconnects of reading clients: ${dropped} (target 0 and 0): ${
        lost === 0 && dropped === 0 ? "met" : "not met"
      }.`,
    );
  }
  return lines;
}

/** Issue 15's bench goal for 3 nodes, and how the cost grows with the nodes. */
function clusterTargets(results: BenchResults): string[] {
  const ran = clusterResults(results).filter(([, r]) =>
    r.skipped === undefined
  );
  if (ran.length === 0) return [];
  const single = median(
    find(results, "fanout-small", "tertulia"),
    "cpuPerMillion",
  );
  const lines: string[] = [];
  const three = ran.find(([id]) => id === "cluster-3")?.[1];
  if (three !== undefined) {
    const value = median(three, "cpuPerMillion") / single;
    lines.push(
      `- Cluster of 3 nodes, CPU s per M deliveries over the nodes and Redis / one tertulia process (scenario 9c / 1): ${
        num(value, 2)
      } (target ≤ 2): ${
        Number.isFinite(value)
          ? value <= 2 ? "met" : "not met"
          : "not measured (scenario 1 did not run)"
      }.`,
    );
  }
  const base = median(ran[0][1], "cpuPerMillion");
  lines.push(
    `- Cluster cost by nodes, CPU s per M deliveries over the nodes and Redis: ${
      ran.map(([id, result]) => {
        const value = median(result, "cpuPerMillion");
        const growth = id === ran[0][0] ? "" : ` (×${num(value / base, 2)})`;
        return `${CLUSTER_NODES[id]} node${
          CLUSTER_NODES[id] === 1 ? "" : "s"
        } ${num(value, 2)}${growth}`;
      }).join(", ")
    }${Number.isFinite(single) ? `; one process ${num(single, 2)}` : ""}.`,
  );
  return lines;
}

/** The full markdown report for one run. */
export function renderMarkdown(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    `# tertulia benchmark${results.quick ? " (quick run)" : ""}`,
    "",
    `Run ${results.startedAt} in ${
      num(results.seconds, 0)
    } s on ${machine.cpu}, ${machine.cores} cores, ${
      num(machine.memoryMiB / 1024, 1)
    } GiB RAM, Linux ${machine.kernel}, Deno ${machine.deno} (host ${machine.hostname}, load average ${
      num(machine.loadAverage, 2)
    } at start). Each scenario ran ${
      results.repeat === 1 ? "once" : `${results.repeat} times`
    } against a freshly started server process; cells show the median and, in brackets, min–max. The load generator is one Deno process on the same machine (loopback).`,
    "",
    "Servers:",
    "",
    ...results.servers.map((s) =>
      `- **${s.kind}**${s.version ? ` (${s.version})` : ""}${
        s.skipped ? `: skipped, ${s.skipped}` : ""
      }. ${s.limits}`
    ),
    "",
    "Loads:",
    "",
    ...Object.entries(results.loads).map(([id, text]) =>
      `- ${SCENARIO_TITLES[id as ScenarioId]}: ${text}`
    ),
    "",
    "## Fan-out",
    "",
    ...fanoutTable(results),
    "",
    ...(clusterResults(results).length === 0 ? [] : [
      "## Cluster",
      "",
      ...clusterTable(results),
      "",
    ]),
    "## Bursts",
    "",
    ...burstTable(results),
    "",
    "## Churn",
    "",
    ...churnTable(results),
    "",
    "## Idle memory and connect storm",
    "",
    ...connectionTable(results),
    "",
    "## tertulia / peer",
    "",
    ...ratioTable(results),
    "",
    ...absoluteTargets(results),
    "",
  ];
  return lines.join("\n");
}
