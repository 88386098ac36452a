import { fileURLToPath } from "node:url";
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
  type IrcFrameworkBot,
  nextEvent,
  quitBot,
  syncBot,
} from "./helpers/irc_framework.ts";
import {
  peerAvailable,
  peerTestOptions,
  startNgircd,
} from "./helpers/peer_servers.ts";

const CHANNEL = "#interop";

/** Nicks in a `userlist` event, which irc-framework raises after NAMES ends. */
function userlistNicks(event: IrcEvent): string[] {
  return (event.users as { nick: string }[]).map((user) => user.nick).sort();
}

/**
 * Two irc-framework bots on the server at `port`: register, join, exchange a
 * channel and a private message, see NAMES, change nick, set the topic, quit.
 * Every step waits on the event the library raises.
 */
async function ircFrameworkScenario(port: number): Promise<void> {
  const bots: IrcFrameworkBot[] = [];
  try {
    const alice = await connectBot(port, "Alice");
    bots.push(alice);
    assertEquals(alice.user.nick, "Alice");
    assertOk(
      alice.network.supports("CHANTYPES"),
      "ISUPPORT CHANTYPES not understood",
    );

    const aliceJoined = nextEvent(alice, "join", (e) => e.nick === "Alice");
    const aliceNames = nextEvent(
      alice,
      "userlist",
      (e) => e.channel === CHANNEL,
    );
    alice.join(CHANNEL);
    assertEquals((await aliceJoined).channel, CHANNEL);
    assertEquals(userlistNicks(await aliceNames), ["Alice"]);

    const bob = await connectBot(port, "Bob");
    bots.push(bob);
    const bobNames = nextEvent(bob, "userlist", (e) => e.channel === CHANNEL);
    const aliceSeesBob = nextEvent(alice, "join", (e) => e.nick === "Bob");
    bob.join(CHANNEL);
    assertEquals(userlistNicks(await bobNames), ["Alice", "Bob"]);
    assertEquals((await aliceSeesBob).channel, CHANNEL);

    const channelMessage = nextEvent(
      bob,
      "privmsg",
      (e) => e.target === CHANNEL,
    );
    alice.say(CHANNEL, "hello from Alice: ünïcödé ✓");
    const relayed = await channelMessage;
    assertEquals(relayed.nick, "Alice");
    assertEquals(relayed.message, "hello from Alice: ünïcödé ✓");

    const privateMessage = nextEvent(
      alice,
      "privmsg",
      (e) => e.target === "Alice",
    );
    bob.say("Alice", "psst, Alice");
    const whispered = await privateMessage;
    assertEquals(whispered.nick, "Bob");
    assertEquals(whispered.message, "psst, Alice");

    const bobSeesRename = nextEvent(bob, "nick", (e) => e.nick === "Alice");
    const aliceSeesRename = nextEvent(alice, "nick", (e) => e.nick === "Alice");
    alice.changeNick("Alicia");
    assertEquals((await bobSeesRename).new_nick, "Alicia");
    await aliceSeesRename;
    assertEquals(alice.user.nick, "Alicia");

    const renamedNames = nextEvent(
      bob,
      "userlist",
      (e) => e.channel === CHANNEL,
    );
    bob.channel(CHANNEL).updateUsers();
    assertEquals(userlistNicks(await renamedNames), ["Alicia", "Bob"]);

    const bobSeesTopic = nextEvent(bob, "topic", (e) => e.channel === CHANNEL);
    alice.setTopic(CHANNEL, "interop: irc-framework was here");
    const topic = await bobSeesTopic;
    assertEquals(topic.nick, "Alicia");
    assertEquals(topic.topic, "interop: irc-framework was here");

    const aliceSeesQuit = nextEvent(alice, "quit", (e) => e.nick === "Bob");
    await quitBot(bob, "see you");
    bots.splice(bots.indexOf(bob), 1);
    // Servers decorate quit reasons (ngIRCd quotes them, others prefix "Quit: ").
    assertIncludes(String((await aliceSeesQuit).message), "see you");

    await quitBot(alice, "done");
    bots.splice(bots.indexOf(alice), 1);
  } finally {
    await Promise.all(
      bots.map((bot) => quitBot(bot, "test cleanup").catch(() => {})),
    );
  }
}

/**
 * A bot joining after others spoke gets the channel's history the IRCv3 way
 * (irc-framework negotiates `batch` and `server-time`): a `chathistory` batch
 * whose messages keep their original time.
 */
async function historyReplayScenario(port: number): Promise<void> {
  const bots: IrcFrameworkBot[] = [];
  try {
    const early = await connectBot(port, "Early");
    bots.push(early);
    const joined = nextEvent(early, "userlist", (e) => e.channel === CHANNEL);
    early.join(CHANNEL);
    await joined;
    const spokeAt = Date.now();
    early.say(CHANNEL, "said before you came");
    early.say(CHANNEL, "and once more");
    await syncBot(early);

    const late = await connectBot(port, "Late");
    bots.push(late);
    const replayed: IrcEvent[] = [];
    late.on("privmsg", (event) => replayed.push(event));
    const batchEnd = nextEvent(late, "batch end chathistory");
    late.join(CHANNEL);
    await batchEnd;
    assertEquals(replayed.map((e) => [e.nick, e.message]), [
      ["Early", "said before you came"],
      ["Early", "and once more"],
    ]);
    for (const event of replayed) {
      assertEquals((event.batch as { type: string }).type, "chathistory");
      const time = event.time as number;
      assertOk(
        time >= spokeAt - 1000 && time <= Date.now(),
        `replayed time ${time}`,
      );
    }
  } finally {
    await Promise.all(
      bots.map((bot) => quitBot(bot, "test cleanup").catch(() => {})),
    );
  }
}

const TLS_PEER = fileURLToPath(
  new URL("./peers/irc_framework_tls_peer.ts", import.meta.url),
);
const DENO_CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));

/** Starts the TLS peer as `nick`, trusting only `caFile`, to greet `partner`. */
function spawnTlsPeer(
  port: number,
  caFile: string,
  nick: string,
  partner: string,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      DENO_CONFIG,
      "--cert",
      caFile,
      TLS_PEER,
      String(port),
      nick,
      partner,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The JSON events a finished TLS peer reported. */
async function tlsPeerResult(
  child: Deno.ChildProcess,
): Promise<{ code: number; events: Record<string, string>[]; stderr: string }> {
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder().decode(stdout);
  return {
    code,
    events: text.split("\n").filter((line) => line !== "").map((line) =>
      JSON.parse(line)
    ),
    stderr: new TextDecoder().decode(stderr),
  };
}

/**
 * irc-framework over TLS (Node's `tls` module under Deno) verifies tertulia's
 * certificate, by its IP address, against the CA that signed it, and talks;
 * trusting another CA it refuses the connection.
 */
async function tlsScenario(server: TestServer, pki: TestPki): Promise<void> {
  const tlsPort = server.server.addresses[1].port;
  const watcher = await server.client("watcher");
  const trusting = spawnTlsPeer(tlsPort, pki.ca.certFile, "TlsBot", "watcher");
  const greeting = await watcher.waitFor("PRIVMSG", { timeout: 15_000 });
  assertEquals(greeting.params, ["watcher", "hello over TLS"]);
  assertOk(greeting.source?.startsWith("TlsBot!"), greeting.source);
  await watcher.send("WHOIS TlsBot");
  assertEquals(
    (await watcher.waitFor(Numeric.RPL_WHOISSECURE)).params[1],
    "TlsBot",
  );
  await watcher.send("PRIVMSG TlsBot :hello back");
  const secure = await tlsPeerResult(trusting);
  assertEquals(secure.code, 0, secure.stderr);
  assertEquals(secure.events, [
    { event: "registered" },
    { event: "privmsg", nick: "watcher", message: "hello back" },
  ]);

  const wary = await tlsPeerResult(
    spawnTlsPeer(tlsPort, pki.otherCa.certFile, "WaryBot", "watcher"),
  );
  assertEquals(wary.code, 1, wary.stderr);
  assertEquals(wary.events.length, 1, JSON.stringify(wary.events));
  assertEquals(wary.events[0].event, "error");
  assertIncludes(wary.events[0].message, "verify");
}

Deno.test("irc-framework verifies tertulia's TLS certificate and talks over TLS", async () => {
  await withDeployedTlsServer(tlsScenario);
});

Deno.test("irc-framework gets channel history on join from tertulia as a chathistory batch", async () => {
  await withDeployedServer((server) => historyReplayScenario(server.port));
});

Deno.test("irc-framework bots against tertulia", async () => {
  await withDeployedServer((server) => ircFrameworkScenario(server.port));
});

Deno.test({
  ...peerTestOptions(
    "irc-framework bots against ngIRCd (reference for the scenario)",
    {
      ngircd: peerAvailable("ngircd"),
    },
  ),
  async fn() {
    const server = await startNgircd();
    try {
      await ircFrameworkScenario(server.port);
    } finally {
      await server.close();
    }
  },
});
