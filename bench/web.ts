/**
 * `deno task bench:web`: the same channel fan-out delivered to TCP clients
 * and to WebSocket clients (`text.ircv3.net`, as the web page connects) of
 * one tertulia process, and the server's CPU seconds per million deliveries
 * for each. The goal is WebSocket at most 1.5× TCP.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  closeClients,
  type FanoutResult,
  openClients,
  runFanout,
} from "./load.ts";
import { startBenchServer } from "./peers.ts";
import { sampleProcess } from "./procstat.ts";

const USAGE = `Usage: deno task bench:web [options]

Fan-out to TCP and WebSocket clients of one tertulia, CPU s per M deliveries.

Options:
  --clients N    clients in the channel (default 200)
  --senders N    clients that send (default 10)
  --messages N   messages per sender (default 500)
  --repeat N     runs per transport, alternating (default 3)
  --help         show this text
`;

/** The WebSocket/TCP ratio this scenario must stay under. */
export const GOAL_RATIO = 1.5;

/** One run's measurements. */
export interface TransportRun {
  /** The clients' transport. */
  transport: "tcp" | "websocket";
  /** What the fan-out counted. */
  fanout: FanoutResult;
  /** Server CPU (user + system) during the fan-out, in seconds. */
  cpuSeconds: number;
  /** `cpuSeconds` per million deliveries. */
  cpuPerMillion: number;
}

/** Runs one fan-out over `transport` against the server `pid` listening on `port`. */
export async function runTransport(
  transport: TransportRun["transport"],
  server: { pid: number; port: number },
  load: { clients: number; senders: number; messages: number },
): Promise<TransportRun> {
  const channel = `#${transport}`;
  const { clients } = await openClients({
    port: server.port,
    count: load.clients,
    channelOf: () => channel,
    nickPrefix: transport === "tcp" ? "t" : "w",
    webSocket: transport === "websocket",
  });
  try {
    const before = await sampleProcess(server.pid);
    const fanout = await runFanout(clients, {
      channel,
      senders: load.senders,
      messages: load.messages,
    });
    const after = await sampleProcess(server.pid);
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    return {
      transport,
      fanout,
      cpuSeconds,
      cpuPerMillion: cpuSeconds / (fanout.deliveries / 1e6),
    };
  } finally {
    closeClients(clients);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        clients: { type: "string", default: "200" },
        senders: { type: "string", default: "10" },
        messages: { type: "string", default: "500" },
        repeat: { type: "string", default: "3" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const load = {
    clients: Number(values.clients),
    senders: Number(values.senders),
    messages: Number(values.messages),
  };
  const repeat = Number(values.repeat);
  for (const [flag, value] of Object.entries({ ...load, repeat })) {
    if (!Number.isInteger(value) || value < 1) {
      console.error(`error: --${flag} must be a positive integer\n\n${USAGE}`);
      return 2;
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "tertulia-bench-web-" });
  const server = await startBenchServer("tertulia", { dir, web: true });
  const runs: TransportRun[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      // Alternating, so drift in the machine's load hits both alike.
      runs.push(await runTransport("tcp", server, load));
      runs.push(
        await runTransport("websocket", {
          pid: server.pid,
          port: server.webPort!,
        }, load),
      );
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `fan-out: ${load.clients} clients, ${load.senders} senders × ${load.messages} messages, ${repeat} runs each`,
  );
  console.log(
    "| transport | deliveries/s | p50 ms | p99 ms | lost | CPU s per M deliveries |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const medians: Record<string, number> = {};
  for (const transport of ["tcp", "websocket"] as const) {
    const mine = runs.filter((run) => run.transport === transport);
    medians[transport] = median(mine.map((run) => run.cpuPerMillion));
    console.log(
      `| ${transport} | ${
        Math.round(median(mine.map((run) => run.fanout.deliveriesPerSecond)))
      } | ${median(mine.map((run) => run.fanout.p50Ms)).toFixed(1)} | ${
        median(mine.map((run) => run.fanout.p99Ms)).toFixed(1)
      } | ${mine.reduce((sum, run) => sum + run.fanout.lost, 0)} | ${
        medians[transport].toFixed(2)
      } |`,
    );
  }
  const ratio = medians.websocket / medians.tcp;
  console.log(
    `WebSocket / TCP CPU per delivery: ${
      ratio.toFixed(2)
    }× (goal ≤ ${GOAL_RATIO}×)`,
  );
  return runs.some((run) => run.fanout.lost > 0) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
