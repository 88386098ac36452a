import assert from "node:assert/strict";
import { startTestServer } from "./helpers/server.ts";

Deno.test("two clients talk both ways in private", async () => {
  await using t = await startTestServer();
  const alice = await t.client("alice");
  const bob = await t.client("bob");
  await alice.send("PRIVMSG bob :hola bob");
  const toBob = await bob.waitFor("PRIVMSG");
  assert.deepEqual(toBob.params, ["bob", "hola bob"]);
  assert.ok(toBob.source?.startsWith("alice!"));
  await bob.send("PRIVMSG alice :hola alice");
  const toAlice = await alice.waitFor("PRIVMSG");
  assert.deepEqual(toAlice.params, ["alice", "hola alice"]);
});
