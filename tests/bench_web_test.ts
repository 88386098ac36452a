/**
 * Keeps `deno task bench:web` working: a tiny fan-out over WebSocket and
 * over TCP against one real tertulia subprocess counts every delivery.
 */

import { startBenchServer } from "../bench/peers.ts";
import { runTransport } from "../bench/web.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";

Deno.test("bench:web: 6 clients, 2 senders × 10 messages over WebSocket and TCP, nothing lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-bench-web-" });
  const server = await startBenchServer("tertulia", { dir, web: true });
  try {
    assertOk(server.webPort !== undefined);
    const load = { clients: 6, senders: 2, messages: 10 };
    for (
      const [transport, port] of [
        ["websocket", server.webPort],
        ["tcp", server.port],
      ] as const
    ) {
      const run = await runTransport(
        transport,
        { pid: server.pid, port },
        load,
      );
      assertEquals(run.fanout.expected, 2 * 10 * 5);
      assertEquals(run.fanout.deliveries, run.fanout.expected, transport);
      assertEquals([run.fanout.lost, run.fanout.anomalies], [0, 0]);
      assertOk(Number.isFinite(run.cpuPerMillion));
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
