import {
  withDeployedServer,
  withDeployedTlsServer,
} from "./helpers/interop.ts";
import type { TestServer } from "./helpers/server.ts";
import type { TestPki } from "./helpers/tls.ts";
import { Numeric } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  peerAvailable,
  peerTestOptions,
  startNgircd,
} from "./helpers/peer_servers.ts";
import {
  pythonIrcAvailable,
  type PythonIrcEvent,
  type PythonIrcPeer,
  startPythonIrcPeer,
} from "./helpers/python_irc_peer.ts";

const CHANNEL = "#python";

/** Nicks in a `namreply` event, membership prefixes such as `@` removed. */
function namesIn(event: PythonIrcEvent): string[] {
  const names = event.arguments?.at(-1) ?? "";
  return names.split(" ").filter((n) => n !== "").map((n) =>
    n.replace(/^[~&@%+]+/, "")
  )
    .sort();
}

/** Starts a peer and waits until its library has registered and read ISUPPORT. */
async function registeredPeer(
  port: number,
  nick: string,
): Promise<PythonIrcPeer> {
  const peer = startPythonIrcPeer(port, nick);
  const welcome = await peer.next((e) => e.type === "welcome");
  assertEquals(welcome.target, nick);
  const features = await peer.next((e) => e.type === "features");
  assertIncludes(String(features.chantypes), "#");
  return peer;
}

/** Quits `peer` and checks the script saw the server close the connection and exited cleanly. */
async function quitPeer(peer: PythonIrcPeer, reason: string): Promise<void> {
  await peer.send("quit", reason);
  await peer.next((e) => e.type === "disconnect");
  const code = await peer.exited;
  const stderr = await peer.close();
  assertEquals(code, 0, `python peer exited with ${code}:\n${stderr}`);
}

/**
 * Two peers on Python's `irc` library: register, join, see NAMES, exchange a
 * channel and a private message, quit. Asserts on the events the library raises.
 */
async function pythonIrcScenario(port: number): Promise<void> {
  const peers: PythonIrcPeer[] = [];
  try {
    const alice = await registeredPeer(port, "PyAlice");
    peers.push(alice);
    await alice.send("join", CHANNEL);
    const joined = await alice.next((e) =>
      e.type === "join" && e.source === "PyAlice"
    );
    assertEquals(joined.target, CHANNEL);
    const aliceNames = await alice.next((e) => e.type === "namreply");
    assertEquals(aliceNames.arguments?.[1], CHANNEL);
    assertEquals(namesIn(aliceNames), ["PyAlice"]);
    await alice.next((e) => e.type === "endofnames");

    const bob = await registeredPeer(port, "PyBob");
    peers.push(bob);
    await bob.send("join", CHANNEL);
    const bobNames = await bob.next((e) => e.type === "namreply");
    assertEquals(namesIn(bobNames), ["PyAlice", "PyBob"]);
    const aliceSeesBob = await alice.next((e) =>
      e.type === "join" && e.source === "PyBob"
    );
    assertEquals(aliceSeesBob.target, CHANNEL);

    await alice.send("privmsg", CHANNEL, "hello from python: ünïcödé ✓");
    const relayed = await bob.next((e) => e.type === "pubmsg");
    assertEquals(relayed.source, "PyAlice");
    assertEquals(relayed.target, CHANNEL);
    assertEquals(relayed.arguments, ["hello from python: ünïcödé ✓"]);

    await bob.send("privmsg", "PyAlice", "psst");
    const whispered = await alice.next((e) => e.type === "privmsg");
    assertEquals(whispered.source, "PyBob");
    assertEquals(whispered.target, "PyAlice");
    assertEquals(whispered.arguments, ["psst"]);

    await quitPeer(bob, "python says bye");
    peers.splice(peers.indexOf(bob), 1);
    const quit = await alice.next((e) =>
      e.type === "quit" && e.source === "PyBob"
    );
    assertOk(
      quit.arguments?.[0]?.includes("python says bye"),
      JSON.stringify(quit),
    );

    await quitPeer(alice, "done");
    peers.splice(peers.indexOf(alice), 1);
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
}

/**
 * Python's `irc` library negotiates no capabilities, so history comes as
 * plain lines between two server notices, each text starting with its UTC
 * time; the 2013-era parser must take all of it.
 */
async function historyReplayScenario(port: number): Promise<void> {
  const peers: PythonIrcPeer[] = [];
  try {
    const early = await registeredPeer(port, "PyEarly");
    peers.push(early);
    await early.send("join", CHANNEL);
    await early.next((e) => e.type === "endofnames");
    await early.send("privmsg", CHANNEL, "said before you came");
    await early.sync();

    const late = await registeredPeer(port, "PyLate");
    peers.push(late);
    await late.send("join", CHANNEL);
    const start = await late.next((e) => e.type === "pubnotice");
    assertIncludes(
      start.arguments?.[0] ?? "",
      `Replaying the last 1 message of ${CHANNEL}`,
    );
    const replayed = await late.next((e) => e.type === "pubmsg");
    assertEquals(replayed.source, "PyEarly");
    assertOk(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] said before you came$/.test(
        replayed.arguments?.[0] ?? "",
      ),
      JSON.stringify(replayed),
    );
    const end = await late.next((e) => e.type === "pubnotice");
    assertIncludes(end.arguments?.[0] ?? "", `End of history of ${CHANNEL}`);
    await quitPeer(late, "bye");
    peers.splice(peers.indexOf(late), 1);
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
}

/**
 * The server PINGs an idle client and drops it if no answer comes in time.
 * The library's automatic PONG must satisfy it: a second PING only comes
 * after the first was answered, and the connection still works after.
 */
async function keepaliveScenario(port: number): Promise<void> {
  const peer = await registeredPeer(port, "PyIdle");
  try {
    await peer.next((e) => e.type === "ping");
    await peer.next((e) => e.type === "ping");
    await peer.sync();
    await quitPeer(peer, "still here");
  } finally {
    await peer.close();
  }
}

/**
 * The library decodes strictly as UTF-8 and dies on anything else, so a
 * Latin-1 byte from another client must reach it as U+FFFD, not as is.
 */
async function invalidUtf8Scenario(server: TestServer): Promise<void> {
  const peer = await registeredPeer(server.port, "PyStrict");
  try {
    await peer.send("join", CHANNEL);
    await peer.next((e) => e.type === "endofnames");
    const latin1 = await server.client("latin1");
    await latin1.send(`JOIN ${CHANNEL}`);
    await peer.next((e) => e.type === "join" && e.source === "latin1");
    await latin1.sendRaw(
      new Uint8Array([
        ...new TextEncoder().encode(`PRIVMSG ${CHANNEL} :caf`),
        0xe9,
        0x0d,
        0x0a,
      ]),
    );
    const message = await peer.next((e) => e.type === "pubmsg");
    assertEquals(message.arguments, ["caf\ufffd"]);
    await peer.sync();
    await quitPeer(peer, "survived");
  } finally {
    await peer.close();
  }
}

/**
 * Python's `ssl` module verifies tertulia's certificate (by its IP address
 * SAN) against the CA that signed it; the peer then chats like any other.
 * Trusting another CA, it never gets to register.
 */
async function tlsScenario(server: TestServer, pki: TestPki): Promise<void> {
  const tlsPort = server.server.addresses[1].port;
  const secure = startPythonIrcPeer(tlsPort, "PyTls", {
    tlsCaFile: pki.ca.certFile,
  });
  try {
    await secure.next((e) => e.type === "welcome");
    const watcher = await server.client("watcher");
    await watcher.send("WHOIS PyTls");
    assertEquals(
      (await watcher.waitFor(Numeric.RPL_WHOISSECURE)).params[1],
      "PyTls",
    );
    await secure.send("privmsg", "watcher", "sent over TLS");
    assertEquals((await watcher.waitFor("PRIVMSG")).params, [
      "watcher",
      "sent over TLS",
    ]);
    await quitPeer(secure, "bye");
  } finally {
    await secure.close();
  }
  const wary = startPythonIrcPeer(tlsPort, "PyWary", {
    tlsCaFile: pki.otherCa.certFile,
  });
  try {
    const failure = await wary.next((e) => e.type === "peer-error");
    assertIncludes(failure.arguments?.[0] ?? "", "CERTIFICATE_VERIFY_FAILED");
    assertEquals(await wary.exited, 1);
  } finally {
    await wary.close();
  }
}

const pythonIrc = pythonIrcAvailable();

Deno.test({
  ...peerTestOptions(
    "python irc verifies tertulia's TLS certificate and chats over TLS",
    {
      "python3-irc": pythonIrc,
    },
  ),
  async fn() {
    await withDeployedTlsServer(tlsScenario);
  },
});

Deno.test({
  ...peerTestOptions(
    "python irc answers tertulia's keepalive PINGs and stays connected",
    {
      "python3-irc": pythonIrc,
    },
  ),
  async fn() {
    await withDeployedServer((server) => keepaliveScenario(server.port), {
      pingInterval: 0.2,
      pingTimeout: 1,
    });
  },
});

Deno.test({
  ...peerTestOptions(
    "python irc (strict UTF-8) is sent U+FFFD for another client's Latin-1 byte",
    {
      "python3-irc": pythonIrc,
    },
  ),
  async fn() {
    await withDeployedServer(invalidUtf8Scenario);
  },
});

Deno.test({
  ...peerTestOptions(
    "python irc gets channel history on join from tertulia as plain lines",
    {
      "python3-irc": pythonIrc,
    },
  ),
  async fn() {
    await withDeployedServer((server) => historyReplayScenario(server.port));
  },
});

Deno.test({
  ...peerTestOptions("python irc peers against tertulia", {
    "python3-irc": pythonIrc,
  }),
  async fn() {
    await withDeployedServer((server) => pythonIrcScenario(server.port));
  },
});

Deno.test({
  ...peerTestOptions(
    "python irc peers against ngIRCd (reference for the scenario)",
    {
      "python3-irc": pythonIrc,
      ngircd: peerAvailable("ngircd"),
    },
  ),
  async fn() {
    const server = await startNgircd();
    try {
      await pythonIrcScenario(server.port);
    } finally {
      await server.close();
    }
  },
});
