/**
 * `deno run -A bench/floor.ts [clients] [readBytes] [api]`: the memory floor
 * of a Deno TCP server. Starts the smallest possible Deno server as a
 * separate process, opens `clients` idle connections to it, and prints its
 * RSS per connection after 30 s idle, the same way scenario 3 measures
 * tertulia. With `api` `deno` (the default, what tertulia uses) the server
 * accepts with `Deno.listen` and keeps one pending `read` per connection
 * into a `readBytes` buffer; with `node` it uses `node:net`, whose sockets
 * are read when data arrives (no pending read, no buffer per connection).
 * Whatever tertulia adds for IRC state comes on top of the first.
 *
 * @module
 */

import { freePort, waitForPort } from "../tests/helpers/peer_servers.ts";
import { raisedFileLimitArgs } from "./peers.ts";
import { sampleProcess } from "./procstat.ts";

/** The minimal servers, run with `deno eval`: port and buffer size come from their arguments. */
const MINIMAL_SERVERS = {
  deno: `
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
`,
  node: `
import { createServer } from "node:net";
const [port] = Deno.args.map(Number);
createServer((socket) => {
  socket.on("data", () => {});
  socket.on("error", () => {});
}).listen(port, "127.0.0.1");
`,
};

const IDLE_MS = 30_000;

async function main(): Promise<void> {
  const clients = Number(Deno.args[0] ?? 10000);
  const readBytes = Number(Deno.args[1] ?? 512);
  const api = Deno.args[2] ?? "deno";
  if (api !== "deno" && api !== "node") {
    console.error(`api must be deno or node, not ${api}`);
    Deno.exit(2);
  }
  const port = freePort();
  const child = new Deno.Command("bash", {
    args: raisedFileLimitArgs("floor", [
      Deno.execPath(),
      "eval",
      MINIMAL_SERVERS[api],
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
  const reads = api === "deno"
    ? `Deno.listen, ${readBytes}-byte read buffers`
    : "node:net";
  console.log(
    `Minimal Deno ${Deno.version.deno} TCP server, ${clients} idle connections, ` +
      `${reads}: ${
        ((least.rssKiB - before.rssKiB) / clients).toFixed(2)
      } KiB RSS per connection (before ${before.rssKiB} KiB, after ${least.rssKiB} KiB)`,
  );
  child.kill("SIGKILL");
  await child.status;
  for (const conn of conns) conn.close();
}

if (import.meta.main) await main();
