import { inspectCertificate } from "../tls/certificates.ts";
import {
  describeHandshakeFailure,
  explainClientTlsError,
  explainPlainClientOnTlsPort,
  UNKNOWN_CA_SENTENCE,
} from "../tls/errors.ts";
import {
  detectTlsReply,
  looksLikeClientHello,
  looksLikeTls,
} from "../tls/sniff.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  probeHandshake,
  serveOneHandshake,
  type TestPki,
  withPki,
} from "./helpers/tls.ts";

const encoder = new TextEncoder();

function explain(error: unknown, caFile?: string): string {
  const sentence = explainClientTlsError(error, {
    host: "localhost",
    port: 6697,
    caFile,
  });
  assertOk(sentence !== null, `no sentence for ${error}`);
  return sentence;
}

Deno.test(
  "a certificate from a CA nobody passed is explained as an untrusted CA, on both sides",
  withPki(async (pki) => {
    const outcome = await probeHandshake(pki.server, "localhost");
    assertIncludes(explain(outcome.client), UNKNOWN_CA_SENTENCE);
    assertIncludes(describeHandshakeFailure(outcome.server), "UnknownCA");
  }),
);

Deno.test(
  "trusting the wrong CA file names that file",
  withPki(async (pki) => {
    const outcome = await probeHandshake(pki.server, "localhost", [
      pki.otherCa.cert,
    ]);
    const sentence = explain(outcome.client, pki.otherCa.certFile);
    assertIncludes(sentence, UNKNOWN_CA_SENTENCE);
    assertIncludes(sentence, `${pki.otherCa.certFile} is not the CA`);
  }),
);

Deno.test(
  "a name mismatch names the host asked for and the names the certificate covers",
  withPki(async (pki) => {
    const outcome = await probeHandshake(pki.wrongName, "localhost", [
      pki.ca.cert,
    ]);
    const sentence = explain(outcome.client);
    assertIncludes(
      sentence,
      `the server's certificate is not valid for the name "localhost" (it is only valid for wrong.example)`,
    );
    assertIncludes(describeHandshakeFailure(outcome.server), "BadCertificate");
  }),
);

Deno.test(
  "an expired certificate is explained with its expiry date and how to renew it",
  withPki(async (pki) => {
    const outcome = await probeHandshake(pki.expired, "localhost", [
      pki.ca.cert,
    ]);
    const sentence = explain(outcome.client);
    const { notAfter } = await inspectCertificate(pki.expired.cert);
    const day = notAfter.toISOString().slice(0, 10);
    assertIncludes(sentence, `the server's certificate expired on ${day}`);
    assertIncludes(sentence, "deno task certs");
    assertIncludes(
      describeHandshakeFailure(outcome.server),
      "CertificateExpired",
    );
  }),
);

/** Connects with TLS to a plain-text server that does `serve` with the accepted connection. */
async function tlsClientAgainstPlainServer(
  pki: TestPki,
  serve: (conn: Deno.Conn) => Promise<void>,
): Promise<{ error: unknown; firstBytes: Uint8Array }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    await serve(conn);
    conn.close();
    return buffer.subarray(0, n ?? 0);
  })();
  let error: unknown = null;
  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port: listener.addr.port,
      caCerts: [pki.ca.cert],
    });
    await conn.handshake().finally(() => conn.close());
  } catch (caught) {
    error = caught;
  }
  const firstBytes = await served;
  listener.close();
  return { error, firstBytes };
}

Deno.test(
  "a TLS client on a plain port that answers in text is told to drop --tls",
  withPki(async (pki) => {
    const { error, firstBytes } = await tlsClientAgainstPlainServer(
      pki,
      async (conn) => {
        await conn.write(encoder.encode(":tertulia NOTICE * :hello\r\n"));
      },
    );
    assertOk(looksLikeClientHello(firstBytes), "the server sees a ClientHello");
    const sentence = explain(error);
    assertIncludes(sentence, "this port does not speak TLS");
    assertIncludes(sentence, "drop --tls");
  }),
);

Deno.test(
  "a TLS client on a plain port that just closes is told to drop --tls",
  withPki(async (pki) => {
    const { error } = await tlsClientAgainstPlainServer(pki, async () => {});
    const sentence = explain(error);
    assertIncludes(sentence, "probably does not speak TLS");
    assertIncludes(sentence, "drop --tls");
  }),
);

Deno.test(
  "a plain client on a TLS port receives a TLS alert it can recognise, and the server logs why",
  withPki(async (pki) => {
    const { listener, served } = serveOneHandshake(pki.server);
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.addr.port,
    });
    await conn.write(encoder.encode("NICK alice\r\nUSER alice 0 * :A\r\n"));
    let detected = false;
    const passed = await Array.fromAsync(
      conn.readable.pipeThrough(detectTlsReply(() => detected = true)),
    );
    const serverError = await served;
    listener.close();
    assertOk(detected, "the TLS alert is recognised");
    assertEquals(passed, [], "nothing reaches the line framer");
    assertIncludes(
      describeHandshakeFailure(serverError),
      "plain-text client on the TLS port",
    );
    assertIncludes(
      explainPlainClientOnTlsPort({ host: "localhost", port: 6697 }),
      "localhost:6697 expects TLS: add --tls",
    );
  }),
);

Deno.test("errors that are not about TLS get no TLS sentence", () => {
  const refused = new Deno.errors.ConnectionRefused("Connection refused");
  assertEquals(
    explainClientTlsError(refused, { host: "localhost", port: 1 }),
    null,
  );
});

Deno.test("detectTlsReply passes IRC text through untouched", async () => {
  let detected = false;
  const text = ":server NOTICE * :hi\r\n";
  const chunks = await Array.fromAsync(
    ReadableStream.from([encoder.encode(text), new Uint8Array([0x15, 0x03])])
      .pipeThrough(detectTlsReply(() => detected = true)),
  );
  assertEquals(detected, false);
  assertEquals(chunks.length, 2, "only the first chunk is checked");
});

Deno.test("IRC text is not mistaken for TLS, and TLS records are recognised", () => {
  assertEquals(looksLikeTls(encoder.encode("NICK alice\r\n")), false);
  assertEquals(looksLikeClientHello(encoder.encode("CAP LS 302\r\n")), false);
  assertEquals(looksLikeTls(new Uint8Array([0x15, 0x03, 0x03, 0, 2])), true);
  assertEquals(looksLikeClientHello(new Uint8Array([0x16, 0x03, 0x01])), true);
  assertEquals(looksLikeClientHello(new Uint8Array([0x16])), false);
});
