/**
 * Operators and registered channels through real sockets: OPER (381 and
 * +o, 464 when wrong, slowed when guessed), KILL, WALLOPS, REHASH, KLINE
 * bans that survive a restart, oper override of channel-operator checks,
 * `server.ts hash-password`, and ChanServ channels that keep their modes,
 * topic and operators across emptiness and restarts.
 */

import { join } from "node:path";
import { hashPassword } from "../accounts/passwords.ts";
import type { OperEntry } from "../server/options.ts";
import { assertEquals, assertMatch, assertOk } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { SERVER_PATH } from "./helpers/server_process.ts";

const OPER_PASSWORD = "operpassword";
const opers: OperEntry[] = [{
  name: "operuser",
  hash: await hashPassword(OPER_PASSWORD),
}];

async function withDb(body: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_opers_" });
  try {
    await body(join(dir, "chat.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function operClient(server: TestServer, nick: string) {
  const client = await server.client(nick);
  await client.send(`OPER operuser ${OPER_PASSWORD}`);
  await client.waitFor("381", { timeout: 30_000 });
  const mode = await client.waitFor("MODE");
  assertEquals(mode.params, [nick, "+o"]);
  return client;
}

Deno.test("OPER: 381 and MODE +o with the right password, 464 without; 491 with no opers", async () => {
  {
    await using server = await startTestServer({ opers });
    await operClient(server, "boss");
    const other = await server.client("other");
    await other.send("OPER operuser wrongpassword");
    assertEquals(
      (await other.waitFor("464", { timeout: 30_000 })).params[0],
      "other",
    );
    await other.send("OPER nobody wrongpassword");
    await other.waitFor("464", { timeout: 30_000 });
    assertOk(
      server.logs.some((line) => line.includes("failed OPER for operuser")),
    );
    assertOk(!server.logs.some((line) => line.includes("wrongpassword")));
    await other.send("WHOIS boss");
    await other.waitFor("313");
  }
  await using bare = await startTestServer();
  const client = await bare.client("someone");
  await client.send(`OPER operuser ${OPER_PASSWORD}`);
  await client.waitFor("491");
});

Deno.test("OPER tied to an account works only for that account", async () => {
  await using server = await startTestServer({
    opers: [{ ...opers[0], account: "boss" }],
  });
  const stranger = await server.client("stranger");
  await stranger.send(`OPER operuser ${OPER_PASSWORD}`);
  await stranger.waitFor("464", { timeout: 30_000 });
  const boss = await server.client("boss", ["draft/account-registration"]);
  await boss.send("REGISTER * * :boss-password");
  await boss.waitFor("900", { timeout: 30_000 });
  await boss.send(`OPER operuser ${OPER_PASSWORD}`);
  await boss.waitFor("381", { timeout: 30_000 });
});

Deno.test("KILL: the victim gets ERROR, its channels see the QUIT with the reason; others get 481", async () => {
  await using server = await startTestServer({ opers });
  const boss = await operClient(server, "boss");
  const victim = await server.client("victim");
  const witness = await server.client("witness");
  for (const client of [victim, witness]) {
    await client.send("JOIN #sala");
    await client.waitFor("366");
  }
  await witness.send("KILL victim :spam");
  await witness.waitFor("481");
  await boss.send("KILL victim :spam");
  const error = await victim.waitFor("ERROR");
  assertMatch(error.params[0], /Killed \(boss \(spam\)\)/);
  const quit = await witness.waitFor("QUIT");
  assertEquals(quit.source?.split("!")[0], "victim");
  assertEquals(quit.params[0], "Killed (boss (spam))");
  await victim.closed;
  assertOk(server.logs.some((line) => line.includes("kill victim by boss")));
});

Deno.test("WALLOPS reaches +w users only; REHASH answers 382 and calls reload", async () => {
  await using server = await startTestServer({ opers });
  let reloads = 0;
  server.server.context.reload = () => {
    reloads++;
    return Promise.resolve({ ok: true, changed: [], restartNeeded: [] });
  };
  const boss = await operClient(server, "boss");
  const reader = await server.client("reader");
  const deaf = await server.client("deaf");
  await reader.send("MODE reader +w");
  assertEquals((await reader.waitFor("MODE")).params, ["reader", "+w"]);
  await deaf.send("WALLOPS :not allowed");
  await deaf.waitFor("481");
  await boss.send("WALLOPS :hi everyone");
  const wallops = await reader.waitFor("WALLOPS");
  assertEquals([wallops.source?.split("!")[0], wallops.params[0]], [
    "boss",
    "hi everyone",
  ]);
  await deaf.sync();
  assertOk(!deaf.pending().some((m) => m.command === "WALLOPS"));
  await deaf.send("REHASH");
  await deaf.waitFor("481");
  await boss.send("REHASH");
  await boss.waitFor("382");
  assertEquals(reloads, 1);
});

Deno.test("an IRC operator may moderate a channel without being its operator", async () => {
  await using server = await startTestServer({ opers });
  const owner = await server.client("owner");
  await owner.send("JOIN #sala");
  await owner.waitFor("366");
  const boss = await operClient(server, "boss");
  await boss.send("JOIN #sala");
  await boss.waitFor("366");
  await boss.send("MODE #sala +m");
  assertEquals((await owner.waitFor("MODE")).params, ["#sala", "+m"]);
  await boss.send("TOPIC #sala :moderated now");
  await owner.waitFor("TOPIC");
  await boss.send("KICK #sala owner :bye");
  assertEquals((await owner.waitFor("KICK")).params[1], "owner");
});

Deno.test("KLINE bans a mask at once and after a restart; UNKLINE lifts it", async () => {
  await withDb(async (db) => {
    {
      await using server = await startTestServer({ db, opers });
      const boss = await operClient(server, "boss");
      const spammer = await server.client("spammer", undefined);
      await boss.send("KLINE spammer!*@* :go away");
      assertMatch(
        (await boss.waitFor("NOTICE")).params[1],
        /Banned spammer!\*@\*/,
      );
      assertMatch((await spammer.waitFor("ERROR")).params[0], /go away/);
    }
    await using server = await startTestServer({ db, opers });
    const again = await server.connect();
    await again.send("NICK spammer");
    await again.send("USER spammer 0 * :spammer");
    assertEquals((await again.waitFor("465")).params[0], "spammer");
    await again.closed;
    const boss = await operClient(server, "boss");
    await boss.send("UNKLINE spammer!*@*");
    await boss.waitFor("NOTICE");
    await server.client("spammer");
  });
});

Deno.test("hash-password reads stdin and prints one argon2id line; refuses arguments", async () => {
  const run = async (args: string[], input: string) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SERVER_PATH, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code, stdout: decode(stdout), stderr: decode(stderr) };
  };
  const good = await run(["hash-password"], "operpassword\n");
  assertEquals(good.code, 0, good.stderr);
  const lines = good.stdout.trim().split("\n");
  assertEquals(lines.length, 1);
  assertMatch(lines[0], /^\$argon2id\$v=19\$/);
  assertOk(!good.stdout.includes("operpassword"));
  // The hash works for OPER.
  await using server = await startTestServer({
    opers: [{ name: "operuser", hash: lines[0] }],
  });
  await operClient(server, "boss");
  assertEquals((await run(["hash-password", "secret"], "")).code, 2);
  assertEquals((await run(["hash-password"], "abc\n")).code, 2);
});

/** Logs `client` in: registers `nick` as an account. */
async function account(client: IrcClient): Promise<void> {
  await client.send("REGISTER * * :founder-password");
  await client.waitFor("900", { timeout: 30_000 });
}

Deno.test("a ChanServ-registered channel keeps founder, modes, topic, bans and ops across emptiness and restarts", async () => {
  await withDb(async (db) => {
    {
      await using server = await startTestServer({ db });
      const founder = await server.client("founder", [
        "draft/account-registration",
      ]);
      await account(founder);
      const helper = await server.client("helper", [
        "draft/account-registration",
      ]);
      await account(helper);
      await founder.send("JOIN #club");
      await founder.waitFor("366");
      await founder.send("PRIVMSG ChanServ :REGISTER #club");
      assertMatch(
        (await founder.waitFor("NOTICE")).params[1],
        /#club is now registered to founder/,
      );
      await helper.send("JOIN #club");
      await helper.waitFor("366");
      await founder.send("MODE #club +sk-t sesame");
      await founder.send("MODE #club +b troll!*@*");
      await founder.send("MODE #club +o helper");
      await founder.send("TOPIC #club :members only");
      await founder.send("PRIVMSG #club :kept for members");
      await founder.sync();
      await helper.waitFor("TOPIC");
      await founder.send("PART #club");
      await helper.send("PART #club");
      await helper.waitFor("PART");
    }
    await using server = await startTestServer({ db });
    // Still there, empty, guarded by its key.
    const stranger = await server.client("stranger");
    await stranger.send("JOIN #club");
    await stranger.waitFor("475");
    const founder = await server.connect();
    await founder.send("NICK founder");
    await founder.send("USER founder 0 * :founder");
    await founder.waitFor("433");
    await founder.send("NICK founder_");
    await founder.waitFor("001");
    await founder.send("NS IDENTIFY founder founder-password");
    await founder.waitFor("900", { timeout: 30_000 });
    await founder.send("JOIN #club sesame");
    const op = await founder.waitFor((m) =>
      m.command === "MODE" && m.params[0] === "#club"
    );
    assertEquals(op.params, ["#club", "+o", "founder_"]);
    assertEquals((await founder.waitFor("332")).params[2], "members only");
    // Its history stays its members': the channel never ended.
    assertMatch(
      (await founder.waitFor("PRIVMSG")).params[1],
      /kept for members$/,
    );
    await founder.send("MODE #club");
    assertEquals((await founder.waitFor("324")).params.slice(2), [
      "+nsk",
      "sesame",
    ]);
    await founder.send("MODE #club b");
    assertEquals((await founder.waitFor("367")).params[2], "troll!*@*");
    const helper = await server.connect();
    await helper.send("NICK helper");
    await helper.send("CAP LS 302");
    await helper.send("CAP REQ sasl");
    await helper.send("USER helper 0 * :helper");
    await helper.send("AUTHENTICATE PLAIN");
    await helper.waitFor("AUTHENTICATE");
    await helper.send(`AUTHENTICATE ${btoa("\0helper\0founder-password")}`);
    await helper.waitFor("903", { timeout: 30_000 });
    await helper.send("CAP END");
    await helper.waitFor("001");
    await helper.send("JOIN #club sesame");
    assertEquals((await helper.waitFor("MODE")).params, [
      "#club",
      "+o",
      "helper",
    ]);
    await stranger.send("PRIVMSG ChanServ :DROP #club");
    assertMatch(
      (await stranger.waitFor("NOTICE")).params[1],
      /Only the founder/,
    );
    await founder.send("CS DROP #club");
    assertMatch(
      (await founder.waitFor("NOTICE")).params[1],
      /no longer registered/,
    );
  });
});
