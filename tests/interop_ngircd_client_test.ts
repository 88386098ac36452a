/**
 * tertulia's client against ngIRCd over TLS: Deno's TLS (rustls) on one end,
 * ngIRCd's GnuTLS on the other. The plain-text client scenarios against
 * ngIRCd are in client_ngircd_test.ts.
 */

import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { clientArgs } from "./helpers/client_scenarios.ts";
import { spawnClient } from "./helpers/client_process.ts";
import {
  peerAvailable,
  peerTestOptions,
  startNgircd,
} from "./helpers/peer_servers.ts";
import { createTestPki } from "./helpers/tls.ts";

Deno.test({
  ...peerTestOptions(
    "client over TLS on ngIRCd (GnuTLS): chats with a trusted CA, explains an untrusted one",
    { ngircd: peerAvailable("ngircd") },
  ),
  async fn() {
    const pki = await createTestPki();
    const ngircd = await startNgircd({
      tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile },
    });
    try {
      const tlsPort = ngircd.tlsPort!;
      await using ana = spawnClient([
        ...clientArgs(tlsPort, "ana"),
        "--ca",
        pki.ca.certFile,
      ]);
      await ana.waitForOutput("Users online (#general): @ana\n");
      await using bob = spawnClient([...clientArgs(ngircd.port, "bob")]);
      await bob.waitForOutput("Users online (#general): @ana, bob\n");
      await bob.send("hola por texto plano");
      await ana.waitForOutput(/\[\d\d:\d\d\] bob: hola por texto plano/);
      await ana.send("hola cifrado");
      await bob.waitForOutput(/\[\d\d:\d\d\] ana: hola cifrado/);
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
      await bob.waitForOutput(/← ana quit/);

      await using wary = spawnClient([
        ...clientArgs(tlsPort, "wary"),
        "--ca",
        pki.otherCa.certFile,
      ]);
      assertEquals(await wary.exited(), 1);
      assertIncludes(
        wary.stderr,
        `TLS connection to 127.0.0.1:${tlsPort} failed`,
      );
    } finally {
      await ngircd.close();
      await Deno.remove(pki.dir, { recursive: true });
    }
  },
});
