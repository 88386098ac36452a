import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
} from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { runServerToExit, spawnServer } from "./helpers/server_process.ts";
import {
  ConfigError,
  defaultConfigText,
  mergeValues,
  parseConfigText,
} from "../settings/config_file.ts";
import { inConfigFile, type Setting } from "../settings/setting.ts";
import {
  defaultServerConfig,
  parseServerArgs,
  serverOptionsFrom,
} from "../server/options.ts";
import { SERVER_SETTINGS } from "../server/settings.ts";

const OPERS = {
  section: "Operators",
  name: "opers",
  kind: "records",
  place: "file",
  help: "operators",
  live: true,
  fields: {
    name: { required: true, help: "OPER name" },
    hash: { required: true, help: "argon2id hash" },
    account: { required: false, help: "account it needs" },
  },
} as const satisfies Setting;

async function configError(
  text: string,
  table: readonly Setting[] = SERVER_SETTINGS,
) {
  const error = await assertRejects(
    parseConfigText(table, text, "t.yaml"),
    ConfigError,
  );
  return error.message;
}

Deno.test("config file: keys are the long flags, values typed; empty values and files count as not given", async () => {
  assertEquals(await parseConfigText(SERVER_SETTINGS, "", "t.yaml"), {});
  assertEquals(
    await parseConfigText(SERVER_SETTINGS, "# only\n", "t.yaml"),
    {},
  );
  assertEquals(
    await parseConfigText(
      SERVER_SETTINGS,
      [
        "port: 6667",
        "name: irc.example",
        "password: 1234",
        "flood-rate: 2.5",
        "motd:",
        "no-web: false",
        "web-origin: https://a.example, https://b.example",
        "trusted-proxy:",
        "  - 127.0.0.1",
        "  - ::1",
      ].join("\n"),
      "t.yaml",
    ),
    {
      port: 6667,
      name: "irc.example",
      password: "1234",
      "flood-rate": 2.5,
      "no-web": false,
      "web-origin": ["https://a.example", "https://b.example"],
      "trusted-proxy": ["127.0.0.1", "::1"],
    },
  );
});

Deno.test("config file errors name the file, the line and the key", async () => {
  for (
    const [text, message] of [
      [
        "port: 1\nprot: 2\n",
        't.yaml, line 2: unknown setting "prot", did you mean "port"?',
      ],
      ["zzzzzzzz: 1\n", 'unknown setting "zzzzzzzz" (see --help'],
      [
        "\n\nport: 70000\n",
        "t.yaml, line 3: port must be an integer 0-65535, got 70000",
      ],
      [
        'port: "6667"\n',
        't.yaml, line 1: port must be an integer 0-65535, got "6667"',
      ],
      [
        "max-clients: -1\n",
        "t.yaml, line 1: max-clients must be an integer >= 0",
      ],
      ["tls: yes please\n", "t.yaml, line 1: tls must be true or false"],
      [
        "name: [a]\n",
        't.yaml, line 1: name must be a non-empty word, got ["a"]',
      ],
      [
        "web-origin: [chat.example.org]\n",
        't.yaml, line 1: web-origin must be an origin like https://chat.example.org, got "chat.example.org"',
      ],
      [
        "help: true\n",
        "t.yaml, line 1: help can only be given on the command line",
      ],
      [
        "port: 1\nport: 2\n",
        "t.yaml, line 2: YAML syntax error: Map keys must be unique",
      ],
      ["port: [1\nname: x\n", "t.yaml, line 2: YAML syntax error"],
      ["- port\n", "t.yaml, line 1: expected settings"],
    ] as const
  ) assertIncludes(await configError(text), message);
});

Deno.test("config file: a records list (opers) is checked field by field", async () => {
  const table = [OPERS];
  assertEquals(
    await parseConfigText(
      table,
      "opers:\n  - name: alice\n    hash: $argon2id$x\n  - {name: bob, hash: h, account: bob}\n",
      "t.yaml",
    ),
    {
      opers: [
        { name: "alice", hash: "$argon2id$x" },
        { name: "bob", hash: "h", account: "bob" },
      ],
    },
  );
  assertIncludes(
    await configError("opers:\n  - name: alice\n", table),
    "t.yaml, line 1: opers entry 1 needs hash",
  );
  assertIncludes(
    await configError("opers:\n  - {name: a, hash: h, pass: x}\n", table),
    'opers entry 1 has unknown field "pass"',
  );
  assertIncludes(
    await configError("opers: alice\n", table),
    "must be a list of maps",
  );
  assertIncludes(
    await defaultConfigText(table, { title: "t", notes: [] }),
    "#   - name: NAME        # OPER name",
  );
});

Deno.test("flags override the file; a --no-history/--no-web flag drops the file's conflicting keys", async () => {
  const file = await parseConfigText(
    SERVER_SETTINGS,
    "port: 1\nmax-clients: 3\ndb: x.db\nweb-port: 9\n",
    "t.yaml",
  );
  const merged = mergeValues(SERVER_SETTINGS, file, {
    port: 2,
    "no-history": true,
    "no-web": true,
  });
  assertEquals(merged, {
    port: 2,
    "max-clients": 3,
    "no-history": true,
    "no-web": true,
  });
  const { options } = serverOptionsFrom(merged);
  assertEquals([options.port, options.maxClients, options.db, options.web], [
    2,
    3,
    undefined,
    undefined,
  ]);
});

Deno.test("the --write-config file loads as all defaults, and uncommented it gives every default", async () => {
  const text = await defaultServerConfig();
  assertEquals(await parseConfigText(SERVER_SETTINGS, text, "d.yaml"), {});
  const uncommented = text.replace(/^# ([a-z-]+:)/gm, "$1");
  const values = await parseConfigText(SERVER_SETTINGS, uncommented, "d.yaml");
  for (const row of SERVER_SETTINGS) {
    const given = (values as Record<string, unknown>)[row.name];
    if (!inConfigFile(row)) assertEquals(given, undefined, row.name);
    else if ("default" in row) assertEquals(given, row.default, row.name);
  }
  assertOk(Object.keys(values).length > 15, Object.keys(values).join());
});

Deno.test("server.ts --config: a bad file exits 2 naming file, line and key (or file and conflict); a missing one names --config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(file, "# settings\nport: 70000\n");
    const bad = await runServerToExit(["--config", file]);
    assertEquals(bad.code, 2);
    assertIncludes(
      bad.stderr,
      `${file}, line 2: port must be an integer 0-65535, got 70000`,
    );
    await Deno.writeTextFile(file, "no-history: true\ndb: x.db\n");
    const conflict = await runServerToExit(["--config", file]);
    assertEquals(conflict.code, 2);
    assertIncludes(
      conflict.stderr,
      `${file}: no-history cannot be combined with db`,
    );
    const flags = await runServerToExit([
      "--config",
      file,
      "--no-web",
      "--web-port",
      "1",
    ]);
    assertIncludes(flags.stderr, "--no-web cannot be combined with --web-port");
    const split = `${dir}/split.yaml`;
    await Deno.writeTextFile(split, "no-web: true\nkey: k.pem\n");
    const parsed = await parseServerArgs([
      "--config",
      split,
      "--cert",
      "c.pem",
    ]);
    assertOk(!parsed.help);
    assertEquals(
      parsed.options.tls?.certFile,
      "c.pem",
      "cert flag + key in the file",
    );
    const missing = await runServerToExit(["--config", `${dir}/none.yaml`]);
    assertEquals(missing.code, 2);
    assertIncludes(missing.stderr, `--config ${dir}/none.yaml: cannot read it`);
    assertEquals((await parseServerArgs(["--write-config", "x"])).help, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server.ts --config: the file's MOTD and limits apply, a flag overrides the file's limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/motd.txt`, "welcome from the file\n");
    await Deno.writeTextFile(
      `${dir}/server.yaml`,
      `port: 0\nno-history: true\nmotd: ${dir}/motd.txt\nmax-clients: 1\n`,
    );
    const server = await spawnServer([
      "--config",
      `${dir}/server.yaml`,
      "--max-clients",
      "2",
    ]);
    try {
      const alice = await connectClient({ port: server.port });
      const bob = await connectClient({ port: server.port });
      const burst = await alice.register("alice");
      assertOk(
        burst.some((m) => m.params.at(-1)?.includes("welcome from the file")),
        alice.lines.join("\n"),
      );
      await bob.register("bob");
      const carol = await connectClient({ port: server.port });
      assertEquals((await carol.waitFor("ERROR")).params, ["Server is full"]);
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    } finally {
      server.kill("SIGTERM");
      await server.exited;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server.ts --write-config writes a file the server then starts from; it never overwrites", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/tertulia.yaml`;
    const written = await runServerToExit(["--write-config", file]);
    assertEquals(written.code, 0, written.stderr);
    assertEquals(await Deno.readTextFile(file), await defaultServerConfig());
    const again = await runServerToExit(["--write-config", file]);
    assertEquals(again.code, 1);
    assertIncludes(again.stderr, "already exists");
    const server = await spawnServer([
      "--config",
      file,
      "--port",
      "0",
      "--no-history",
    ]);
    server.kill("SIGTERM");
    assertEquals((await server.exited).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
