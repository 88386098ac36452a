/**
 * Accounts through real sockets: REGISTER, SASL PLAIN and SCRAM-SHA-256,
 * NickServ, strict nick protection, the brakes on guessing, the account
 * caps and WHOIS, and a database that never holds a password.
 */

import { join } from "node:path";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import { requestSasl, saslPlain, saslScram } from "./helpers/sasl_client.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const PASSWORD = "correct horse battery";

async function withDb(body: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_accounts_" });
  try {
    await body(join(dir, "chat.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Registers `nick` as a user and then as an account with REGISTER. */
async function registerAccount(
  server: TestServer,
  nick: string,
  password = PASSWORD,
): Promise<IrcClient> {
  const client = await server.client(nick, ["draft/account-registration"]);
  await client.send(`REGISTER * * :${password}`);
  const answer = await client.waitFor("REGISTER", { timeout: 30_000 });
  assertEquals(answer.params.slice(0, 2), ["SUCCESS", nick]);
  const loggedIn = await client.waitFor("900");
  assertEquals(loggedIn.params[2], nick);
  return client;
}

/** Connects, logs in with `login` before registering as `nick`, then finishes registration. */
async function connectWithSasl(
  server: TestServer,
  nick: string,
  login: (client: IrcClient) => Promise<{ numeric: string }>,
): Promise<{ client: IrcClient; numeric: string; welcomed: boolean }> {
  const client = await server.connect();
  await requestSasl(client);
  await client.send(`NICK ${nick}`);
  await client.send(`USER ${nick} 0 * :${nick}`);
  const { numeric } = await login(client);
  await client.send("CAP END");
  const first = await client.waitFor((m) =>
    m.command === "001" || m.command === "433"
  );
  return { client, numeric, welcomed: first.command === "001" };
}

Deno.test("register, then log in again with PLAIN and with SCRAM-SHA-256: the nick is held", async () => {
  await withDb(async (db) => {
    await using server = await startTestServer({ db });
    const first = await registerAccount(server, "ana");
    await first.close();

    const plain = await connectWithSasl(
      server,
      "ana",
      (client) => saslPlain(client, "ana", PASSWORD),
    );
    assertEquals([plain.numeric, plain.welcomed], ["903", true]);
    await plain.client.send("MODE ana");
    assertEquals((await plain.client.waitFor("221")).params[1], "+r");
    const watcher = await server.client("bea");
    await watcher.send("WHOIS ana");
    const whois = await watcher.waitFor("330");
    assertEquals(whois.params.slice(1, 3), ["ana", "ana"]);
    await plain.client.close();

    let verified = false;
    const scram = await connectWithSasl(server, "ana", async (client) => {
      const result = await saslScram(client, "ana", PASSWORD);
      verified = result.serverVerified;
      return result;
    });
    assertEquals([scram.numeric, scram.welcomed, verified], [
      "903",
      true,
      true,
    ]);
  });
});

Deno.test("wrong passwords fail with 904 and leave the client unauthenticated", async () => {
  await using server = await startTestServer();
  await (await registerAccount(server, "ana")).close();
  const plain = await connectWithSasl(
    server,
    "guest1",
    (client) => saslPlain(client, "ana", "not the password"),
  );
  assertEquals([plain.numeric, plain.welcomed], ["904", true]);
  const scram = await connectWithSasl(
    server,
    "guest2",
    (client) => saslScram(client, "ana", "not the password"),
  );
  assertEquals([scram.numeric, scram.welcomed], ["904", true]);
  const unknown = await connectWithSasl(
    server,
    "guest3",
    (client) => saslPlain(client, "nobody", "whatever1"),
  );
  assertEquals(unknown.numeric, "904");
  assertOk(
    server.logs.some((line) =>
      line.includes("failed SASL PLAIN login for ana")
    ),
  );
  assertOk(!server.logs.some((line) => line.includes("not the password")));
});

Deno.test("someone else's nick: refused at registration with 433 and at NICK afterwards", async () => {
  await using server = await startTestServer();
  await (await registerAccount(server, "ana")).close();

  const thief = await server.connect();
  await thief.send("NICK ana");
  await thief.send("USER thief 0 * :thief");
  const refused = await thief.waitFor((m) =>
    m.command === "433" || m.command === "001"
  );
  assertEquals(refused.command, "433");
  await thief.send("NICK thief");
  await thief.waitFor("001");
  await thief.send("NICK ANA");
  assertEquals((await thief.waitFor("433")).params[1], "ANA");
  // The owner logged in elsewhere may take it.
  const owner = await server.client("ana2");
  await owner.send(`PRIVMSG NickServ :IDENTIFY ana ${PASSWORD}`);
  const notice = await owner.waitFor(
    (m) => m.command === "NOTICE" && m.source?.startsWith("NickServ!") === true,
    { timeout: 30_000 },
  );
  assertEquals(notice.params[1], "You are now identified as ana.");
  await owner.send("NICK ana");
  assertEquals((await owner.waitFor("NICK")).params[0], "ana");
});

Deno.test("REGISTER before connecting logs in; taken, weak and different names fail", async () => {
  await using server = await startTestServer();
  const early = await server.connect();
  await early.send("CAP LS 302");
  const ls = await early.waitFor("CAP");
  assertOk(
    ls.params.at(-1)!.includes("draft/account-registration=before-connect"),
  );
  assertOk(ls.params.at(-1)!.includes("sasl=PLAIN,SCRAM-SHA-256"));
  await early.send("NICK early");
  await early.send(`REGISTER * * :${PASSWORD}`);
  await early.send("USER early 0 * :early");
  await early.send("CAP END");
  assertEquals(
    (await early.waitFor("REGISTER", { timeout: 30_000 })).params[0],
    "SUCCESS",
  );
  await early.waitFor("900");
  await early.waitFor("001");

  const other = await server.client("other");
  await other.send(`REGISTER someone * :${PASSWORD}`);
  assertEquals(
    (await other.waitFor("FAIL")).params.slice(0, 3),
    ["REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", "someone"],
  );
  await other.send("REGISTER * * :abc");
  assertEquals((await other.waitFor("FAIL")).params[1], "WEAK_PASSWORD");
  await early.send(`REGISTER * * :${PASSWORD}`);
  assertEquals(
    (await early.waitFor("FAIL")).params[1],
    "ALREADY_AUTHENTICATED",
  );
});

Deno.test("failed logins are slowed down, then refused, per account and per IP", async () => {
  await using server = await startTestServer({
    loginThrottle: {
      freeFailures: 3,
      delayMs: 40,
      maxDelayMs: 160,
      refuseAfter: 12,
      windowMs: 60_000,
    },
  });
  await (await registerAccount(server, "ana")).close();
  const client = await server.connect();
  await requestSasl(client);
  const results: { numeric: string; ms: number }[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const started = performance.now();
    const { numeric } = await saslPlain(client, "ana", `wrong-${attempt}`);
    results.push({ numeric, ms: performance.now() - started });
  }
  assertOk(results.every((result) => result.numeric === "904"));
  // The 4th to 12th attempts waited at least their delay; the rest were
  // refused without any password check.
  for (let attempt = 3; attempt < 12; attempt++) {
    const delay = Math.min(160, 40 * 2 ** (attempt - 3));
    assertOk(results[attempt].ms >= delay, JSON.stringify(results));
  }
  const refusals = server.logs.filter((line) =>
    line.includes("refused SASL PLAIN login for ana") &&
    line.includes("too many failed attempts")
  );
  assertEquals(refusals.length, 8);
  // Even the right password is refused while the brakes hold.
  assertEquals((await saslPlain(client, "ana", PASSWORD)).numeric, "904");
  assertOk(!server.logs.some((line) => line.includes("wrong-")));
});

Deno.test("the database holds no plaintext password, only argon2id and SCRAM keys", async () => {
  await withDb(async (db) => {
    const secret = "plaintext-canary-4711";
    {
      await using server = await startTestServer({ db });
      await (await registerAccount(server, "ana", secret)).close();
      const client = await server.client("bea");
      await client.send(`NICKSERV REGISTER ${secret}`);
      await client.waitFor((m) => m.command === "NOTICE", { timeout: 30_000 });
    }
    const dir = db.slice(0, db.lastIndexOf("/"));
    let checked = 0;
    for await (const entry of Deno.readDir(dir)) {
      const bytes = await Deno.readFile(join(dir, entry.name));
      const text = new TextDecoder("latin1").decode(bytes);
      assertOk(!text.includes(secret), `${entry.name} holds the password`);
      checked++;
    }
    assertOk(checked >= 1);
    const { DatabaseSync } = await import("node:sqlite");
    const file = new DatabaseSync(db, { readOnly: true });
    const rows = file.prepare(
      "SELECT name, password_hash FROM accounts ORDER BY name",
    )
      .all() as { name: string; password_hash: string }[];
    file.close();
    assertEquals(rows.map((row) => row.name), ["ana", "bea"]);
    assertOk(rows.every((row) => row.password_hash.startsWith("$argon2id$")));
  });
});

Deno.test("account-tag, account-notify and extended-join carry the account", async () => {
  await using server = await startTestServer();
  const watcher = await server.client("watcher", [
    "account-tag",
    "account-notify",
    "extended-join",
  ]);
  await watcher.send("JOIN #plaza");
  await watcher.waitFor("366");
  const ana = await server.client("ana", ["draft/account-registration"]);
  await ana.send("JOIN #plaza");
  const join = await watcher.waitFor("JOIN");
  assertEquals(join.params, ["#plaza", "*", "Test ana"]);
  await ana.send(`REGISTER * * :${PASSWORD}`);
  const account = await watcher.waitFor("ACCOUNT", { timeout: 30_000 });
  assertEquals([account.source?.split("!")[0], account.params[0]], [
    "ana",
    "ana",
  ]);
  await ana.send("PRIVMSG #plaza :hola");
  const message = await watcher.waitFor("PRIVMSG");
  assertEquals(message.tags.account, "ana");
  const later = await server.client("later", ["extended-join"]);
  await later.send("JOIN #plaza");
  await later.waitFor("366");
  await ana.send("PART #plaza");
  await ana.send("JOIN #plaza");
  const rejoin = await later.waitFor((m) =>
    m.command === "JOIN" && m.source?.startsWith("ana!") === true
  );
  assertEquals(rejoin.params, ["#plaza", "ana", "Test ana"]);
});

Deno.test("accounts created from one address are braked, then refused", async () => {
  await using server = await startTestServer({
    registerThrottle: {
      freeFailures: 1,
      delayMs: 30,
      maxDelayMs: 30,
      refuseAfter: 2,
      windowMs: 60_000,
    },
  });
  await (await registerAccount(server, "one")).close();
  await (await registerAccount(server, "two")).close();
  const third = await server.client("three");
  await third.send(`REGISTER * * :${PASSWORD}`);
  const refused = await third.waitFor("FAIL");
  assertEquals(refused.params.slice(0, 3), [
    "REGISTER",
    "TEMPORARILY_UNAVAILABLE",
    "three",
  ]);
});

Deno.test("NickServ GHOST frees the owner's nick from a stale connection", async () => {
  await using server = await startTestServer();
  const stale = await registerAccount(server, "ana");
  const fresh = await server.client("ana_");
  await fresh.send(`NS IDENTIFY ana ${PASSWORD}`);
  await fresh.waitFor("900", { timeout: 30_000 });
  const stranger = await server.client("eve");
  await stranger.send("NS GHOST ana");
  assertEquals(
    (await stranger.waitFor("NOTICE")).params[1],
    "You must be logged in as ana to free it.",
  );
  await fresh.send("NS GHOST ana");
  assertOk((await stale.waitFor("ERROR")).params[0].includes("GHOST by ana_"));
  await stale.closed;
  await fresh.send("NICK ana");
  assertEquals((await fresh.waitFor("NICK")).params[0], "ana");
});
