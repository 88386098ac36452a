import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { defaultClientConfigPath, parseClientArgs } from "../client/options.ts";
import { VERSION } from "../protocol/version.ts";
import { startServer } from "../server.ts";

Deno.test("client config path: $XDG_CONFIG_HOME, else ~/.config, else none", () => {
  assertEquals(
    defaultClientConfigPath({ XDG_CONFIG_HOME: "/x", HOME: "/home/a" }),
    "/x/tertulia/client.yaml",
  );
  assertEquals(
    defaultClientConfigPath({ HOME: "/home/a" }),
    "/home/a/.config/tertulia/client.yaml",
  );
  assertEquals(defaultClientConfigPath({}), undefined);
});

Deno.test("client config file: host, port, nick, TLS and channels from the file, flags over it", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/client.yaml`;
  try {
    await Deno.writeTextFile(
      file,
      "host: chat.example.org\nport: 6697\nnick: ana\ntls: true\nchannel: [rust, '#deno']\n",
    );
    const fromFile = await parseClientArgs([], { defaultConfig: file });
    assertOk(fromFile.ok);
    const { options } = fromFile;
    assertEquals(
      [options.host, options.port, options.nick, options.tls],
      ["chat.example.org", 6697, "ana", true],
    );
    assertEquals(options.channels, ["#rust", "#deno"]);
    const overridden = await parseClientArgs([
      "--nick",
      "beto",
      "--port",
      "7000",
    ], {
      defaultConfig: file,
    });
    assertOk(overridden.ok);
    assertEquals(
      [overridden.options.nick, overridden.options.port],
      ["beto", 7000],
    );
    const explicit = await parseClientArgs(["--config", file]);
    assertOk(explicit.ok);
    assertEquals(explicit.options.nick, "ana");
    const absent = await parseClientArgs([], {
      defaultConfig: `${dir}/none.yaml`,
    });
    assertOk(absent.ok, "a missing default file is no error");
    assertEquals(absent.options.host, "127.0.0.1");
    const missing = await parseClientArgs(["--config", `${dir}/none.yaml`]);
    assertOk(!missing.ok);
    assertIncludes(missing.error, `--config ${dir}/none.yaml: cannot read it`);
    await Deno.writeTextFile(file, "nick: ana\nprot: 1\n");
    const bad = await parseClientArgs([], { defaultConfig: file });
    assertOk(!bad.ok);
    assertIncludes(bad.error, `${file}, line 2: unknown setting "prot"`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client.ts reads $XDG_CONFIG_HOME/tertulia/client.yaml; --version prints the version", async () => {
  const server = await startServer({ port: 0, log: () => {} });
  const dir = await Deno.makeTempDir();
  try {
    const port = server.addresses[0].port;
    await Deno.mkdir(`${dir}/tertulia`);
    await Deno.writeTextFile(
      `${dir}/tertulia/client.yaml`,
      `port: ${port}\nnick: filenick\nchannel: [conf]\n`,
    );
    const watcher = await connectClient({ port });
    await watcher.register("watcher");
    await watcher.send("JOIN #conf");
    await watcher.waitFor("366");
    const client = spawnClient([], { env: { XDG_CONFIG_HOME: dir } });
    try {
      const join = await watcher.waitFor("JOIN");
      assertOk(join.source?.startsWith("filenick!"), join.source);
      await client.send("hola from the config file");
      const line = await watcher.waitFor("PRIVMSG");
      assertEquals(line.params, ["#conf", "hola from the config file"]);
    } finally {
      await client.close();
    }
    await watcher.close();
    const version = spawnClient(["--version"]);
    assertEquals(await version.exited(), 0);
    assertEquals(version.stdout.trim(), VERSION);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
