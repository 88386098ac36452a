/**
 * tertulia as third-party clients meet it: started in-process the way the
 * command line starts it, with chat history on, so peers see every
 * capability a deployed server offers (`batch`, `draft/chathistory`).
 *
 * @module
 */

import { join } from "node:path";
import type { StartOptions } from "../../server.ts";
import { type TestServer, withServer } from "./server.ts";
import { serverTlsOptions, type TestPki, withPki } from "./tls.ts";

/**
 * Runs `fn` against a fresh tertulia server on port 0 with history kept in a
 * temporary SQLite file (replayed on JOIN, as `deno task server` does), then
 * closes the server and removes the file. `options` are passed on to
 * `startServer` (default none).
 */
export async function withDeployedServer(
  fn: (server: TestServer) => Promise<void>,
  options: StartOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-interop-" });
  try {
    await withServer({ db: join(dir, "history.db"), ...options }, fn);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Like {@link withDeployedServer}, with a TLS listener too, serving the server
 * certificate of a fresh {@link TestPki} (removed afterwards).
 */
export function withDeployedTlsServer(
  fn: (server: TestServer, pki: TestPki) => Promise<void>,
): Promise<void> {
  return withPki((pki) =>
    withDeployedServer((server) => fn(server, pki), {
      tls: serverTlsOptions(pki),
    })
  )();
}
