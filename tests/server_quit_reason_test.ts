/**
 * The QUIT reason others see when a connection drops is a plain sentence,
 * never the TLS library's own error text.
 */

import { assertEquals } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { clientArgs } from "./helpers/client_scenarios.ts";
import { startTestServer } from "./helpers/server.ts";
import { serverTlsOptions, withPki } from "./helpers/tls.ts";

Deno.test(
  'a TLS client that vanishes without close_notify quits with "Connection closed"',
  withPki(async (pki) => {
    await using server = await startTestServer({
      tls: serverTlsOptions(pki),
    });
    const tlsPort = server.server.addresses[1].port;
    const watcher = await server.client("watcher");
    await watcher.send("JOIN #general");
    await watcher.waitFor("366");
    const ana = spawnClient([
      ...clientArgs(tlsPort, "ana"),
      "--ca",
      pki.ca.certFile,
    ]);
    await ana.waitForOutput("Users online (#general): ");
    await watcher.waitFor("JOIN");
    // SIGKILL: the kernel closes the socket, so no TLS close_notify is sent.
    await ana.close();
    const quit = await watcher.waitFor("QUIT");
    assertEquals(quit.params, ["Connection closed"]);
  }),
);
