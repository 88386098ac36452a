import { commandFor } from "../settings/launcher.ts";
import {
  ConnectError,
  describeConnectError,
  dialServer,
} from "../client/dial.ts";
import {
  assertEquals,
  assertIncludes,
  assertRejects,
} from "./helpers/assert.ts";

const plain = { host: "127.0.0.1", port: 59420 };

Deno.test("client connection: failures are explained with what to do", () => {
  const refused = describeConnectError(
    new Deno.errors.ConnectionRefused("Connection refused (os error 111)"),
    plain,
  );
  assertIncludes(
    refused,
    "Could not connect to 127.0.0.1:59420: connection refused.",
  );
  assertIncludes(refused, `Start it with \`${commandFor("server")}\``);
  assertIncludes(
    describeConnectError(
      new Error(
        "failed to lookup address information: Name or service not known",
      ),
      { host: "chat.invalid", port: 1 },
    ),
    "Could not find the host chat.invalid. Check the --host flag.",
  );
  assertIncludes(
    describeConnectError(new Deno.errors.TimedOut("timed out"), plain),
    "timed out",
  );
  assertEquals(
    describeConnectError(
      new ConnectError("Cannot read CA file x: no such file."),
      plain,
    ),
    "Cannot read CA file x: no such file.",
  );
  const tls = describeConnectError(
    new Error("invalid peer certificate: UnknownIssuer"),
    { ...plain, tls: {} },
  );
  assertIncludes(tls, "TLS connection to 127.0.0.1:59420 failed");
  assertIncludes(tls, "--ca");
});

Deno.test("client connection: opens a TCP connection, and names a missing CA file", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const accepted = listener.accept();
  const conn = await dialServer({ host: "127.0.0.1", port });
  const server = await accepted;
  await conn.write(new TextEncoder().encode("PING x\r\n"));
  const buffer = new Uint8Array(16);
  const count = await server.read(buffer);
  assertEquals(
    new TextDecoder().decode(buffer.subarray(0, count ?? 0)),
    "PING x\r\n",
  );
  conn.close();
  server.close();
  listener.close();

  const missing = "/nonexistent/tertulia-ca.crt";
  const error = await assertRejects(
    dialServer({ host: "127.0.0.1", port, tls: { caFile: missing } }),
    ConnectError,
  );
  assertEquals(error.message, `Cannot read CA file ${missing}: no such file.`);
});
