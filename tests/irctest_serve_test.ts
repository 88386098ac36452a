import { assertEquals, assertMatch, assertRejects } from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { spawnServer } from "./helpers/server_process.ts";
import { readControllerOptions } from "../conformance/irctest/serve.ts";

const SERVE = new URL("../conformance/irctest/serve.ts", import.meta.url)
  .pathname;

Deno.test("the irctest launcher serves the options of its JSON file, password included", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/server.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      host: "127.0.0.1",
      port: 0,
      name: "My.Little.Server",
      password: "sesame",
      floodRate: 0,
    }),
  );
  const server = await spawnServer([config], { script: SERVE });
  try {
    const wrong = await connectClient({ port: server.port });
    await wrong.send("PASS nope");
    await wrong.send("NICK wrong");
    await wrong.send("USER wrong 0 * :Wrong");
    assertEquals((await wrong.waitFor("464")).source, "My.Little.Server");
    await wrong.closed;
    const right = await connectClient({ port: server.port });
    await right.register("right", { password: "sesame" });
    await right.close();
  } finally {
    server.kill("SIGTERM");
    await server.exited;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the irctest launcher refuses options it does not know", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/server.json`;
  try {
    await Deno.writeTextFile(config, JSON.stringify({ prot: 6667 }));
    const unknown = await assertRejects(readControllerOptions(config), Error);
    assertMatch(unknown.message, /unknown option\(s\) prot/);
    await Deno.writeTextFile(config, "[1]");
    const array = await assertRejects(readControllerOptions(config), Error);
    assertMatch(array.message, /expected a JSON object/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
