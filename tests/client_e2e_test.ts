/**
 * client.ts as a subprocess with piped stdio against the in-process server.
 */

import { commandFor } from "../settings/launcher.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import {
  asksForUsername,
  clientArgs,
  interruptQuits,
  joinedClient,
  pipedInput,
  takenNickGetsSuffix,
  twoPeopleChat,
} from "./helpers/client_scenarios.ts";
import { freePort } from "./helpers/peer_servers.ts";
import { startTestServer, withServer } from "./helpers/server.ts";
import { createTestPki, serverTlsOptions } from "./helpers/tls.ts";

Deno.test("client e2e: two people chat, see each other come and go, and leave", async () => {
  await withServer({}, (server) => twoPeopleChat(server.port));
});

Deno.test("client e2e: piped input is delivered, then the client quits at EOF", async () => {
  await withServer({}, (server) => pipedInput(server.port));
});

Deno.test("client e2e: SIGINT quits cleanly", async () => {
  await withServer({}, (server) => interruptQuits(server.port));
});

Deno.test("client e2e: a taken nick gets a suffix without a terminal", async () => {
  await withServer({}, (server) => takenNickGetsSuffix(server.port));
});

Deno.test("client e2e: without --nick it asks Username: and validates the answer", async () => {
  await withServer({}, (server) => asksForUsername(server.port));
});

Deno.test("client e2e: /join, /part, /topic, /names, /whois, /away and /raw reach the server", async () => {
  await withServer({}, async (server) => {
    await using ana = await joinedClient(server.port, "ana", "@ana");
    await ana.send("/join #rust");
    await ana.waitForOutput("Users online (#rust): @ana\n");
    const watcher = await server.client("watcher");
    await watcher.send("JOIN #rust");
    await watcher.waitFor("366");
    await ana.waitForOutput("Users online (#rust): @ana, watcher\n");
    await ana.send("en rust");
    const inRust = await watcher.waitFor("PRIVMSG");
    assertEquals(inRust.params, ["#rust", "en rust"]);

    await ana.send("/topic Ownership y borrowing");
    await watcher.waitFor("TOPIC");
    await ana.waitForOutput(
      "ana set the topic of #rust to: Ownership y borrowing",
    );
    await ana.send("/topic");
    await ana.waitForOutput("Topic for #rust: Ownership y borrowing");
    await ana.send("/names");
    await ana.waitForOutput("Users online (#rust): @ana, watcher\n");
    await ana.send("/whois watcher");
    await ana.waitForOutput("watcher is on #rust");
    await ana.send("/away comiendo");
    await ana.waitForOutput("You are now marked as away.");
    await ana.send("/list");
    await ana.waitForOutput(/#general \(1 user\)/);
    await ana.send("/raw PRIVMSG watcher :raw hello");
    const raw = await watcher.waitFor("PRIVMSG");
    assertEquals(raw.params, ["watcher", "raw hello"]);

    await ana.send("/part me voy");
    const part = await watcher.waitFor("PART");
    assertEquals(part.params, ["#rust", "me voy"]);
    await ana.waitForOutput("← You left #rust (me voy)");
    await ana.send("de vuelta en general");
    await ana.waitForOutput("ana: de vuelta en general");

    await ana.send("/query watcher");
    await ana.send("solo para ti");
    const query = await watcher.waitFor("PRIVMSG");
    assertEquals(query.params, ["watcher", "solo para ti"]);
    await ana.send("/help");
    await ana.waitForOutput("/whois nick");
    await ana.endInput();
    assertEquals(await ana.exited(), 0);
  });
});

Deno.test("client e2e: a lost connection is announced and the client reconnects and rejoins", async () => {
  const first = await startTestServer();
  const port = first.port;
  await using ana = spawnClient(["--port", String(port), "--nick", "ana"]);
  try {
    await ana.waitForOutput("Users online (#general): @ana\n");
    await ana.send("/join #rust");
    await ana.waitForOutput("Users online (#rust): @ana\n");
  } finally {
    await first.close();
  }
  await ana.waitForOutput(
    /Lost the connection to 127\.0\.0\.1:\d+\. Reconnecting/,
  );
  await ana.send("typed while down");
  await withServer({ port }, async (second) => {
    await ana.waitForOutput(`Reconnected to 127.0.0.1:${port} as ana.`);
    await ana.waitForOutput("Users online (#general): @ana\n");
    await ana.waitForOutput("Users online (#rust): @ana\n");
    // Held while disconnected, sent (and shown) once the channels are rejoined.
    await ana.waitForOutput(/\[\d\d:\d\d\] ana: typed while down\n/);
    const watcher = await second.client("watcher");
    await watcher.send("JOIN #rust");
    await ana.waitForOutput("Users online (#rust): @ana, watcher\n");
    await ana.send("back in rust");
    const message = await watcher.waitFor("PRIVMSG");
    assertEquals(message.params, ["#rust", "back in rust"]);
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  });
});

Deno.test("client e2e: --no-reconnect exits 1 when the connection drops", async () => {
  const server = await startTestServer();
  await using ana = spawnClient(clientArgs(server.port, "ana"));
  try {
    await ana.waitForOutput("Users online (#general): @ana\n");
  } finally {
    await server.close();
  }
  assertEquals(await ana.exited(), 1);
  assertIncludes(ana.stderr, "Lost the connection");
});

Deno.test("client e2e: a refused connection says how to start the server and exits 1", async () => {
  const port = freePort();
  await using client = spawnClient(["--port", String(port), "--nick", "ana"]);
  assertEquals(await client.exited(), 1);
  assertIncludes(
    client.stderr,
    `Could not connect to 127.0.0.1:${port}: connection refused.`,
  );
  assertIncludes(
    client.stderr,
    `Is the server running? Start it with \`${commandFor("server")}\``,
  );
  await using asking = spawnClient(["--port", String(port)]);
  assertEquals(await asking.exited(), 1);
  assertIncludes(asking.stderr, "Is the server running?");
  assertOk(
    !asking.output.includes("Username:"),
    "fails before asking for a name",
  );
});

Deno.test("client e2e: a bad flag prints the usage and exits 2; --help exits 0", async () => {
  await using bad = spawnClient(["--colour"]);
  assertEquals(await bad.exited(), 2);
  assertIncludes(bad.stderr, "--colour");
  assertIncludes(bad.stderr, `Usage: ${commandFor("client")} [options]`);
  await using help = spawnClient(["--help"]);
  assertEquals(await help.exited(), 0);
  assertIncludes(help.stdout, "--no-reconnect");
});

Deno.test("client e2e: --password is sent, and a wrong one is a clear error", async () => {
  await withServer({ password: "sesamo" }, async (server) => {
    await using ana = spawnClient([
      ...clientArgs(server.port, "ana"),
      "--password",
      "sesamo",
    ]);
    await ana.waitForOutput("Users online (#general): @ana\n");
    await using bob = spawnClient([
      ...clientArgs(server.port, "bob"),
      "--password",
      "nope",
    ]);
    assertEquals(await bob.exited(), 1);
    assertIncludes(bob.output, "Wrong server password (use --password).");
  });
});

Deno.test("client e2e: output is plain without a terminal, even without NO_COLOR", async () => {
  await withServer({}, async (server) => {
    await using ana = spawnClient(clientArgs(server.port, "ana"), {
      env: { NO_COLOR: "" },
    });
    await ana.waitForOutput("Users online (#general): @ana\n");
    await ana.send("/msg ghost x");
    await ana.waitForOutput("No such nick: ghost");
    assertOk(
      !ana.output.includes("\x1b"),
      "no escape sequences in piped output",
    );
  });
});

Deno.test("client e2e: --tls with --ca connects; an untrusted or missing CA is explained", async () => {
  const pki = await createTestPki();
  try {
    await withServer({
      tls: serverTlsOptions(pki),
    }, async (server) => {
      const tlsPort = server.server.addresses[1].port;
      await using ana = spawnClient([
        ...clientArgs(tlsPort, "ana"),
        "--ca",
        pki.ca.certFile,
      ]);
      await ana.waitForOutput("Users online (#general): @ana\n");
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);

      await using untrusted = spawnClient([
        ...clientArgs(tlsPort, "bob"),
        "--tls",
      ]);
      assertEquals(await untrusted.exited(), 1);
      assertIncludes(
        untrusted.stderr,
        `TLS connection to 127.0.0.1:${tlsPort} failed`,
      );
      assertIncludes(untrusted.stderr, "--ca");

      const missing = `${pki.dir}/missing-ca.crt`;
      await using noFile = spawnClient([
        ...clientArgs(tlsPort, "bob"),
        "--ca",
        missing,
      ]);
      assertEquals(await noFile.exited(), 1);
      assertIncludes(
        noFile.stderr,
        `Cannot read CA file ${missing}: no such file.`,
      );
    });
  } finally {
    await Deno.remove(pki.dir, { recursive: true });
  }
});

Deno.test("client e2e: output piped into a reader that goes away (| head -1) does not stop the client", async () => {
  await withServer({}, async (server) => {
    const watcher = await server.client("watcher");
    await watcher.send("JOIN #general");
    await watcher.waitFor("366");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../client.ts", import.meta.url).pathname,
        ...clientArgs(server.port, "piper"),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // the first line, then the reader leaves
    await reader.cancel();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("still delivered\n"));
    await writer.close();
    const said = await watcher.waitFor("PRIVMSG");
    assertEquals(said.params, ["#general", "still delivered"]);
    const { code } = await child.status;
    await child.stderr.cancel();
    assertEquals(code, 0);
  });
});

Deno.test("client e2e: away users are marked, /notify reports online/offline, /setname changes the real name", async () => {
  await withServer({}, async (server) => {
    await using ana = await joinedClient(server.port, "ana", "@ana");
    const bob = await server.client("bob");
    await bob.send("JOIN #general");
    await bob.waitFor("366");
    await ana.waitForOutput("Users online (#general): @ana, bob\n");
    await bob.send("AWAY :lunch");
    await ana.waitForOutput("bob is away: lunch\n");
    await ana.waitForOutput("Users online (#general): @ana, bob (away)\n");
    await bob.send("AWAY");
    await ana.waitForOutput("bob is back\n");
    await ana.waitForOutput("Users online (#general): @ana, bob\n");

    await ana.send("/notify carla");
    await ana.waitForOutput("carla is offline\n");
    const carla = await server.client("carla");
    await ana.waitForOutput("carla is online\n");
    await carla.send("QUIT :bye");
    await ana.waitForOutput("carla is offline\n");
    await ana.send("/unnotify carla");
    await ana.send("/setname Ana María");
    await ana.waitForOutput("Your real name is now Ana María.\n");
    await bob.send("WHOIS ana");
    const whois = await bob.waitFor("311");
    assertEquals(whois.params.at(-1), "Ana María");
    await ana.endInput();
    assertEquals(await ana.exited(), 0);
  });
});
