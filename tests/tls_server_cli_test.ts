import { join } from "node:path";
import { parseServerArgs, UsageError } from "../server/options.ts";
import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
} from "./helpers/assert.ts";
import { runServerToExit } from "./helpers/server_process.ts";

async function parse(args: string[]) {
  const parsed = await parseServerArgs(args);
  assertOk(!parsed.help);
  return parsed;
}

Deno.test("--tls alone asks for development certificates in certs/ and the TLS port 59421", async () => {
  const parsed = await parse(["--tls"]);
  assertEquals(parsed.options.tls, {
    port: 59421,
    certFile: join("certs", "server.crt"),
    keyFile: join("certs", "server.key"),
  });
  assertEquals(parsed.devCertificates, {
    dir: "certs",
    names: ["localhost", "127.0.0.1"],
  });
  assertEquals(parsed.options.tlsOnly, undefined);
  assertEquals((await parse([])).options.tls, undefined, "no TLS unless asked");
});

Deno.test("--tls-port, --tls-only and --certs-dir each turn TLS on", async () => {
  assertEquals((await parse(["--tls-port", "6697"])).options.tls?.port, 6697);
  const only = await parse(["--tls-only"]);
  assertEquals(only.options.tlsOnly, true);
  assertEquals(only.options.tls?.port, 59421);
  const dir = await parse(["--certs-dir", "/srv/keys"]);
  assertEquals(dir.devCertificates?.dir, "/srv/keys");
  assertEquals(dir.options.tls?.certFile, join("/srv/keys", "server.crt"));
});

Deno.test("--cert and --key serve those files and need no development certificates", async () => {
  const parsed = await parse(["--cert", "c.pem", "--key", "k.pem"]);
  assertEquals(parsed.options.tls, {
    port: 59421,
    certFile: "c.pem",
    keyFile: "k.pem",
  });
  assertEquals(parsed.devCertificates, undefined);
});

Deno.test("a specific --host is added to the development certificate's names; a wildcard is not", async () => {
  assertEquals(
    (await parse(["--tls", "--host", "192.168.1.5"])).devCertificates?.names,
    [
      "localhost",
      "127.0.0.1",
      "192.168.1.5",
    ],
  );
  assertEquals(
    (await parse(["--tls", "--host", "0.0.0.0"])).devCertificates?.names,
    [
      "localhost",
      "127.0.0.1",
    ],
  );
});

Deno.test("--tls-handshake-timeout sets the handshake deadline in seconds", async () => {
  assertEquals(
    (await parse(["--tls", "--tls-handshake-timeout", "2.5"])).options
      .tlsHandshakeTimeout,
    2.5,
  );
});

Deno.test("inconsistent TLS flags are usage errors", async () => {
  for (
    const args of [
      ["--cert", "c.pem"],
      ["--key", "k.pem"],
      ["--cert", "c.pem", "--key", "k.pem", "--certs-dir", "d"],
      ["--cert", "", "--key", "k.pem"],
      ["--certs-dir", ""],
      ["--tls-port", "70000"],
      ["--tls-handshake-timeout", "0"],
      ["--tls=yes"],
    ]
  ) await assertRejects(parseServerArgs(args), UsageError);
});

Deno.test("server.ts names a missing certificate file and exits 1; half a key pair is a usage error (exit 2)", async () => {
  const missing = join(await Deno.makeTempDir(), "missing.crt");
  try {
    const run = await runServerToExit([
      "--port",
      "0",
      "--tls-port",
      "0",
      "--no-history",
      "--cert",
      missing,
      "--key",
      missing,
    ]);
    assertEquals(run.code, 1, run.stderr);
    assertIncludes(run.stderr, `TLS certificate file not found: ${missing}`);
    const half = await runServerToExit(["--cert", missing]);
    assertEquals(half.code, 2);
    assertIncludes(half.stderr, "--cert and --key go together");
    assertIncludes(half.stderr, "Usage:");
  } finally {
    await Deno.remove(join(missing, ".."), { recursive: true });
  }
});
