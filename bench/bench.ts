/**
 * `deno task bench`: starts tertulia, ngIRCd and InspIRCd fresh for every
 * scenario run, drives them with the load generator, reads their CPU and
 * memory from /proc, and writes `bench/results/latest.json`, `latest.md` and
 * `chart.svg`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { renderChart } from "./chart.ts";
import type { BenchClient } from "./client.ts";
import { clusterUnavailableReason, startCluster } from "./cluster.ts";
import {
  closeClients,
  openClients,
  openStalledClient,
  runChurn,
  runFanout,
} from "./load.ts";
import {
  type BenchServer,
  BURST_NOTES,
  LIMIT_NOTES,
  type LimitProfile,
  listenBacklog,
  raisedFileLimitArgs,
  SERVER_KINDS,
  type ServerKind,
  serverVersion,
  startBenchServer,
  tertuliaHasHistory,
  unavailableReason,
} from "./peers.ts";
import { openFileLimit, type ProcSample, sampleProcess } from "./procstat.ts";
import { renderMarkdown } from "./report.ts";
import {
  type BenchResults,
  CLUSTER_NODES,
  type ClusterScenario,
  type MachineInfo,
  type RunMetrics,
  SCENARIO_IDS,
  type ScenarioId,
  type ScenarioResult,
  summarise,
} from "./results.ts";

const USAGE = `Usage: deno task bench [options]

Benchmarks tertulia against ngIRCd and InspIRCd on 127.0.0.1.

Options:
  --quick               smaller loads, one repetition (under a minute)
  --servers LIST        comma-separated: ${SERVER_KINDS.join(",")} (default all)
  --scenarios LIST      comma-separated: ${SCENARIO_IDS.join(",")} (default all)
                        or cluster = fanout-small,cluster-1,cluster-2,cluster-3 (1 is their baseline)
  --repeat N            repetitions per scenario (default 3, quick 1)
  --window N            messages in flight per sender, 0 = TCP backpressure only (default 50)
  --out DIR             where latest.json, latest.md and chart.svg go (default bench/results)
  --cpu-prof DIR        run tertulia under deno --cpu-prof, one .cpuprofile per run in DIR
  --v8-flags=FLAGS      V8 flags for tertulia, comma-separated, "" for none (default: those of
                        deno task server); with "=", since FLAGS starts with a dash
  --help                show this text
`;

/** A burst: readers in one channel plus one member that never reads; senders write at once. */
interface BurstLoad {
  clients: number;
  senders: number;
  messages: number;
  lineBytes: number;
}

/** The load of each scenario. */
interface Loads {
  small: { clients: number; senders: number; messages: number };
  large: { clients: number; senders: number; messages: number };
  storm: { clients: number; perChannel: number };
  burst: BurstLoad;
  burstFlood: BurstLoad;
  churn: { rounds: number; cycles: number; members: number };
}

const FULL: Loads = {
  small: { clients: 100, senders: 10, messages: 1000 },
  large: { clients: 1000, senders: 10, messages: 200 },
  storm: { clients: 10000, perChannel: 100 },
  burst: { clients: 300, senders: 20, messages: 200, lineBytes: 400 },
  burstFlood: { clients: 300, senders: 20, messages: 30, lineBytes: 400 },
  churn: { rounds: 10, cycles: 2000, members: 10 },
};

const QUICK: Loads = {
  small: { clients: 100, senders: 10, messages: 200 },
  large: { clients: 1000, senders: 10, messages: 40 },
  storm: { clients: 2000, perChannel: 100 },
  burst: { clients: 100, senders: 10, messages: 100, lineBytes: 400 },
  burstFlood: { clients: 100, senders: 10, messages: 30, lineBytes: 400 },
  churn: { rounds: 3, cycles: 500, members: 10 },
};

/** Most registrations kept in flight, whatever the server's listen backlog. */
const MAX_CONCURRENCY = 2000;
/**
 * How long each server idles with the storm clients before scenario 3 reads
 * its RSS. V8 returns free heap pages to the OS only after about 25 s without
 * activity (its memory reducer), so tertulia gets 30 s; ngIRCd's and
 * InspIRCd's RSS stays flat when idle (checked over 30 s), so they are read
 * at once, which keeps the full run under 10 minutes.
 */
const IDLE_WAIT_MS: Record<ServerKind, number> = {
  tertulia: 30_000,
  ngircd: 0,
  inspircd: 0,
};

/** Connections the bench needs besides the storm clients. */
const SPARE_FILES = 500;

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}

/** Entries of `--scenarios` that stand for several scenarios. */
const SCENARIO_GROUPS: Record<string, readonly ScenarioId[]> = {
  cluster: ["fanout-small", ...Object.keys(CLUSTER_NODES) as ScenarioId[]],
};

function list<T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[],
  groups: Record<string, readonly T[]> = {},
): T[] {
  if (text === undefined) return [...allowed];
  const items = text.split(",").map((item) => item.trim()).filter(Boolean)
    .flatMap((item) => groups[item] ?? [item]);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      usageError(
        `Unknown ${flag} entry "${item}"; expected ${
          [...allowed, ...Object.keys(groups)].join(", ")
        }`,
      );
    }
  }
  return allowed.filter((item) => items.includes(item));
}

function integer(flag: string, text: string | undefined, fallback: number) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    usageError(`--${flag} must be a whole number ≥ 0, got "${text}"`);
  }
  return value;
}

async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const loadavg = await Deno.readTextFile("/proc/loadavg").catch(() => "0");
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU",
    cores: navigator.hardwareConcurrency,
    memoryMiB: Math.round(
      Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024,
    ),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    loadAverage: Number(loadavg.split(" ")[0]),
    hostname: Deno.hostname(),
  };
}

/** How every run of one bench invocation starts its servers and drives them. */
interface RunSettings {
  /** Messages in flight per sender; 0 for TCP backpressure only. */
  window: number;
  /** Directory for tertulia CPU profiles, if profiling. */
  cpuProfileDir?: string;
  /** V8 flags for tertulia, if not those of `deno task server`. */
  v8Flags?: string;
  /** How long each server stays idle with all storm clients before its RSS is read, ms. */
  idleWaitMs: Record<ServerKind, number>;
}

/**
 * Runs `start` in a fresh directory, then `body` against what it started,
 * then stops it; the directory is removed unless something failed.
 */
async function inFreshDir<S extends { stop(): Promise<void> }, T>(
  prefix: string,
  start: (dir: string) => Promise<S>,
  body: (started: S) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: `tertulia-bench-${prefix}-` });
  let started: S | undefined;
  let ok = false;
  try {
    started = await start(dir);
    const result = await body(started);
    ok = true;
    return result;
  } finally {
    await started?.stop();
    if (ok) await Deno.remove(dir, { recursive: true });
    else console.error(`  (server logs kept in ${dir})`);
  }
}

/** Runs `body` against a fresh server in a fresh directory, then stops it. */
function withServer<T>(
  kind: ServerKind,
  settings: RunSettings & { history: boolean; limits?: LimitProfile },
  body: (server: BenchServer) => Promise<T>,
): Promise<T> {
  return inFreshDir(kind, (dir) =>
    startBenchServer(kind, {
      dir,
      limits: settings.limits,
      history: settings.history,
      cpuProfileDir: settings.cpuProfileDir,
      v8Flags: settings.v8Flags,
    }), body);
}

/** The processes whose CPU a run counts: the server's (every node's), and Redis's in a cluster. */
interface Measured {
  /** The server processes; their peak RSS is the largest of theirs. */
  pids: number[];
  /** A cluster's Redis, counted in the CPU and reported on its own too. */
  redisPid?: number;
}

/**
 * Runs one fan-out over `clients` and measures it: what the load delivered,
 * the CPU of every measured process and the servers' peak RSS, and the
 * share of a core the load generator itself used (a figure near 100 %
 * means the load, not the server, bound it).
 */
async function measureFanout(
  measured: Measured,
  clients: BenchClient[],
  options: Parameters<typeof runFanout>[1],
): Promise<Omit<RunMetrics, "clients">> {
  const pids = measured.redisPid === undefined
    ? measured.pids
    : [...measured.pids, measured.redisPid];
  const sampleAll = () => Promise.all(pids.map(sampleProcess));
  const before = await sampleAll();
  const loadBefore = await sampleProcess(Deno.pid);
  const result = await runFanout(clients, options);
  const after = await sampleAll();
  const loadAfter = await sampleProcess(Deno.pid);
  const used = after.map((sample, i) =>
    sample.cpuSeconds - before[i].cpuSeconds
  );
  const cpuSeconds = used.reduce((sum, seconds) => sum + seconds, 0);
  const mainThreadCpuSeconds = after.reduce(
    (sum, sample, i) =>
      sum + sample.mainThreadCpuSeconds - before[i].mainThreadCpuSeconds,
    0,
  );
  const servers = after.slice(0, measured.pids.length);
  return {
    seconds: result.seconds,
    deliveries: result.deliveries,
    deliveriesPerSecond: result.deliveriesPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    maxMs: result.maxMs,
    lost: result.lost,
    anomalies: result.anomalies,
    disconnects: result.disconnects,
    cpuSeconds,
    cpuPerMillion: result.deliveries > 0
      ? cpuSeconds / result.deliveries * 1e6
      : NaN,
    mainThreadCpuPerMillion: result.deliveries > 0
      ? mainThreadCpuSeconds / result.deliveries * 1e6
      : NaN,
    peakRssKiB: Math.max(...servers.map((sample) => sample.peakRssKiB)),
    loadCpuShare: (loadAfter.cpuSeconds - loadBefore.cpuSeconds) /
      result.seconds,
    ...(measured.redisPid === undefined ? {} : {
      nodes: measured.pids.length,
      redisCpuSeconds: used[used.length - 1],
      redisPeakRssKiB: after[after.length - 1].peakRssKiB,
    }),
  };
}

/**
 * Scenarios 1, 2, 5 and 9: `load.clients` clients join one channel, client
 * `i` on `ports[i % ports.length]` (round-robin over a network's nodes, so
 * senders and receivers are spread alike), and the first `load.senders`
 * send.
 */
async function fanoutOver(
  ports: number[],
  measured: Measured,
  load: Loads["small"],
  settings: RunSettings,
): Promise<RunMetrics> {
  const channel = "#bench";
  const { clients } = await openClients({
    port: ports[0],
    portOf: (index) => ports[index % ports.length],
    count: load.clients,
    channelOf: () => channel,
    concurrency: Math.min(MAX_CONCURRENCY, await listenBacklog(ports[0])),
    readBytes: 65536,
  });
  try {
    const result = await measureFanout(measured, clients, {
      channel,
      senders: load.senders,
      messages: load.messages,
      window: settings.window,
    });
    return { clients: load.clients, ...result };
  } finally {
    closeClients(clients);
  }
}

function fanoutRun(
  kind: ServerKind,
  load: Loads["small"],
  settings: RunSettings,
  history: boolean,
): Promise<RunMetrics> {
  return withServer(
    kind,
    { ...settings, history },
    (server) =>
      fanoutOver([server.port], { pids: [server.pid] }, load, settings),
  );
}

/**
 * Scenario 9: the fan-out of scenario 1 over a network of `nodes` tertulia
 * nodes and a fresh Redis, the clients spread round-robin over the nodes;
 * the CPU counted is every node's and Redis's.
 */
function clusterRun(
  nodes: number,
  load: Loads["small"],
  settings: RunSettings,
): Promise<RunMetrics> {
  return inFreshDir("cluster", (dir) =>
    startCluster(nodes, {
      dir,
      history: false,
      cpuProfileDir: settings.cpuProfileDir,
      v8Flags: settings.v8Flags,
    }), (cluster) =>
    fanoutOver(
      cluster.nodes.map((node) => node.port),
      {
        pids: cluster.nodes.map((node) => node.pid),
        redisPid: cluster.redisPid,
      },
      load,
      settings,
    ));
}

/**
 * Scenarios 6 and 7: `load.clients` readers and one member that never reads
 * join one channel; then `load.senders` of the readers write all their
 * messages at once (no window: only TCP holds them back).
 */
function burstRun(
  kind: ServerKind,
  load: BurstLoad,
  settings: RunSettings,
  limits: LimitProfile,
): Promise<RunMetrics> {
  return withServer(
    kind,
    { ...settings, history: false, limits },
    async (server) => {
      const channel = "#burst";
      // The member that never reads joins first (once welcomed: InspIRCd
      // refuses JOIN before 001), so it is in the channel by the time every
      // reader has had its NAMES reply.
      const stalled = await openStalledClient(server.port, "stalled", channel);
      let clients: BenchClient[] = [];
      try {
        clients = (await openClients({
          port: server.port,
          count: load.clients,
          channelOf: () => channel,
          concurrency: Math.min(
            MAX_CONCURRENCY,
            await listenBacklog(server.port),
          ),
          readBytes: 65536,
        })).clients;
        const observer = clients[clients.length - 1];
        const isStalled = (source: string | undefined) =>
          source?.startsWith("stalled!") === true;
        let stalledDropped = 0;
        observer.waitFor(
          (m) => m.command === "QUIT" && isStalled(m.source),
          3.6e6,
        )
          .then(() => stalledDropped = 1, () => {});
        const measured = await measureFanout({ pids: [server.pid] }, clients, {
          channel,
          senders: load.senders,
          messages: load.messages,
          window: 0,
          lineBytes: load.lineBytes,
        });
        return { clients: load.clients + 1, ...measured, stalledDropped };
      } finally {
        closeClients(clients);
        stalled.close();
      }
    },
  );
}

/**
 * Scenario 8: `load.members` clients idle in a channel while rounds of
 * short sessions (connect, register, join, one message, quit) come and go;
 * RSS is read at rest after the first round and after the last.
 */
function churnRun(
  kind: ServerKind,
  load: Loads["churn"],
  settings: RunSettings,
): Promise<RunMetrics> {
  return withServer(kind, { ...settings, history: false }, async (server) => {
    const channel = "#churn";
    const { clients } = await openClients({
      port: server.port,
      count: load.members,
      channelOf: () => channel,
      nickPrefix: "m",
    });
    try {
      // InspIRCd takes 1 s to register anyone, so many sessions overlap;
      // ngIRCd's backlog of 10 caps it lower.
      const concurrency = Math.min(200, await listenBacklog(server.port));
      const before = await sampleProcess(server.pid);
      let seconds = 0;
      let first: ProcSample | undefined;
      for (let round = 0; round < load.rounds; round++) {
        seconds += await runChurn({
          port: server.port,
          cycles: load.cycles,
          channel,
          first: round * load.cycles,
          concurrency,
        });
        if (round === 0) first = await settle(server.pid);
      }
      const last = await settle(server.pid);
      const lost = clients.filter((client) => client.lost).length;
      return {
        clients: load.members,
        disconnects: lost,
        cpuSeconds: last.cpuSeconds - before.cpuSeconds,
        peakRssKiB: last.peakRssKiB,
        rssAfterFirstRoundKiB: first!.rssKiB,
        rssAfterLastRoundKiB: last.rssKiB,
        churnGrowthMiB: (last.rssKiB - first!.rssKiB) / 1024,
        cyclesPerSecond: load.rounds * load.cycles / seconds,
      };
    } finally {
      closeClients(clients);
    }
  });
}

/** Samples until the server's CPU time stops growing (at most `limitMs`), so RSS is read at rest. */
async function settle(pid: number, limitMs = 3000) {
  const deadline = performance.now() + limitMs;
  let last = await sampleProcess(pid);
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await sampleProcess(pid);
    if (now.cpuSeconds - last.cpuSeconds < 0.02) return now;
    last = now;
  }
  return last;
}

/** Samples once a second for `ms` and returns the sample with the smallest RSS. */
async function idleFor(pid: number, ms: number): Promise<ProcSample> {
  let least = await sampleProcess(pid);
  for (let waited = 0; waited < ms; waited += 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sample = await sampleProcess(pid);
    if (sample.rssKiB < least.rssKiB) least = sample;
  }
  return least;
}

function stormRun(
  kind: ServerKind,
  load: Loads["storm"],
  settings: RunSettings,
): Promise<RunMetrics> {
  return withServer(kind, { ...settings, history: false }, async (server) => {
    const channels = Math.max(1, Math.round(load.clients / load.perChannel));
    const concurrency = Math.min(
      MAX_CONCURRENCY,
      await listenBacklog(server.port),
    );
    const before = await settle(server.pid);
    const opened = await openClients({
      port: server.port,
      count: load.clients,
      channelOf: (index) => `#c${index % channels}`,
      concurrency,
      readBytes: 4096,
    });
    try {
      const joined = await sampleProcess(server.pid);
      const atRest = await settle(server.pid);
      const idle = await idleFor(server.pid, settings.idleWaitMs[kind]);
      return {
        clients: load.clients,
        disconnects: opened.clients.filter((c) => c.lost).length,
        cpuSeconds: joined.cpuSeconds - before.cpuSeconds,
        peakRssKiB: idle.peakRssKiB,
        stormSeconds: opened.seconds,
        registrationsPerSecond: load.clients / opened.seconds,
        concurrency,
        rssPerConnectionKiB: (idle.rssKiB - before.rssKiB) / load.clients,
        rssPerConnectionAtRestKiB: (atRest.rssKiB - before.rssKiB) /
          load.clients,
        baselineRssKiB: before.rssKiB,
      };
    } finally {
      closeClients(opened.clients);
    }
  });
}

function line(result: ScenarioResult): string {
  if (result.skipped !== undefined) {
    return `${result.server} ${result.scenario}: skipped (${result.skipped})`;
  }
  const s = result.summary;
  const parts = [`${result.server} ${result.scenario}:`];
  const add = (
    label: string,
    value: number | undefined,
    digits = 2,
    scale = 1,
  ) => {
    if (value !== undefined && Number.isFinite(value)) {
      parts.push(`${label} ${(value / scale).toFixed(digits)}`);
    }
  };
  add("s", s.seconds?.median);
  add("M deliveries/s", s.deliveriesPerSecond?.median, 2, 1e6);
  add("p99 ms", s.p99Ms?.median, 1);
  add("lost", s.lost?.median, 0);
  add("CPU s/M", s.cpuPerMillion?.median);
  add("Redis CPU s", s.redisCpuSeconds?.median);
  add("storm s", s.stormSeconds?.median);
  add("KiB/conn", s.rssPerConnectionKiB?.median);
  add("disconnects", s.disconnects?.median, 0);
  add("stalled dropped", s.stalledDropped?.median, 0);
  add("churn growth MiB", s.churnGrowthMiB?.median, 1);
  add("cycles/s", s.cyclesPerSecond?.median, 0);
  add("peak MiB", s.peakRssKiB?.median, 1, 1024);
  return parts.join("  ");
}

/** Re-runs this script under `ulimit -n` when too few files may be open for the storm. */
async function ensureOpenFiles(needed: number): Promise<void> {
  if ((await openFileLimit()) >= needed) return;
  if (Deno.env.get("TERTULIA_BENCH_ULIMIT") === "1") return;
  const child = new Deno.Command("bash", {
    args: raisedFileLimitArgs("bench", [
      Deno.execPath(),
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      ...Deno.args,
    ]),
    env: { TERTULIA_BENCH_ULIMIT: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  Deno.exit((await child.status).code);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        quick: { type: "boolean" },
        servers: { type: "string" },
        scenarios: { type: "string" },
        repeat: { type: "string" },
        window: { type: "string" },
        out: { type: "string" },
        "cpu-prof": { type: "string" },
        "v8-flags": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick ?? false;
  const loads = { ...(quick ? QUICK : FULL) };
  const servers = list("--servers", values.servers, SERVER_KINDS);
  const scenarios = list(
    "--scenarios",
    values.scenarios,
    SCENARIO_IDS,
    SCENARIO_GROUPS,
  );
  const repeat = Math.max(1, integer("repeat", values.repeat, quick ? 1 : 3));
  const window = integer("window", values.window, 50);
  const settings: RunSettings = {
    window,
    cpuProfileDir: values["cpu-prof"],
    v8Flags: values["v8-flags"],
    idleWaitMs: quick ? { tertulia: 0, ngircd: 0, inspircd: 0 } : IDLE_WAIT_MS,
  };
  if (settings.cpuProfileDir !== undefined) {
    await Deno.mkdir(settings.cpuProfileDir, { recursive: true });
  }
  const outDir = values.out ??
    new URL("./results", import.meta.url).pathname;

  await ensureOpenFiles(loads.storm.clients + SPARE_FILES);
  const files = await openFileLimit();
  if (files < loads.storm.clients + SPARE_FILES) {
    const clients = Math.max(100, files - SPARE_FILES);
    console.error(
      `Only ${files} open files allowed (ulimit -n); the storm uses ${clients} clients instead of ${loads.storm.clients}.`,
    );
    loads.storm = { ...loads.storm, clients };
  }

  const startedAt = new Date();
  const started = performance.now();
  const machine = await machineInfo();
  const hasHistory = servers.includes("tertulia") &&
    scenarios.includes("history") && await tertuliaHasHistory();
  const noCluster = servers.includes("tertulia") &&
      scenarios.some((id) => id in CLUSTER_NODES)
    ? await clusterUnavailableReason()
    : null;
  const window_ = window === 0
    ? "TCP backpressure only"
    : `at most ${window} messages in flight per sender (sent but not yet received by every other client), 10 per write`;
  const fanoutText = (l: Loads["small"]) =>
    `${l.clients} clients in one channel, ${l.senders} of them send ${
      l.messages.toLocaleString("en-US")
    } messages each (${
      (l.senders * l.messages * (l.clients - 1)).toLocaleString("en-US")
    } deliveries), ${window_}`;
  const clusterText = (nodes: number) =>
    `scenario 1 over a network of ${
      nodes === 1 ? "one tertulia node" : `${nodes} tertulia nodes`
    } and one Redis (\`--redis\`, a fresh redis-server without persistence)${
      nodes === 1
        ? ", every client on the node"
        : ", client i on node i mod " + nodes +
          " (senders and receivers spread alike)"
    }; the CPU counted is every node's and Redis's`;
  const burstText = (l: BurstLoad, limits: string) =>
    `${l.clients} reading clients and one that never reads in one channel; ${l.senders} of the readers each write ${l.messages} messages of ${l.lineBytes} bytes at once, with no window (${
      (l.senders * l.messages * (l.clients - 1)).toLocaleString("en-US")
    } deliveries to readers); ${limits} (per server below)`;
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    seconds: 0,
    quick,
    repeat,
    machine,
    servers: [],
    loads: {
      "fanout-small": fanoutText(loads.small),
      "fanout-large": fanoutText(loads.large),
      idle: `${
        loads.storm.clients.toLocaleString("en-US")
      } registered connections in ${
        Math.round(loads.storm.clients / loads.storm.perChannel)
      } channels of ${loads.storm.perChannel}; (RSS with the clients − RSS before) / clients, read once the server's CPU is at rest ("at rest") and ${
        quick
          ? "not again (quick run: no idle wait)"
          : "again, as the least RSS seen, after tertulia idled 30 s (V8 returns free heap pages only after about 25 s idle; the peers' RSS stays flat when idle, so theirs is read at once)"
      }`,
      storm:
        `the same clients connect, register (NICK/USER, wait for 001) and join (wait for 366) as fast as possible, keeping as many in flight as the server's listen backlog (capped at ${MAX_CONCURRENCY})`,
      history:
        `scenario 1 with tertulia persisting history to SQLite (--db); the ratio compares it with the peers' scenario 1`,
      burst: burstText(loads.burst, "flood control off, default send queues"),
      churn:
        `${loads.churn.members} clients idle in a channel while ${loads.churn.rounds} rounds of ${
          loads.churn.cycles.toLocaleString("en-US")
        } sessions (up to 200 at a time, at most the listen backlog) connect, register, join it, say one line and QUIT; RSS read once the server's CPU is at rest after the first round and after the last`,
      "burst-flood": burstText(
        loads.burstFlood,
        "each server's default flood control and send queues",
      ),
      ...Object.fromEntries(
        Object.entries(CLUSTER_NODES).map((
          [id, nodes],
        ) => [id, clusterText(nodes)]),
      ) as Record<ClusterScenario, string>,
    },
    results: [],
  };
  console.log(
    `Bench ${
      quick ? "(quick) " : ""
    }on ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage}`,
  );

  for (const kind of servers) {
    const reason = await unavailableReason(kind);
    results.servers.push({
      kind,
      version: reason === null ? await serverVersion(kind) : undefined,
      skipped: reason ?? undefined,
      limits: `${LIMIT_NOTES[kind]} Bursts (6, 7): ${BURST_NOTES[kind]}.`,
    });
    if (reason !== null) {
      console.log(`${kind}: skipped (${reason})`);
      continue;
    }
    const runs: Partial<Record<ScenarioId, RunMetrics[]>> = {};
    const failed: Partial<Record<ScenarioId, string>> = {};
    const record = (scenario: ScenarioId, run: RunMetrics) =>
      (runs[scenario] ??= []).push(run);
    for (const scenario of scenarios) {
      if (scenario === "storm" && scenarios.includes("idle")) continue;
      if (scenario === "history" && (kind !== "tertulia" || !hasHistory)) {
        failed.history = kind !== "tertulia"
          ? "history persistence is a tertulia feature"
          : "this server.ts has no --db flag yet";
        continue;
      }
      if (
        scenario in CLUSTER_NODES && (kind !== "tertulia" || noCluster !== null)
      ) {
        failed[scenario] = kind !== "tertulia"
          ? "cluster mode is a tertulia feature"
          : noCluster!;
        continue;
      }
      for (let rep = 0; rep < repeat && failed[scenario] === undefined; rep++) {
        try {
          switch (scenario) {
            case "fanout-small":
              record(
                scenario,
                await fanoutRun(kind, loads.small, settings, false),
              );
              break;
            case "fanout-large":
              record(
                scenario,
                await fanoutRun(kind, loads.large, settings, false),
              );
              break;
            case "history":
              record(
                scenario,
                await fanoutRun(kind, loads.small, settings, true),
              );
              break;
            case "burst":
              record(
                scenario,
                await burstRun(kind, loads.burst, settings, "burst"),
              );
              break;
            case "churn":
              record(scenario, await churnRun(kind, loads.churn, settings));
              break;
            case "burst-flood":
              record(
                scenario,
                await burstRun(kind, loads.burstFlood, settings, "burst-flood"),
              );
              break;
            case "cluster-1":
            case "cluster-2":
            case "cluster-3":
              record(
                scenario,
                await clusterRun(
                  CLUSTER_NODES[scenario],
                  loads.small,
                  settings,
                ),
              );
              break;
            case "idle":
            case "storm": {
              const run = await stormRun(kind, loads.storm, settings);
              if (scenarios.includes("idle")) record("idle", run);
              if (scenarios.includes("storm")) record("storm", run);
              break;
            }
          }
        } catch (error) {
          const message = (error as Error).message.split("\n")[0];
          failed[scenario] = `failed: ${message}`;
          if (scenario === "idle" && scenarios.includes("storm")) {
            failed.storm = failed[scenario];
          }
        }
      }
    }
    for (const scenario of scenarios) {
      const result: ScenarioResult = {
        server: kind,
        scenario,
        skipped: (runs[scenario] ?? []).length === 0
          ? failed[scenario] ?? "did not run"
          : undefined,
        runs: runs[scenario] ?? [],
        summary: summarise(runs[scenario] ?? []),
      };
      if (result.skipped === undefined && failed[scenario] !== undefined) {
        console.error(`${kind} ${scenario}: ${failed[scenario]}`);
      }
      results.results.push(result);
      console.log(line(result));
    }
  }

  results.seconds = (performance.now() - started) / 1000;
  await Deno.mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(results);
  await Deno.writeTextFile(
    join(outDir, "latest.json"),
    JSON.stringify(results, null, 2) + "\n",
  );
  await Deno.writeTextFile(join(outDir, "latest.md"), markdown);
  await Deno.writeTextFile(join(outDir, "chart.svg"), renderChart(results));
  console.log(`\n${markdown}`);
  console.log(`Wrote ${join(outDir, "latest.json")}, latest.md and chart.svg`);
}

if (import.meta.main) await main();
