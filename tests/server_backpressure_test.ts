/**
 * Bursts: many senders writing as fast as TCP allows to one channel, with
 * flood control off and one member that never reads. Backpressure must hold
 * the senders back instead of dropping readers that keep up: every active
 * reader gets every line in order, only the stalled one is dropped, and the
 * bytes queued stay under the documented bound (docs/backpressure.md).
 */

import {
  closeClients,
  openClients,
  openStalledClient,
  runFanout,
} from "../bench/load.ts";
import { SOFT_SENDQ_BYTES } from "../server/connection.ts";
import { MAX_LINE_BYTES } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";

const SENDQ = 65536;
const CLIENTS = 16;
const SENDERS = 10;
/** Enough that the stalled reader's share overflows its socket buffers (about 4 MB on Linux loopback) and the sendq. */
const MESSAGES = 1200;
const LINE_BYTES = 400;

/** Reads `conn` until the server closes it; rejects if it is still open after `timeoutMs`. */
async function readUntilClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<number> {
  const buffer = new Uint8Array(65536);
  let total = 0;
  const deadline = setTimeout(() => conn.close(), timeoutMs);
  try {
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) return total;
      total += count;
    }
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return total;
    throw new Error(`the stalled reader was not dropped: ${error}`);
  } finally {
    clearTimeout(deadline);
  }
}

Deno.test("a burst with flood control off: every active reader gets everything in order, only the stalled reader is dropped, queues stay bounded", async () => {
  await using t = await startTestServer({ sendq: SENDQ, floodRate: 0 });
  const channel = "#burst";
  const { clients } = await openClients({
    port: t.port,
    count: CLIENTS,
    channelOf: () => channel,
  });
  const observer = clients[CLIENTS - 1];
  const joined = observer.waitFor(
    (m) => m.command === "JOIN" && m.source?.startsWith("stalled!") === true,
    5000,
  );
  const stalled = await openStalledClient(t.port, "stalled", channel);
  try {
    await joined;
    const gone = observer.waitFor(
      (m) => m.command === "QUIT" && m.source?.startsWith("stalled!") === true,
      60000,
    ).then((quit) => quit.params, (error: Error) => [error.message]);
    const result = await runFanout(clients, {
      channel,
      senders: SENDERS,
      messages: MESSAGES,
      window: 0,
      lineBytes: LINE_BYTES,
    });
    assertEquals(result.disconnects, 0, "no active reader was dropped");
    assertEquals(result.lost, 0, "every delivery arrived");
    assertEquals(result.anomalies, 0, "in order, no duplicates");
    assertEquals(result.deliveries, SENDERS * MESSAGES * (CLIENTS - 1));

    assertEquals(await gone, ["SendQ exceeded"]);
    assertOk(
      t.logs.some((line) =>
        line.includes("disconnect stalled") && line.includes("SendQ exceeded")
      ),
    );
    const drops = t.logs.filter((line) => line.includes("SendQ exceeded"));
    assertEquals(drops.length, 1, drops.join("\n"));
    await readUntilClosed(stalled, 10000);

    // Each live queue holds at most the soft limit plus one line per
    // source; the stalled one at most the sendq.
    const bound = CLIENTS * (SOFT_SENDQ_BYTES + SENDERS * MAX_LINE_BYTES) +
      SENDQ;
    const { peakQueuedBytes } = t.server.context.output;
    assertOk(
      peakQueuedBytes <= bound,
      `peak queued ${peakQueuedBytes} bytes, bound ${bound}`,
    );
    assertOk(peakQueuedBytes > SENDQ, "the stalled reader's queue filled");
  } finally {
    closeClients(clients);
    try {
      stalled.close();
    } catch {
      // Closed by readUntilClosed.
    }
  }
});
