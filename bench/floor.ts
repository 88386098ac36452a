/**
 * `deno run -A bench/floor.ts [clients] [readBytes]`: the memory floor of a
 * Deno TCP server. Starts the smallest possible Deno server (accept, then one
 * pending `read` per connection into a `readBytes` buffer, nothing else) as
 * a separate process, opens `clients` idle connections to it, and prints its
 * RSS per connection after 30 s idle, the same way scenario 3 measures
 * tertulia. Whatever tertulia adds for IRC state comes on top of this.
 *
 * @module
 */

import { freePort, waitForPort } from "../tests/helpers/peer_servers.ts";
import { raisedFileLimitArgs } from "./peers.ts";
import { sampleProcess } from "./procstat.ts";

/** The minimal server, run with `deno eval`: port and buffer size come from its arguments. */
const MINIMAL_SERVER = `
const [port, bytes] = Deno.args.map(Number);
for await (const conn of Deno.listen({ hostname: "127.0.0.1", port })) {
  (async () => {
    const buffer = new Uint8Array(bytes);
    try {
      while ((await conn.read(buffer)) !== null);
    } catch {
      // Reset by the bench.
    }
  })();
}
`;

const IDLE_MS = 30_000;

async function main(): Promise<void> {
  const clients = Number(Deno.args[0] ?? 10000);
  const readBytes = Number(Deno.args[1] ?? 512);
  const port = freePort();
  const child = new Deno.Command("bash", {
    args: raisedFileLimitArgs("floor", [
      Deno.execPath(),
      "eval",
      MINIMAL_SERVER,
      String(port),
      String(readBytes),
    ]),
    stdin: "null",
  }).spawn();
  await waitForPort(port, { abandon: child.status });
  const before = await sampleProcess(child.pid);
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < clients; i++) {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  let least = await sampleProcess(child.pid);
  for (let waited = 0; waited < IDLE_MS; waited += 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sample = await sampleProcess(child.pid);
    if (sample.rssKiB < least.rssKiB) least = sample;
  }
  console.log(
    `Minimal Deno ${Deno.version.deno} TCP server, ${clients} idle connections, ` +
      `${readBytes}-byte read buffers: ${
        ((least.rssKiB - before.rssKiB) / clients).toFixed(2)
      } KiB RSS per connection (before ${before.rssKiB} KiB, after ${least.rssKiB} KiB)`,
  );
  child.kill("SIGKILL");
  await child.status;
  for (const conn of conns) conn.close();
}

if (import.meta.main) await main();
