/**
 * End-to-end scenarios for `client.ts` that only need a server port, so the
 * same checks run against tertulia's server and against real IRC servers
 * (ngIRCd). Each drives client subprocesses through {@link spawnClient} and
 * throws on the first thing that does not happen.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { type ClientProcess, spawnClient } from "./client_process.ts";
import { peerAvailable, peerTestOptions } from "./peer_servers.ts";

/** Flags that point a client at `port` as `nick`, never reconnecting (a test must not hang retrying). */
export function clientArgs(port: number, nick: string): string[] {
  return ["--port", String(port), "--nick", nick, "--no-reconnect"];
}

/** Starts a client as `nick` and waits until it shows the #general user list. */
export async function joinedClient(
  port: number,
  nick: string,
  usersLine: string,
): Promise<ClientProcess> {
  const client = spawnClient(clientArgs(port, nick));
  try {
    await client.waitForOutput(`Users online (#general): ${usersLine}\n`);
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

/**
 * Two people chat: each sees the other arrive in the user list, messages go
 * both ways (own ones shown once), private messages and /me are marked,
 * /nick is announced, a bad target is a plain red sentence, and /quit and
 * `chao` leave cleanly with exit code 0 while the other sees them go.
 */
export async function twoPeopleChat(port: number): Promise<void> {
  await using ana = await joinedClient(port, "ana", "@ana");
  await using bob = await joinedClient(port, "bob", "@ana, bob");
  await ana.waitForOutput("→ bob joined #general");
  await ana.waitForOutput("Users online (#general): @ana, bob\n");

  // Own lines may come back from the server (echo-message): wait for them.
  await ana.send("hola bob");
  await ana.waitForOutput(/\[\d\d:\d\d\] ana: hola bob/);
  await bob.waitForOutput(/\[\d\d:\d\d\] ana: hola bob/);
  await bob.send("hola ana, ¿qué tal?");
  await bob.waitForOutput(/\[\d\d:\d\d\] bob: hola ana/);
  await ana.waitForOutput(/\[\d\d:\d\d\] bob: hola ana, ¿qué tal\?/);

  await ana.send("/msg bob un secreto");
  await bob.waitForOutput(/\[\d\d:\d\d\] \(private\) ana: un secreto/);
  await ana.waitForOutput("(private to bob) ana: un secreto");
  assertEquals(ana.count("ana: hola bob"), 1, "own message shown once");
  assertEquals(bob.count("bob: hola ana"), 1, "own message shown once");

  await bob.send("/me saluda");
  await ana.waitForOutput(/\[\d\d:\d\d\] \* bob saluda/);

  await bob.send("/nick roberto");
  await bob.waitForOutput("You are now known as roberto");
  await ana.waitForOutput("bob is now known as roberto");
  await ana.waitForOutput("Users online (#general): @ana, roberto\n");

  await ana.send("/msg ghost hola");
  await ana.waitForOutput("No such nick: ghost");
  await ana.send("/frobnicate");
  await ana.waitForOutput("Unknown command /frobnicate. Type /help");

  await bob.send("/quit hasta luego");
  assertEquals(await bob.exited(), 0, "/quit exits 0");
  await ana.waitForOutput(/← roberto quit \(.*hasta luego.*\)/);
  await ana.waitForOutput("Users online (#general): @ana\n");

  await ana.send("chao");
  assertEquals(await ana.exited(), 0, "chao exits 0");
}

/**
 * Scripted use (`echo hello | client.ts --nick bot`): every piped line is
 * delivered before the client quits at end of input, and it exits 0.
 */
export async function pipedInput(port: number): Promise<void> {
  await using ana = await joinedClient(port, "ana", "@ana");
  await using bot = spawnClient(clientArgs(port, "bot"));
  await bot.send("hello from a script");
  await bot.send("/me beeps");
  await bot.send("/msg ana psst");
  await bot.endInput();
  await ana.waitForOutput("bot: hello from a script");
  await ana.waitForOutput("* bot beeps");
  await ana.waitForOutput("(private) bot: psst");
  await ana.waitForOutput("← bot quit");
  assertEquals(await bot.exited(), 0, "EOF exits 0");
  await bot.waitForOutput("bot: hello from a script");
}

/** Ctrl-C (SIGINT) outside a terminal sends QUIT and exits 0. */
export async function interruptQuits(port: number): Promise<void> {
  await using ana = await joinedClient(port, "ana", "@ana");
  await using bot = await joinedClient(port, "bot", "@ana, bot");
  await ana.waitForOutput("Users online (#general): @ana, bot\n");
  bot.signal("SIGINT");
  await ana.waitForOutput("← bot quit");
  assertEquals(await bot.exited(), 0, "SIGINT exits 0");
}

/**
 * Without a terminal, a taken nick gets a suffix and the user is told; a
 * line piped before registration is shown under the suffixed name, as
 * everyone else sees it.
 */
export async function takenNickGetsSuffix(port: number): Promise<void> {
  await using ana = await joinedClient(port, "ana", "@ana");
  await using other = spawnClient(clientArgs(port, "ana"));
  await other.send("hola");
  await other.waitForOutput("The name ana is taken; using ana_ instead.");
  await other.waitForOutput("as ana_.");
  await other.waitForOutput("Users online (#general): @ana, ana_\n");
  await ana.waitForOutput("→ ana_ joined #general");
  await ana.waitForOutput(/\] ana_: hola\n/);
  await other.waitForOutput(/\] ana_: hola\n/);
  assertEquals(other.count("] ana: hola"), 0, "own line under the old name");
}

/** Without --nick the client asks `Username:`, refuses an invalid answer, and uses the next one. */
export async function asksForUsername(port: number): Promise<void> {
  await using client = spawnClient(["--port", String(port), "--no-reconnect"]);
  await client.waitForOutput("Username:");
  await client.send("9 not valid");
  await client.waitForOutput(`"9 not valid" can't be used as a name.`);
  await client.waitForOutput("Username:");
  await client.send("carla");
  await client.waitForOutput("Users online (#general): @carla\n");
  await client.send("/quit");
  assertEquals(await client.exited(), 0);
}

/** The port-only scenarios, by the name their tests carry. */
export const CLIENT_SCENARIOS: readonly [
  string,
  (port: number) => Promise<void>,
][] = [
  ["two people chat, see each other come and go, and leave", twoPeopleChat],
  ["piped input is delivered, then the client quits at EOF", pipedInput],
  ["SIGINT quits cleanly", interruptQuits],
  ["a taken nick gets a suffix without a terminal", takenNickGetsSuffix],
  ["without --nick it asks Username:", asksForUsername],
];

/**
 * Registers one test per scenario against a third-party server, started fresh
 * for each by `start`; without the server's Debian package each test is
 * reported as skipped, naming the package.
 */
export function testClientScenariosOn(
  serverName: string,
  aptPackage: string,
  start: () => Promise<{ port: number; close(): Promise<void> }>,
): void {
  const peers = { [aptPackage]: peerAvailable(aptPackage) };
  for (const [name, scenario] of CLIENT_SCENARIOS) {
    Deno.test({
      ...peerTestOptions(`client on ${serverName}: ${name}`, peers),
      async fn() {
        const server = await start();
        try {
          await scenario(server.port);
        } finally {
          await server.close();
        }
      },
    });
  }
}
