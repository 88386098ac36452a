import { HandshakeTimeoutError, listenTlsRelay } from "../tls/relay.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { closedWithin, createTestPki, type TestPki } from "./helpers/tls.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Failure {
  remote: Deno.NetAddr;
  error: unknown;
}

/** Runs `run` against a relay on an ephemeral port, recording handshake failures. */
function withRelay(
  handshakeTimeoutMs: number,
  run: (
    relay: ReturnType<typeof listenTlsRelay>,
    failures: Failure[],
    failed: () => Promise<Failure>,
    pki: TestPki,
  ) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const pki = await createTestPki();
    const failures: Failure[] = [];
    let notify = () => {};
    const relay = listenTlsRelay({
      hostname: "127.0.0.1",
      port: 0,
      cert: pki.server.cert,
      key: pki.server.key,
      handshakeTimeoutMs,
      onHandshakeFailure: (remote, error) => {
        failures.push({ remote, error });
        notify();
      },
    });
    const failed = () =>
      new Promise<Failure>((resolve) => {
        const check = () => {
          const failure = failures.shift();
          if (failure === undefined) notify = check;
          else resolve(failure);
        };
        check();
      });
    try {
      await run(relay, failures, failed, pki);
    } finally {
      relay.close();
      await Deno.remove(pki.dir, { recursive: true });
    }
  };
}

async function readText(conn: Deno.Conn): Promise<string | null> {
  const buffer = new Uint8Array(1024);
  const count = await conn.read(buffer);
  return count === null ? null : decoder.decode(buffer.subarray(0, count));
}

Deno.test(
  "the relay hands over handshaken connections with the client's own address, and bytes flow both ways",
  withRelay(5000, async (relay, failures, _failed, pki) => {
    const client = await Deno.connectTls({
      hostname: "localhost",
      port: relay.addr.port,
      caCerts: [pki.ca.cert],
    });
    const { conn, remote } = await relay.accept();
    assertEquals(remote.port, (client.localAddr as Deno.NetAddr).port);
    await client.write(encoder.encode("NICK ana\r\n"));
    assertEquals(await readText(conn), "NICK ana\r\n");
    await conn.write(encoder.encode(":srv 001 ana :hi\r\n"));
    assertEquals(await readText(client), ":srv 001 ana :hi\r\n");
    conn.close();
    assertEquals(await readText(client).catch(() => null), null);
    client.close();
    assertEquals(failures, []);
  }),
);

Deno.test(
  "a client hanging up after the handshake ends the server's read",
  withRelay(5000, async (relay, _failures, _failed, pki) => {
    const client = await Deno.connectTls({
      hostname: "localhost",
      port: relay.addr.port,
      caCerts: [pki.ca.cert],
    });
    const { conn } = await relay.accept();
    await client.handshake();
    client.close();
    assertEquals(await readText(conn).catch(() => null), null);
    conn.close();
  }),
);

Deno.test(
  "a stalled handshake is reported as timed out and its socket is closed",
  withRelay(300, async (relay, _failures, failed) => {
    const stalled = await Deno.connect({
      hostname: "127.0.0.1",
      port: relay.addr.port,
    });
    const failure = await failed();
    assertOk(failure.error instanceof HandshakeTimeoutError);
    assertEquals(failure.remote.port, stalled.localAddr.port);
    await closedWithin(stalled, 5000);
    stalled.close();
  }),
);

Deno.test(
  "a client's rejection of the certificate reaches the failure report",
  withRelay(5000, async (relay, _failures, failed) => {
    const refused = Deno.connectTls({
      hostname: "localhost",
      port: relay.addr.port,
    }).then((conn) => conn.handshake().finally(() => conn.close()));
    const clientError = await refused.then(() => null, (error) => error);
    assertIncludes(String(clientError), "UnknownIssuer");
    assertIncludes(String((await failed()).error), "UnknownCA");
  }),
);

Deno.test(
  "a plain-text client gets the TLS alert before its socket closes",
  withRelay(5000, async (relay, _failures, failed) => {
    const plain = await Deno.connect({
      hostname: "127.0.0.1",
      port: relay.addr.port,
    });
    await plain.write(encoder.encode("NICK ana\r\nUSER ana 0 * :Ana\r\n"));
    const buffer = new Uint8Array(64);
    const count = await plain.read(buffer);
    assertOk(count !== null && buffer[0] === 0x15, "an alert record");
    assertIncludes(String((await failed()).error), "InvalidContentType");
    assertEquals(await readText(plain).catch(() => null), null);
    plain.close();
  }),
);

Deno.test(
  "closing the relay closes handshakes in progress and ends accept",
  withRelay(60_000, async (relay, failures, _failed, pki) => {
    const stalled = await Deno.connect({
      hostname: "127.0.0.1",
      port: relay.addr.port,
    });
    // Connections are accepted in order, so once this later one is through,
    // the relay holds the stalled one.
    const good = await Deno.connectTls({
      hostname: "localhost",
      port: relay.addr.port,
      caCerts: [pki.ca.cert],
    });
    const { conn } = await relay.accept();
    relay.close();
    const after = await relay.accept().then(() => "accepted", (error) => error);
    assertOk(after instanceof Deno.errors.BadResource);
    await closedWithin(stalled, 5000);
    stalled.close();
    await conn.write(encoder.encode("still here\r\n"));
    assertEquals(
      await readText(good),
      "still here\r\n",
      "established ones stay",
    );
    conn.close();
    good.close();
    assertEquals(failures, [], "closing is not a handshake failure");
  }),
);
