import {
  withDeployedServer,
  withDeployedTlsServer,
} from "./helpers/interop.ts";
import type { TestServer } from "./helpers/server.ts";
import type { TestPki } from "./helpers/tls.ts";
import { Numeric } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  connectBot,
  type IrcEvent,
  nextEvent,
  quitBot,
} from "./helpers/irc_framework.ts";
import { startIrssi } from "./helpers/irssi.ts";
import {
  peerAvailable,
  peerTestOptions,
  startNgircd,
} from "./helpers/peer_servers.ts";

const CHANNEL = "#irssi";

/**
 * irssi, typed into through tmux, on the server at `port`: connects, joins,
 * sends a message the other side receives, shows one sent to it, and /quit
 * exits irssi. The other side is an irc-framework bot.
 */
async function irssiScenario(port: number): Promise<void> {
  const observer = await connectBot(port, "Observer");
  const observerJoined = nextEvent(
    observer,
    "join",
    (e) => e.nick === "Observer",
  );
  observer.join(CHANNEL);
  await observerJoined;

  const irssi = await startIrssi(port, "IrssiUser");
  try {
    await irssi.waitForScreen(/Welcome/);

    const joined = nextEvent(observer, "join", (e) => e.nick === "IrssiUser");
    await irssi.typeLine(`/join ${CHANNEL}`);
    assertEquals((await joined).channel, CHANNEL);
    // irssi lists the channel's members once NAMES is done.
    await irssi.waitForScreen(/Observer/);

    const said = nextEvent(observer, "privmsg", (e) => e.nick === "IrssiUser");
    await irssi.typeLine("hello from irssi ✓");
    const message = await said;
    assertEquals(message.target, CHANNEL);
    assertEquals(message.message, "hello from irssi ✓");

    // irssi splits a long line to fit its own prefix; nothing may be lost on the way.
    const long = Array.from({ length: 200 }, (_, i) => `w${i}é`).join(" ");
    const pieces: string[] = [];
    const collect = (e: IrcEvent) => {
      if (e.nick === "IrssiUser") pieces.push(String(e.message));
    };
    observer.on("privmsg", collect);
    const lastPiece = nextEvent(
      observer,
      "privmsg",
      (e) => String(e.message).endsWith("w199é"),
    );
    await irssi.typeLine(long);
    await lastPiece;
    observer.removeListener("privmsg", collect);
    assertOk(pieces.length > 1, `one line of ${long.length} characters`);
    // Compared word by word: ngIRCd trims the space irssi leaves at each cut.
    assertEquals(pieces.map((piece) => piece.trim()).join(" "), long);

    observer.say(CHANNEL, "welcome, irssi user");
    await irssi.waitForScreen(/Observer.*welcome, irssi user/);

    const quit = nextEvent(observer, "quit", (e) => e.nick === "IrssiUser");
    await irssi.typeLine("/quit irssi leaving");
    assertIncludes(String((await quit).message), "irssi leaving");
    assertEquals(await irssi.exited, 0);
  } finally {
    await irssi.close();
    await quitBot(observer, "done").catch(() => {});
  }
}

/**
 * irssi answers a 401 to /whois by trying WHOWAS; the server must answer that
 * (406 and 369) or irssi shows "WHOWAS Unknown command" instead of saying the
 * nick does not exist.
 */
async function whoisAbsentNickScenario(port: number): Promise<void> {
  const irssi = await startIrssi(port, "IrssiUser");
  try {
    await irssi.waitForScreen(/Welcome/);
    await irssi.typeLine("/whois ghost");
    const screen = await irssi.waitForScreen(
      /There (?:is|was) no such nick ghost|Unknown command/,
    );
    assertEquals(screen.includes("Unknown command"), false, screen);
  } finally {
    await irssi.close();
  }
}

/**
 * irssi over TLS: it verifies tertulia's certificate against the CA that
 * signed it and registers; trusting another CA it refuses to go on.
 */
async function tlsScenario(
  server: TestServer,
  pki: TestPki,
): Promise<void> {
  const tlsPort = server.server.addresses[1].port;
  const trusting = await startIrssi(tlsPort, "TlsUser", {
    tlsCaFile: pki.ca.certFile,
  });
  try {
    await trusting.waitForScreen(/Welcome to the tertulia/);
    const watcher = await server.client("watcher");
    await watcher.send("WHOIS TlsUser");
    assertEquals(
      (await watcher.waitFor(Numeric.RPL_WHOISSECURE)).params[1],
      "TlsUser",
    );
  } finally {
    await trusting.close();
  }
  const wary = await startIrssi(tlsPort, "WaryUser", {
    tlsCaFile: pki.otherCa.certFile,
  });
  try {
    const screen = await wary.waitForScreen(/Could not verify TLS|Welcome/);
    assertIncludes(screen, "Could not verify TLS servers certificate");
  } finally {
    await wary.close();
  }
}

const peers = { irssi: peerAvailable("irssi"), tmux: peerAvailable("tmux") };

Deno.test({
  ...peerTestOptions("irssi in tmux against tertulia", peers),
  async fn() {
    await withDeployedServer((server) => irssiScenario(server.port));
  },
});

Deno.test({
  ...peerTestOptions(
    "irssi in tmux against ngIRCd (reference for the scenario)",
    {
      ...peers,
      ngircd: peerAvailable("ngircd"),
    },
  ),
  async fn() {
    const server = await startNgircd();
    try {
      await irssiScenario(server.port);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  ...peerTestOptions(
    "irssi verifies tertulia's TLS certificate and registers over TLS",
    peers,
  ),
  async fn() {
    await withDeployedTlsServer(tlsScenario);
  },
});

Deno.test({
  ...peerTestOptions(
    "irssi /whois of an absent nick on tertulia says so",
    peers,
  ),
  async fn() {
    await withDeployedServer((server) => whoisAbsentNickScenario(server.port));
  },
});

Deno.test({
  ...peerTestOptions("irssi /whois of an absent nick on ngIRCd (reference)", {
    ...peers,
    ngircd: peerAvailable("ngircd"),
  }),
  async fn() {
    const server = await startNgircd();
    try {
      await whoisAbsentNickScenario(server.port);
    } finally {
      await server.close();
    }
  },
});
