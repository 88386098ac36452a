import { commandFor } from "../settings/launcher.ts";
import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
} from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import {
  DEFAULT_OPTIONS,
  parseServerArgs,
  UsageError,
} from "../server/options.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;

function serverProcess(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    // --no-history: tests never write the repository's data/tertulia.db.
    args: ["run", "-A", SERVER, "--no-history", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads stderr lines until one matches, returning it; the rest keeps draining in the background. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<string> {
  const lines = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) {
      throw new Error(`stream ended before ${pattern}; got:\n${buffer}`);
    }
    buffer += value;
    const match = buffer.split("\n").find((line) => pattern.test(line));
    if (match !== undefined) {
      (async () => {
        while (!(await lines.read()).done) { /* drain */ }
      })();
      return match;
    }
  }
}

Deno.test("parseServerArgs reads every flag, with defaults left to DEFAULT_OPTIONS", async () => {
  const parsed = await parseServerArgs([
    "--host=0.0.0.0",
    "--port",
    "6667",
    "--name",
    "irc.example",
    "--motd",
    "motd.txt",
    "--password",
    "pw",
    "--max-clients",
    "100",
    "--max-per-ip",
    "3",
    "--ping-interval",
    "30",
    "--ping-timeout",
    "0.5",
    "--flood-rate",
    "0",
    "--flood-burst",
    "4",
    "--sendq",
    "4096",
    "--tls-port",
    "6697",
    "--cert",
    "c.pem",
    "--key",
    "k.pem",
  ]);
  assertOk(!parsed.help);
  const { options } = parsed;
  assertEquals(options.host, "0.0.0.0");
  assertEquals(options.port, 6667);
  assertEquals(options.name, "irc.example");
  assertEquals(options.motd, "motd.txt");
  assertEquals(options.password, "pw");
  assertEquals(options.maxClients, 100);
  assertEquals(options.maxPerIp, 3);
  assertEquals(options.pingInterval, 30);
  assertEquals(options.pingTimeout, 0.5);
  assertEquals(options.floodRate, 0);
  assertEquals(options.floodBurst, 4);
  assertEquals(options.sendq, 4096);
  assertEquals(options.tls, {
    port: 6697,
    certFile: "c.pem",
    keyFile: "k.pem",
  });
  assertEquals(await parseServerArgs(["--help"]), { help: true });
  assertEquals(DEFAULT_OPTIONS.port, 59420);
  assertEquals(DEFAULT_OPTIONS.host, "127.0.0.1");
});

Deno.test("parseServerArgs rejects unknown flags, bad values and strays with UsageError", async () => {
  for (
    const args of [
      ["--nope"],
      ["--port", "70000"],
      ["--port", "abc"],
      ["--port"],
      ["--max-clients", "-1"],
      ["--ping-interval", "0"],
      ["--flood-burst", "0"],
      ["--sendq", "10"],
      ["stray"],
      ["--tls-port", "6697", "--cert", "c.pem"],
      ["--cert", "c.pem"],
      ["--tls-only", "--key", "k.pem"],
      ["--name", ""],
    ]
  ) await assertRejects(parseServerArgs(args), UsageError);
});

Deno.test("CLI: a bad flag prints usage and exits 2; --help exits 0", async () => {
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER, "--port", "x"],
    stderr: "piped",
    stdout: "piped",
  })
    .output();
  assertEquals(bad.code, 2);
  const stderr = new TextDecoder().decode(bad.stderr);
  assertIncludes(stderr, "--port must be an integer");
  assertIncludes(stderr, `Usage: ${commandFor("server")}`);
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER, "--help"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assertEquals(help.code, 0);
  assertIncludes(new TextDecoder().decode(help.stdout), "--max-per-ip");
});

Deno.test("CLI: a port in use says so and exits 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        SERVER,
        "--no-history",
        "--port",
        String((taken.addr as Deno.NetAddr).port),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(result.code, 1);
    assertIncludes(new TextDecoder().decode(result.stderr), "already in use");
  } finally {
    taken.close();
  }
});

Deno.test("CLI: logs the real address; SIGTERM sends every client ERROR :Server shutting down and exits 0", async () => {
  const child = serverProcess(["--port", "0"]);
  try {
    const line = await waitForLine(
      child.stderr,
      /listening on 127\.0\.0\.1:\d+/,
    );
    assertOk(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z listening on 127\.0\.0\.1:\d+$/.test(line),
      line,
    );
    const port = Number(line.match(/:(\d+)$/)![1]);
    const alice = await connectClient({ port });
    const bob = await connectClient({ port });
    await alice.register("alice");
    await bob.register("bob");
    await alice.send("JOIN #c");
    await alice.waitFor("366");
    const started = Date.now();
    child.kill("SIGTERM");
    for (const client of [alice, bob]) {
      assertEquals((await client.waitFor("ERROR")).params, [
        "Server shutting down",
      ]);
      await client.closed;
    }
    const status = await child.status;
    assertEquals(status.code, 0);
    assertOk(Date.now() - started < 4000);
    assertEquals(alice.messages.filter((m) => m.command === "QUIT").length, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("CLI: SIGINT also shuts down with status 0", async () => {
  const child = serverProcess(["--port", "0"]);
  await waitForLine(child.stderr, /listening on/);
  child.kill("SIGINT");
  assertEquals((await child.status).code, 0);
  await child.stdout.cancel();
});
