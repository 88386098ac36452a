/**
 * The server as irctest's controller starts it: `deno run -A serve.ts
 * CONFIG.json`. The JSON file holds {@link ServerOptions} fields (the
 * connection password among them), so no secret is ever on a command line.
 * Each test gets a fresh process; SIGTERM ends it (the default action: there
 * is no state worth flushing).
 *
 * @module
 */

import { type StartOptions, startServer } from "../../server.ts";

/** Fields the controller may set; anything else in the file is refused. */
const ALLOWED = new Set([
  "host",
  "port",
  "name",
  "network",
  "description",
  "password",
  "tls",
  "tlsOnly",
  "web",
  "db",
  "historyLines",
  "historyCommitMs",
  "floodRate",
  "pingInterval",
  "pingTimeout",
  "registrationTimeout",
  "opers",
  "registerBeforeConnect",
  "minPasswordLength",
  "redis",
]);

/** Reads and checks the controller's JSON options file. */
export async function readControllerOptions(
  path: string,
): Promise<StartOptions> {
  const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path}: expected a JSON object of server options`);
  }
  const unknown = Object.keys(parsed).filter((key) => !ALLOWED.has(key));
  if (unknown.length > 0) {
    throw new Error(`${path}: unknown option(s) ${unknown.join(", ")}`);
  }
  return parsed as StartOptions;
}

if (import.meta.main) {
  const [path] = Deno.args;
  if (path === undefined || Deno.args.length !== 1) {
    console.error(
      "Usage: deno run -A conformance/irctest/serve.ts CONFIG.json",
    );
    Deno.exit(2);
  }
  await startServer(await readControllerOptions(path));
}
