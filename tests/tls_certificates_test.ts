import { commandFor } from "../settings/launcher.ts";
import { join } from "node:path";
import {
  createCertificateAuthority,
  DEV_SERVER_NAMES,
  inspectCertificate,
  issueServerCertificate,
} from "../tls/certificates.ts";
import {
  CA_KEY_FILE,
  describeDevCertificates,
  ensureDevCertificates,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
} from "../tls/dev_certs.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { createTestPki, probeHandshake } from "./helpers/tls.ts";

const unix = Deno.build.os !== "windows";

async function withTempDir(run: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-certs-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a generated certificate carries the dev names, validity and a SHA-256 fingerprint", async () => {
  const ca = await createCertificateAuthority();
  const server = await issueServerCertificate(ca);
  const info = await inspectCertificate(server.cert);
  assertEquals(info.names, [...DEV_SERVER_NAMES]);
  assertEquals(info.subject, "CN=localhost");
  assertOk(info.notBefore.getTime() <= Date.now());
  assertOk(info.notAfter.getTime() > Date.now() + 300 * 86_400_000);
  assertOk(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(info.fingerprint));
  assertOk(
    info.fingerprint !== (await inspectCertificate(ca.cert)).fingerprint,
  );
});

Deno.test("Deno.listenTls serves a generated certificate that Deno.connectTls accepts by name and by IP", async () => {
  const pki = await createTestPki();
  try {
    for (const hostname of ["localhost", "127.0.0.1"]) {
      const outcome = await probeHandshake(pki.server, hostname, [pki.ca.cert]);
      assertEquals(outcome, { client: null, server: null }, hostname);
    }
  } finally {
    await Deno.remove(pki.dir, { recursive: true });
  }
});

Deno.test("bytes cross a TLS connection built on generated certificates", async () => {
  const ca = await createCertificateAuthority();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    ...await issueServerCertificate(ca),
  });
  const echoed = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    await conn.write(buffer.subarray(0, n ?? 0));
    conn.close();
  })();
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port: listener.addr.port,
    caCerts: [ca.cert],
  });
  await conn.write(new TextEncoder().encode("PING :secret\r\n"));
  const buffer = new Uint8Array(64);
  const n = await conn.read(buffer);
  assertEquals(
    new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
    "PING :secret\r\n",
  );
  conn.close();
  await echoed;
  listener.close();
});

Deno.test("ensureDevCertificates creates a CA and server certificate with owner-only keys", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "certs");
    const certs = await ensureDevCertificates({ dir });
    assertEquals(certs.created, true);
    assertEquals(certs.createdAuthority, true);
    assertEquals(certs.caFile, join(dir, "ca.crt"));
    assertEquals(certs.certFile, join(dir, SERVER_CERT_FILE));
    assertEquals(certs.keyFile, join(dir, SERVER_KEY_FILE));
    if (unix) {
      for (const key of [CA_KEY_FILE, SERVER_KEY_FILE]) {
        const { mode } = await Deno.stat(join(dir, key));
        assertEquals((mode ?? 0) & 0o777, 0o600, key);
      }
    }
    const pair = {
      cert: await Deno.readTextFile(certs.certFile),
      key: await Deno.readTextFile(certs.keyFile),
    };
    assertEquals(
      (await inspectCertificate(pair.cert)).fingerprint,
      certs.fingerprint,
    );
    const outcome = await probeHandshake(pair, "localhost", [
      await Deno.readTextFile(certs.caFile),
    ]);
    assertEquals(outcome, { client: null, server: null });
  });
});

Deno.test(
  "ensureDevCertificates keeps 0600 on a key that existed with looser permissions",
  {
    ignore: !unix,
  },
  async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, CA_KEY_FILE), "stale", {
        mode: 0o644,
      });
      await Deno.chmod(join(dir, CA_KEY_FILE), 0o644);
      await ensureDevCertificates({ dir });
      const { mode } = await Deno.stat(join(dir, CA_KEY_FILE));
      assertEquals((mode ?? 0) & 0o777, 0o600);
    });
  },
);

Deno.test("ensureDevCertificates reuses existing files, and force replaces them", async () => {
  await withTempDir(async (dir) => {
    const first = await ensureDevCertificates({ dir });
    const caPem = await Deno.readTextFile(first.caFile);
    const second = await ensureDevCertificates({ dir });
    assertEquals(second, { ...first, created: false, createdAuthority: false });
    assertEquals(await Deno.readTextFile(first.caFile), caPem);
    const forced = await ensureDevCertificates({ dir, force: true });
    assertEquals(forced.createdAuthority, true);
    assertOk(forced.fingerprint !== first.fingerprint);
    assertOk((await Deno.readTextFile(first.caFile)) !== caPem);
  });
});

Deno.test("ensureDevCertificates reissues an expired server certificate from the same CA", async () => {
  await withTempDir(async (dir) => {
    const first = await ensureDevCertificates({ dir });
    const ca = {
      cert: await Deno.readTextFile(first.caFile),
      key: await Deno.readTextFile(join(dir, CA_KEY_FILE)),
    };
    const expired = await issueServerCertificate(ca, {
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    await Deno.writeTextFile(first.certFile, expired.cert);
    const renewed = await ensureDevCertificates({ dir });
    assertEquals(renewed.created, true);
    assertEquals(renewed.createdAuthority, false);
    assertEquals(await Deno.readTextFile(first.caFile), ca.cert);
    const info = await inspectCertificate(
      await Deno.readTextFile(renewed.certFile),
    );
    assertOk(info.notAfter.getTime() > Date.now());
    assertEquals(info.fingerprint, renewed.fingerprint);
  });
});

Deno.test("ensureDevCertificates reissues the server certificate when the wanted names change", async () => {
  await withTempDir(async (dir) => {
    await ensureDevCertificates({ dir });
    const renamed = await ensureDevCertificates({
      dir,
      names: ["chat.example", "localhost"],
    });
    assertEquals(renamed.createdAuthority, false);
    assertEquals(renamed.created, true);
    const info = await inspectCertificate(
      await Deno.readTextFile(renamed.certFile),
    );
    assertEquals(info.names, ["chat.example", "localhost"]);
  });
});

Deno.test("ensureDevCertificates reuses a certificate that covers more names than asked for", async () => {
  await withTempDir(async (dir) => {
    const made = await ensureDevCertificates({
      dir,
      names: ["chat.example", "localhost", "127.0.0.1"],
    });
    const reused = await ensureDevCertificates({ dir });
    assertEquals(reused.created, false);
    assertEquals(reused.fingerprint, made.fingerprint);
  });
});

Deno.test("describeDevCertificates names the CA file, the --ca flag and the fingerprint", async () => {
  await withTempDir(async (dir) => {
    const certs = await ensureDevCertificates({ dir });
    const text = describeDevCertificates(certs).join("\n");
    assertIncludes(text, "Created a development CA");
    assertIncludes(
      text,
      `clients connect with: ${
        commandFor("client")
      } --tls --ca ${certs.caFile})`,
    );
    const elsewhere = describeDevCertificates(certs, {
      host: "192.168.1.5",
      port: 6697,
    }).join("\n");
    assertIncludes(
      elsewhere,
      `--tls --ca ${certs.caFile} --host 192.168.1.5 --port 6697)`,
    );
    assertIncludes(text, certs.fingerprint);
    const reused = describeDevCertificates(
      await ensureDevCertificates({ dir }),
    );
    assertIncludes(reused.join("\n"), "Using the development certificates");
  });
});

Deno.test("deno task certs writes fresh certificates to --dir and rejects unknown flags", async () => {
  await withTempDir(async (dir) => {
    const script = new URL("../tls/make_certs.ts", import.meta.url).pathname;
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const made = await run(["--dir", dir]);
    const out = new TextDecoder().decode(made.stdout);
    assertEquals(made.code, 0, new TextDecoder().decode(made.stderr));
    const { fingerprint } = await inspectCertificate(
      await Deno.readTextFile(join(dir, SERVER_CERT_FILE)),
    );
    assertIncludes(out, fingerprint);
    assertIncludes(out, join(dir, "ca.crt"));
    const again = await run(["--dir", dir]);
    assertEquals(again.code, 0);
    const second = await inspectCertificate(
      await Deno.readTextFile(join(dir, SERVER_CERT_FILE)),
    );
    assertOk(second.fingerprint !== fingerprint, "certs must recreate");
    const bad = await run(["--bogus"]);
    assertEquals(bad.code, 2);
    assertIncludes(new TextDecoder().decode(bad.stderr), "Usage:");
  });
});
