import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
} from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { startTestServer, waitUntil } from "./helpers/server.ts";
import {
  closedWithin,
  createTestPki,
  serverTlsOptions,
  type TestPki,
} from "./helpers/tls.ts";

let pki: TestPki;

Deno.test.beforeAll(async () => {
  pki = await createTestPki();
});

Deno.test.afterAll(async () => {
  await Deno.remove(pki.dir, { recursive: true });
});

Deno.test("TLS listener: clients register over TLS, are marked secure (WHOIS 671) and talk to plain-text users", async () => {
  await using t = await startTestServer({
    tls: serverTlsOptions(pki),
  });
  assertEquals(t.server.addresses.length, 2);
  const tlsPort = t.server.addresses[1].port;
  assertOk(
    t.logs.some((line) => line === `listening on 127.0.0.1:${tlsPort} (TLS)`),
    t.logs.join("\n"),
  );
  const secure = await connectClient({
    port: tlsPort,
    tls: { caCerts: [pki.ca.cert] },
  });
  try {
    await secure.register("segura");
    const plain = await t.client("plano");
    await plain.send("WHOIS segura");
    assertEquals((await plain.waitFor("671")).params, [
      "plano",
      "segura",
      "is using a secure connection",
    ]);
    await plain.send("PRIVMSG segura :hola");
    assertEquals((await secure.waitFor("PRIVMSG")).params, ["segura", "hola"]);
    await secure.send("WHOIS plano");
    await secure.waitFor("318");
    assertEquals(secure.messages.filter((m) => m.command === "671").length, 0);
    assertOk(
      t.logs.some((line) =>
        /^connect segura 127\.0\.0\.1:\d+ \(TLS\)$/.test(line)
      ),
    );
  } finally {
    await secure.close();
  }
});

Deno.test("a stalled TLS handshake does not block other clients and is dropped at its deadline", async () => {
  await using t = await startTestServer({
    tlsOnly: true,
    tlsHandshakeTimeout: 1,
    tls: serverTlsOptions(pki),
  });
  assertEquals(
    t.server.addresses.length,
    1,
    "no plain-text listener with tlsOnly",
  );
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: t.port });
  try {
    const client = await connectClient({
      port: t.port,
      tls: { caCerts: [pki.ca.cert] },
    });
    await client.register("rapido");
    await client.close();
    await waitUntil(
      () =>
        t.logs.some((line) =>
          /^TLS handshake failed from 127\.0\.0\.1:\d+: .*timed out/.test(line)
        ),
      "the stalled handshake is logged",
    );
    await closedWithin(stalled, 5000);
  } finally {
    stalled.close();
  }
});

Deno.test("a plain-text client on the TLS port fails its handshake, which is logged, and the server keeps serving", async () => {
  await using t = await startTestServer({
    tls: serverTlsOptions(pki),
  });
  const wrong = await connectClient({ port: t.server.addresses[1].port });
  await wrong.send("NICK plain");
  await wrong.closed;
  const ok = await connectClient({
    port: t.server.addresses[1].port,
    tls: { caCerts: [pki.ca.cert] },
  });
  await ok.register("ok");
  await ok.close();
  assertOk(t.logs.some((line) => line.includes("TLS handshake failed")));
});

Deno.test("a missing certificate or key file is named in the error", async () => {
  const missing = `${pki.dir}/missing.crt`;
  const error = await assertRejects(
    startTestServer({
      tls: { port: 0, certFile: missing, keyFile: pki.server.keyFile },
    }),
    Error,
  );
  assertIncludes(error.message, missing);
  const missingKey = `${pki.dir}/missing.key`;
  const keyError = await assertRejects(
    startTestServer({
      tls: { port: 0, certFile: pki.server.certFile, keyFile: missingKey },
    }),
    Error,
  );
  assertIncludes(keyError.message, missingKey);
});
