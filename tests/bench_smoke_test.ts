/**
 * Keeps the benchmark's load generator working: a tiny fan-out against a
 * real tertulia subprocess must count every delivery, a client that left the
 * channel must show up as lost deliveries, and the report must render.
 */

import { startCluster } from "../bench/cluster.ts";
import { closeClients, openClients, runFanout } from "../bench/load.ts";
import { startBenchServer, TERTULIA_V8_FLAGS } from "../bench/peers.ts";
import { parseStatCpuSeconds, sampleProcess } from "../bench/procstat.ts";
import { renderMarkdown } from "../bench/report.ts";
import { renderChart } from "../bench/chart.ts";
import { type BenchResults, summarise } from "../bench/results.ts";
import { percentile, spread } from "../bench/stats.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { redisTestOptions } from "./helpers/redis.ts";

async function withTertulia(
  body: (port: number, pid: number) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-bench-smoke-" });
  const server = await startBenchServer("tertulia", { dir });
  try {
    await body(server.port, server.pid);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bench fan-out: 5 clients, 2 senders × 10 messages, nothing lost", async () => {
  await withTertulia(async (port, pid) => {
    const { clients } = await openClients({
      port,
      count: 5,
      channelOf: () => "#smoke",
    });
    try {
      const before = await sampleProcess(pid);
      const result = await runFanout(clients, {
        channel: "#smoke",
        senders: 2,
        messages: 10,
        window: 4,
        batch: 2,
      });
      const after = await sampleProcess(pid);
      assertEquals(result.expected, 2 * 10 * 4);
      assertEquals(result.deliveries, result.expected);
      assertEquals(result.lost, 0);
      assertEquals(result.anomalies, 0);
      assertEquals(result.disconnects, 0);
      assertOk(result.p50Ms > 0 && result.p50Ms <= result.p99Ms);
      assertOk(result.p99Ms <= result.maxMs);
      assertOk(after.rssKiB > 0 && after.peakRssKiB >= after.rssKiB);
      assertOk(after.cpuSeconds >= before.cpuSeconds);
    } finally {
      closeClients(clients);
    }
  });
});

Deno.test("bench fan-out: a client that left the channel counts as lost deliveries", async () => {
  await withTertulia(async (port) => {
    const { clients } = await openClients({
      port,
      count: 4,
      channelOf: () => "#smoke",
    });
    try {
      const parted = clients[3].waitFor(
        (m) => m.command === "PART" && m.params[0] === "#smoke",
        5000,
      );
      await clients[3].send("PART #smoke\r\n");
      await parted;
      const result = await runFanout(clients, {
        channel: "#smoke",
        senders: 1,
        messages: 5,
        window: 0,
        stallTimeoutMs: 300,
      });
      assertEquals(result.expected, 15);
      assertEquals(result.deliveries, 10);
      assertEquals(result.lost, 5);
    } finally {
      closeClients(clients);
    }
  });
});

Deno.test(
  redisTestOptions(
    "bench cluster: Redis and 2 nodes, clients spread over both, every delivery arrives",
  ),
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "tertulia-bench-smoke-" });
    const cluster = await startCluster(2, { dir });
    try {
      assertEquals(
        (await Deno.readTextFile(`/proc/${cluster.redisPid}/comm`)).trim(),
        "redis-server",
      );
      const ports = cluster.nodes.map((node) => node.port);
      assertEquals(new Set(ports).size, 2);
      // Sender 0 is on node 1 and sender 1 on node 2: each one's messages
      // reach the other node's clients only through Redis.
      const { clients } = await openClients({
        port: ports[0],
        portOf: (index) => ports[index % 2],
        count: 4,
        channelOf: () => "#smoke",
      });
      try {
        const result = await runFanout(clients, {
          channel: "#smoke",
          senders: 2,
          messages: 10,
          window: 4,
          batch: 2,
        });
        assertEquals(result.deliveries, 2 * 10 * 3);
        assertEquals(result.lost, 0);
        assertEquals(result.anomalies, 0);
        assertEquals(result.disconnects, 0);
      } finally {
        closeClients(clients);
      }
    } finally {
      await cluster.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("bench report: stats, /proc parsing, markdown and chart", () => {
  assertEquals(percentile(Float32Array.of(1, 2, 3, 4), 0.5), 2);
  assertEquals(percentile([], 0.99), 0);
  assertEquals(spread([3, 1, 2]), { median: 2, min: 1, max: 3 });
  assertEquals(
    parseStatCpuSeconds(
      "42 (deno (main)) S 1 42 42 0 -1 0 0 0 0 0 150 50 0 0 20 0 9 0",
    ),
    2,
  );
  const run = (server: number) => ({
    clients: 100,
    deliveries: 990000,
    deliveriesPerSecond: server,
    p50Ms: 1,
    p99Ms: 2,
    maxMs: 3,
    lost: 0,
    disconnects: 0,
    cpuSeconds: 0.5,
    cpuPerMillion: 0.5,
    peakRssKiB: 1024,
  });
  const burst = (seconds: number, peakRssKiB: number) => ({
    ...run(1),
    seconds,
    stalledDropped: 1,
    peakRssKiB,
  });
  const results: BenchResults = {
    startedAt: "2026-01-01T00:00:00.000Z",
    seconds: 1,
    quick: true,
    repeat: 1,
    machine: {
      cpu: "Test CPU",
      cores: 2,
      memoryMiB: 1024,
      kernel: "6.0",
      deno: "2.0",
      loadAverage: 0,
      hostname: "test",
    },
    servers: [
      { kind: "tertulia", limits: "none" },
      { kind: "ngircd", limits: "none" },
    ],
    loads: {
      "fanout-small": "",
      "fanout-large": "",
      idle: "",
      storm: "",
      history: "",
      burst: "",
      "burst-flood": "",
      churn: "",
      "cluster-1": "",
      "cluster-2": "",
      "cluster-3": "",
    },
    results: [
      {
        server: "tertulia",
        scenario: "fanout-small",
        runs: [run(2e6)],
        summary: summarise([run(2e6)]),
      },
      {
        server: "ngircd",
        scenario: "fanout-small",
        runs: [run(1e6)],
        summary: summarise([run(1e6)]),
      },
      ...([["cluster-1", 1, 0.75], ["cluster-3", 3, 1.5]] as const).map((
        [scenario, nodes, cpuPerMillion],
      ) => {
        const runs = [{
          ...run(1e6),
          cpuPerMillion,
          nodes,
          redisCpuSeconds: 0.1,
          redisPeakRssKiB: 2048,
        }];
        return {
          server: "tertulia" as const,
          scenario,
          runs,
          summary: summarise(runs),
        };
      }),
      {
        server: "tertulia",
        scenario: "burst",
        runs: [burst(2, 48 * 1024)],
        summary: summarise([burst(2, 48 * 1024)]),
      },
      {
        server: "ngircd",
        scenario: "burst",
        runs: [burst(4, 8 * 1024)],
        summary: summarise([burst(4, 8 * 1024)]),
      },
    ],
  };
  const markdown = renderMarkdown(results);
  assertIncludes(
    markdown,
    "| 6. burst | tertulia | 2 | 990,000 | 0 | 0 | yes | 2 | 0.5 | 48 |",
  );
  assertIncludes(
    markdown,
    "| 6. burst | total time (lower is better) | 0.5 | ≤ 1 | yes |",
  );
  assertIncludes(
    markdown,
    "- Burst peak RSS: 48 MiB (target ≤ 64 MiB): met (quick run: smaller load).",
  );
  assertIncludes(markdown, "| 1. fan-out small | tertulia | 2 M |");
  assertIncludes(
    markdown,
    "| 1. fan-out small | deliveries/s (higher is better) | 2 | ≥ 1 | yes |",
  );
  assertIncludes(markdown, "| 1. fan-out small | one process | 2 M |");
  assertIncludes(
    markdown,
    "| 9c. cluster, 3 nodes | 3 | 1 M | 2 | 0 | 0 | 0.5 | 0.1 | 1.5 | 3 | 2 | 1 | 2 | – |",
  );
  assertIncludes(
    markdown,
    "- Cluster of 3 nodes, CPU s per M deliveries over the nodes and Redis / one tertulia process (scenario 9c / 1): 3 (target ≤ 2): not met.",
  );
  assertIncludes(
    markdown,
    "- Cluster cost by nodes, CPU s per M deliveries over the nodes and Redis: 1 node 0.75, 3 nodes 1.5 (×2); one process 0.5.",
  );
  const svg = renderChart(results);
  assertIncludes(svg, "<svg");
  // Legend, two bars in each top panel, four in the CPU panel.
  assertEquals(svg.match(/<rect x=/g)?.length, 2 + 2 * 2 + 4);
});

Deno.test("the bench runs tertulia with the V8 flags of deno task server, deno task compile and the deploy files", async () => {
  const read = (path: string) =>
    Deno.readTextFile(new URL(`../${path}`, import.meta.url));
  const config = JSON.parse(await read("deno.json"));
  const flag = `--v8-flags=${TERTULIA_V8_FLAGS}`;
  assertIncludes(config.tasks.server, flag);
  assertIncludes(config.tasks.compile, `${flag} --output tertulia-server`);
  assertIncludes(await read("deploy/tertulia.service"), flag);
  assertIncludes(await read("deploy/Dockerfile"), `"${flag}"`);
});
