import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
} from "./helpers/assert.ts";
import {
  freePort,
  peerAvailable,
  type PeerServer,
  peerTestOptions,
  startInspircd,
  startNgircd,
} from "./helpers/peer_servers.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { Numeric } from "../protocol.ts";

Deno.test("peerTestOptions names the missing apt packages in a skipped test", () => {
  assertEquals(peerTestOptions("x", { a: true, b: true }), {
    name: "x",
    ignore: false,
  });
  assertEquals(peerTestOptions("x", { a: false, b: true, c: false }), {
    name: "x (skipped: apt packages a, c missing)",
    ignore: true,
  });
  assertEquals(peerAvailable("sh"), true);
  assertEquals(peerAvailable("no-such-peer-binary"), false);
});

Deno.test("freePort returns a port that can be bound", () => {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
});

/** Registers a raw client with a 22-character nick on `server` and checks 001 and the MOTD. */
async function registersRawClient(server: PeerServer): Promise<void> {
  const client = await connectClient({ port: server.port });
  try {
    const burst = await client.register("a_rather_long_nickname_22");
    const welcome = burst.find((m) => m.command === Numeric.RPL_WELCOME);
    assertEquals(welcome?.source, server.serverName);
    assertEquals(welcome?.params[0], "a_rather_long_nickname_22");
    const motd = burst.find((m) => m.command === Numeric.RPL_MOTD);
    assertIncludes(motd?.params[1] ?? "", "tertulia interop test server");
    await client.send("QUIT :bye");
    await client.waitFor("ERROR");
  } finally {
    await client.close();
  }
}

Deno.test({
  ...peerTestOptions("startNgircd runs a real ngIRCd that registers a client", {
    ngircd: peerAvailable("ngircd"),
  }),
  async fn() {
    const server = await startNgircd({ serverName: "peer.test" });
    try {
      assertEquals(server.serverName, "peer.test");
      await registersRawClient(server);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  ...peerTestOptions(
    "startInspircd runs a real InspIRCd that registers a client",
    {
      inspircd: peerAvailable("inspircd"),
    },
  ),
  async fn() {
    const server = await startInspircd();
    try {
      await registersRawClient(server);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  ...peerTestOptions(
    "startNgircd close() stops the daemon and frees its port",
    {
      ngircd: peerAvailable("ngircd"),
    },
  ),
  async fn() {
    const server = await startNgircd();
    await server.close();
    let refused = false;
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: server.port }))
        .close();
    } catch (error) {
      refused = error instanceof Deno.errors.ConnectionRefused;
    }
    assertOk(refused, "the port still accepts connections after close()");
  },
});

/** Starting on a port another process holds fails with the daemon's reason instead of reaching that process. */
async function refusesTakenPort(
  start: (port: number) => Promise<PeerServer>,
  reason: string,
): Promise<void> {
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = squatter.addr as Deno.NetAddr;
    const error = await assertRejects(start(port), Error);
    assertIncludes(error.message, `did not start on port ${port}: ${reason}`);
  } finally {
    squatter.close();
  }
}

Deno.test({
  ...peerTestOptions(
    "startNgircd on a taken port fails instead of talking to the squatter",
    {
      ngircd: peerAvailable("ngircd"),
    },
  ),
  fn: () => refusesTakenPort((port) => startNgircd({ port }), "it exited"),
});

Deno.test({
  ...peerTestOptions(
    "startInspircd on a taken port fails instead of talking to the squatter",
    {
      inspircd: peerAvailable("inspircd"),
    },
  ),
  fn: () =>
    refusesTakenPort(
      (port) => startInspircd({ port }),
      "it could not bind the port",
    ),
});
