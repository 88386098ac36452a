import { join } from "node:path";
import {
  explainListenTlsError,
  KeyPairError,
  loadKeyPair,
} from "../tls/key_pair.ts";
import {
  assertEquals,
  assertIncludes,
  assertRejects,
} from "./helpers/assert.ts";
import { withPki } from "./helpers/tls.ts";

async function loadError(certFile: string, keyFile: string): Promise<string> {
  const error = await assertRejects(
    loadKeyPair({ certFile, keyFile }),
    KeyPairError,
  );
  return error.message;
}

Deno.test(
  "loadKeyPair reads a good pair",
  withPki(async (pki) => {
    const pair = await loadKeyPair(pki.server);
    assertEquals(pair, { cert: pki.server.cert, key: pki.server.key });
  }),
);

Deno.test(
  "a missing certificate or key file is named",
  withPki(async (pki) => {
    const missing = join(pki.dir, "nope.crt");
    assertEquals(
      await loadError(missing, pki.server.keyFile),
      `TLS certificate file not found: ${missing}`,
    );
    assertEquals(
      await loadError(pki.server.certFile, missing),
      `TLS key file not found: ${missing}`,
    );
  }),
);

Deno.test(
  "swapped, non-PEM and encrypted files are explained",
  withPki(async (pki) => {
    assertIncludes(
      await loadError(pki.server.keyFile, pki.server.certFile),
      "are --cert and --key swapped?",
    );
    const text = join(pki.dir, "notes.txt");
    await Deno.writeTextFile(text, "hello\n");
    assertIncludes(
      await loadError(pki.server.certFile, text),
      `${text} holds no PEM private key`,
    );
    const encrypted = join(pki.dir, "encrypted.key");
    await Deno.writeTextFile(
      encrypted,
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    assertIncludes(
      await loadError(pki.server.certFile, encrypted),
      `${encrypted} is an encrypted private key`,
    );
  }),
);

Deno.test(
  "a key that belongs to another certificate is explained when listening",
  withPki(async (pki) => {
    const files = { certFile: pki.server.certFile, keyFile: pki.ca.keyFile };
    const pair = await loadKeyPair(files);
    let message = "";
    try {
      Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair }).close();
    } catch (error) {
      message = explainListenTlsError(error, files);
    }
    assertEquals(
      message,
      `the private key in ${pki.ca.keyFile} does not belong to the certificate in ${pki.server.certFile}`,
    );
  }),
);
