/**
 * TLS end to end: `server.ts` and `client.ts` as real processes and the
 * server in-process, over real sockets and real handshakes.
 */

import { join } from "node:path";
import { inspectCertificate } from "../tls/certificates.ts";
import { UNKNOWN_CA_SENTENCE } from "../tls/errors.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { clientArgs } from "./helpers/client_scenarios.ts";
import { connectClient } from "./helpers/irc_client.ts";
import {
  findBinary,
  freePort,
  peerAvailable,
  peerTestOptions,
} from "./helpers/peer_servers.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { type ServerProcess, spawnServer } from "./helpers/server_process.ts";
import { closedWithin, withPki } from "./helpers/tls.ts";

const unix = Deno.build.os !== "windows";

/** Runs `run` in a fresh temporary directory, removed afterwards. */
async function inTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-tls-e2e-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Stops a server subprocess and waits until it has exited. */
async function stop(server: ServerProcess): Promise<void> {
  server.kill("SIGTERM");
  await server.exited;
}

/** The log line, without its timestamp, that includes `part`, or undefined. */
function logLine(server: ServerProcess, part: string): string | undefined {
  return server.stderr.find((line) => line.includes(part));
}

Deno.test("zero config: server --tls makes certificates in certs/, and a TLS and a plain client chat in one channel", async () => {
  await inTempDir(async (dir) => {
    const server = await spawnServer(
      ["--tls", "--port", "0", "--tls-port", "0", "--no-history"],
      { cwd: dir, tls: "both" },
    );
    try {
      const caFile = join("certs", "ca.crt");
      const { fingerprint } = await inspectCertificate(
        await Deno.readTextFile(join(dir, "certs", "server.crt")),
      );
      assertOk(
        logLine(server, "Created a development CA and server certificate"),
      );
      assertOk(logLine(server, `CA certificate: ${caFile}`));
      assertOk(logLine(server, `SHA-256 fingerprint: ${fingerprint}`));
      if (unix) {
        for (const key of ["ca.key", "server.key"]) {
          const { mode } = await Deno.stat(join(dir, "certs", key));
          assertEquals((mode ?? 0) & 0o777, 0o600, key);
        }
      }

      await using ana = spawnClient([
        ...clientArgs(server.tlsPort!, "ana"),
        "--tls",
        "--ca",
        caFile,
      ], { cwd: dir });
      await ana.waitForOutput(
        `Connected to 127.0.0.1:${server.tlsPort} over TLS as ana.`,
      );
      await ana.waitForOutput("Users online (#general): @ana\n");
      await using bob = spawnClient(clientArgs(server.port, "bob"));
      await bob.waitForOutput(`Connected to 127.0.0.1:${server.port} as bob.`);
      await bob.waitForOutput("Users online (#general): @ana, bob\n");
      await ana.send("hola bob, esto va cifrado");
      await bob.waitForOutput(/\[\d\d:\d\d\] ana: hola bob, esto va cifrado/);
      await bob.send("hola ana, yo no");
      await ana.waitForOutput(/\[\d\d:\d\d\] bob: hola ana, yo no/);
      await bob.send("/whois ana");
      await bob.waitForOutput("ana is using a secure connection");
      await ana.send("/whois bob");
      await ana.waitForOutput("bob is on #general");
      assertEquals(ana.count("bob is using a secure connection"), 0);
      assertOk(
        server.stderr.some((line) =>
          /connect ana 127\.0\.0\.1:\d+ \(TLS\)$/.test(line)
        ),
        server.stderr.join("\n"),
      );
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
    } finally {
      await stop(server);
    }
  });
});

Deno.test("development certificates are reused across restarts", async () => {
  await inTempDir(async (dir) => {
    const args = ["--tls", "--port", "0", "--tls-port", "0", "--no-history"];
    const first = await spawnServer(args, { cwd: dir, tls: "both" });
    await stop(first);
    const ca = await Deno.readTextFile(join(dir, "certs", "ca.crt"));
    const fingerprint = logLine(first, "fingerprint")?.split(": ").pop();
    assertOk(fingerprint);

    const second = await spawnServer(args, { cwd: dir, tls: "both" });
    try {
      assertOk(logLine(second, "Using the development certificates in certs."));
      assertOk(logLine(second, `SHA-256 fingerprint: ${fingerprint}`));
      assertEquals(logLine(second, "Created"), undefined);
      assertEquals(await Deno.readTextFile(join(dir, "certs", "ca.crt")), ca);
      const client = await connectClient({
        port: second.tlsPort!,
        tls: { caCerts: [ca] },
      });
      await client.register("vuelve");
      await client.close();
    } finally {
      await stop(second);
    }
  });
});

Deno.test("--tls-only serves TLS and nothing on the plain port", async () => {
  await inTempDir(async (dir) => {
    const plainPort = freePort();
    const server = await spawnServer([
      "--tls-only",
      "--port",
      String(plainPort),
      "--tls-port",
      "0",
      "--certs-dir",
      join(dir, "keys"),
      "--no-history",
    ], { tls: "tls-only" });
    try {
      const listening = server.stderr.filter((line) =>
        line.includes("listening on")
      );
      assertEquals(listening.length, 1, listening.join("\n"));
      assertIncludes(listening[0], `:${server.tlsPort} (TLS)`);
      let refused = false;
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: plainPort }))
          .close();
      } catch (error) {
        refused = error instanceof Deno.errors.ConnectionRefused;
      }
      assertOk(refused, "nothing listens on the plain port");
      await using ana = spawnClient([
        ...clientArgs(server.tlsPort!, "ana"),
        "--ca",
        join(dir, "keys", "ca.crt"),
      ]);
      await ana.waitForOutput("Users online (#general): @ana\n");
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
    } finally {
      await stop(server);
    }
  });
});

/** Starts an in-process server with a TLS listener serving `pair`. */
function tlsServer(
  pair: { certFile: string; keyFile: string },
): Promise<TestServer> {
  return startTestServer({ tls: { port: 0, ...pair } });
}

/** Runs client.ts with `args` expecting it to fail; gives its stderr. */
async function failingClient(args: string[]): Promise<string> {
  await using client = spawnClient(args);
  assertEquals(await client.exited(), 1, client.output);
  return client.stderr;
}

/** Waits for the server log line that includes `part`. */
async function waitForLog(server: TestServer, part: string): Promise<string> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const line = server.logs.find((line) => line.includes(part));
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line with ${part}:\n${server.logs.join("\n")}`);
}

Deno.test(
  "a certificate from an untrusted CA: the client says to pass --ca, the server logs who gave up",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.server);
    const port = server.server.addresses[1].port;
    const noCa = await failingClient([...clientArgs(port, "ana"), "--tls"]);
    assertIncludes(noCa, UNKNOWN_CA_SENTENCE);
    const wrongCa = await failingClient([
      ...clientArgs(port, "ana"),
      "--ca",
      pki.otherCa.certFile,
    ]);
    assertIncludes(wrongCa, UNKNOWN_CA_SENTENCE);
    assertIncludes(wrongCa, `${pki.otherCa.certFile} is not the CA`);
    const logged = await waitForLog(server, "client does not trust the CA");
    assertOk(/TLS handshake failed from 127\.0\.0\.1:\d+: /.test(logged));
  }),
);

Deno.test(
  "--tls without --ca trusts the system's root certificates",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.server);
    const port = server.server.addresses[1].port;
    // rustls-native-certs reads the system store from SSL_CERT_FILE first.
    await using ana = spawnClient([...clientArgs(port, "ana"), "--tls"], {
      env: { SSL_CERT_FILE: pki.ca.certFile },
    });
    await ana.waitForOutput("Users online (#general): @ana\n");
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  }),
);

Deno.test(
  "a certificate for another name: the client names the host and the certificate's names",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.wrongName);
    const port = server.server.addresses[1].port;
    for (const host of ["localhost", "127.0.0.1"]) {
      const stderr = await failingClient([
        ...clientArgs(port, "ana"),
        "--host",
        host,
        "--ca",
        pki.ca.certFile,
      ]);
      assertIncludes(
        stderr,
        `the server's certificate is not valid for the name "${host}" (it is only valid for wrong.example)`,
      );
    }
    await waitForLog(
      server,
      "client rejected our certificate (BadCertificate)",
    );
  }),
);

Deno.test(
  "an expired certificate: the client gives the date and says to renew it",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.expired);
    const port = server.server.addresses[1].port;
    const { notAfter } = await inspectCertificate(pki.expired.cert);
    const stderr = await failingClient([
      ...clientArgs(port, "ana"),
      "--ca",
      pki.ca.certFile,
    ]);
    assertIncludes(
      stderr,
      `the server's certificate expired on ${
        notAfter.toISOString().slice(0, 19)
      }Z: its operator must renew it`,
    );
    await waitForLog(server, "client rejected our certificate as expired");
  }),
);

Deno.test(
  "a plain client on the TLS port is told to add --tls; the server logs it with the address",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.server);
    const port = server.server.addresses[1].port;
    const stderr = await failingClient(clientArgs(port, "ana"));
    assertIncludes(
      stderr,
      `The server at 127.0.0.1:${port} expects TLS: add --tls`,
    );
    const logged = await waitForLog(
      server,
      "plain-text client on the TLS port",
    );
    assertOk(/from 127\.0\.0\.1:\d+: /.test(logged), logged);
    const fine = await server.client("sigue");
    await fine.sync();
  }),
);

Deno.test(
  "a TLS client on the plain port is told to drop --tls; the server logs the ClientHello with the address",
  withPki(async (pki) => {
    await using server = await tlsServer(pki.server);
    const stderr = await failingClient([
      ...clientArgs(server.port, "ana"),
      "--ca",
      pki.ca.certFile,
    ]);
    assertIncludes(stderr, `127.0.0.1:${server.port}`);
    assertIncludes(stderr, "does not speak TLS");
    assertIncludes(stderr, "drop --tls");
    const logged = await waitForLog(
      server,
      "TLS handshake on the plain-text port",
    );
    assertOk(/from 127\.0\.0\.1:\d+/.test(logged), logged);
    const fine = await server.client("sigue");
    await fine.sync();
  }),
);

Deno.test(
  "50 stalled TLS handshakes do not delay a real client, and are each dropped at the deadline",
  withPki(async (pki) => {
    const timeoutSeconds = 4;
    await using server = await startTestServer({
      tlsHandshakeTimeout: timeoutSeconds,
      tls: { port: 0, ...pki.server },
    });
    const tlsPort = server.server.addresses[1].port;
    const stalled: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: tlsPort,
        });
        // Half say nothing; half start a TLS record and never finish it.
        if (i % 2 === 1) {
          await conn.write(new Uint8Array([0x16, 0x03, 0x01, 0x02]));
        }
        stalled.push(conn);
      }
      const started = Date.now();
      const secure = await server.connect({
        port: tlsPort,
        tls: { caCerts: [pki.ca.cert] },
      });
      await secure.register("segura");
      await secure.send("JOIN #sala");
      await secure.waitFor("366");
      const plain = await server.client("plano");
      await plain.send("JOIN #sala");
      await plain.waitFor("366");
      await secure.send("PRIVMSG #sala :sin esperas");
      assertEquals((await plain.waitFor("PRIVMSG")).params, [
        "#sala",
        "sin esperas",
      ]);
      const elapsed = Date.now() - started;
      assertOk(
        elapsed < timeoutSeconds * 1000,
        `served after ${elapsed} ms, not before the stalled handshakes timed out`,
      );
      assertEquals(
        server.logs.filter((line) => line.includes("timed out")).length,
        0,
        "no stalled handshake has timed out yet",
      );

      await Promise.all(
        stalled.map((conn) => closedWithin(conn, timeoutSeconds * 1000 + 5000)),
      );
      const timedOut = server.logs.filter((line) =>
        /^TLS handshake failed from 127\.0\.0\.1:\d+: timed out after 4000 ms$/
          .test(line)
      );
      assertEquals(timedOut.length, 50, server.logs.join("\n"));
      await secure.sync();
    } finally {
      for (const conn of stalled) conn.close();
    }
  }),
);

Deno.test({
  ...peerTestOptions(
    "an OpenSSL client (ncat --ssl-verify) trusts the generated CA, checks the name and chats",
    { ncat: peerAvailable("ncat") },
  ),
  fn: withPki(async (pki) => {
    await using server = await tlsServer(pki.server);
    const tlsPort = server.server.addresses[1].port;
    const plain = await server.client("plano");
    await plain.send("JOIN #sala");
    await plain.waitFor("366");
    const ncat = (caFile: string) =>
      new Deno.Command(findBinary("ncat")!, {
        args: [
          "--ssl",
          "--ssl-verify",
          "--ssl-trustfile",
          caFile,
          "localhost",
          String(tlsPort),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();

    const trusted = ncat(pki.ca.certFile);
    const writer = trusted.stdin.getWriter();
    await writer.write(
      new TextEncoder().encode(
        "NICK gato\r\nUSER gato 0 * :Gato\r\nJOIN #sala\r\nPRIVMSG #sala :miau cifrado\r\n",
      ),
    );
    assertEquals((await plain.waitFor("PRIVMSG")).params, [
      "#sala",
      "miau cifrado",
    ]);
    await plain.send("WHOIS gato");
    await plain.waitFor("671");
    await writer.write(new TextEncoder().encode("QUIT\r\n"));
    await writer.close();
    const done = await trusted.output();
    assertIncludes(new TextDecoder().decode(done.stdout), " 001 gato ");

    const untrusted = ncat(pki.otherCa.certFile);
    await untrusted.stdin.close();
    const refused = await untrusted.output();
    assertOk(
      !refused.success,
      "ncat must refuse a certificate from another CA",
    );
    await waitForLog(server, "client does not trust the CA");
  }),
});
