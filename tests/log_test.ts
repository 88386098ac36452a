/**
 * Log lines: `--log-format text|json` and `--log-level`, from the pure
 * formatter to a real server process whose every stderr line parses as
 * JSON, and a level changed by a live reload.
 *
 * @module
 */

import { startServer } from "../server.ts";
import { createLog, formatLogLine, type LogLevel } from "../server/log.ts";
import { parseServerArgs } from "../server/options.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { runServerToExit, SERVER_PATH } from "./helpers/server_process.ts";

const TIME = new Date("2026-11-25T14:00:00.000Z");

Deno.test("text lines are the ISO time and the sentence, with the level when it is not info; json lines are objects", () => {
  assertEquals(
    formatLogLine("text", "info", TIME, "listening on 127.0.0.1:59420"),
    "2026-11-25T14:00:00.000Z listening on 127.0.0.1:59420",
  );
  assertEquals(
    formatLogLine("text", "warn", TIME, "reload failed"),
    "2026-11-25T14:00:00.000Z warn: reload failed",
  );
  const json = formatLogLine("json", "error", TIME, 'a "quoted"\nline');
  assertEquals(JSON.parse(json), {
    time: "2026-11-25T14:00:00.000Z",
    level: "error",
    msg: 'a "quoted"\nline',
  });
  assertOk(!json.includes("\n"), "one line");
});

Deno.test("createLog drops lines under the level it reads from the settings at each call", () => {
  const got: [string, LogLevel | undefined][] = [];
  const settings = { logFormat: "text" as const, logLevel: "info" as LogLevel };
  const log = createLog(settings, (line, level) => got.push([line, level]));
  log("connect");
  log("details", "debug");
  settings.logLevel = "warn";
  log("connect again");
  log("trouble", "warn");
  log("worse", "error");
  assertEquals(got, [["connect", "info"], ["trouble", "warn"], [
    "worse",
    "error",
  ]]);
});

Deno.test("--log-format json: every line the server writes parses, connect and disconnect included", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      SERVER_PATH,
      "--no-history",
      "--no-web",
      "--port",
      "0",
      "--log-format",
      "json",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const entries: { time: string; level: string; msg: string }[] = [];
  const waiters: [RegExp, (msg: string) => void][] = [];
  const next = (pattern: RegExp) =>
    new Promise<string>((resolve) => waiters.push([pattern, resolve]));
  const reading = (async () => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line);
        entries.push(entry);
        for (const [index, [pattern, resolve]] of waiters.entries()) {
          if (pattern.test(entry.msg)) {
            waiters.splice(index, 1);
            resolve(entry.msg);
            break;
          }
        }
      }
    }
    assertEquals(rest, "");
  })();
  try {
    const listening = await next(/^listening on 127\.0\.0\.1:\d+$/);
    const port = Number(listening.split(":").at(-1));
    const disconnected = next(/^disconnect ana /);
    const client = await connectClient({ port });
    await client.register("ana");
    await client.send("QUIT :adios");
    await client.closed;
    assertIncludes(await disconnected, "(Quit: adios)");
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0);
    await reading;
    assertOk(entries.some((entry) => entry.msg.startsWith("connect ")));
    for (const entry of entries) {
      assertEquals(Object.keys(entry), ["time", "level", "msg"]);
      assertOk(!Number.isNaN(Date.parse(entry.time)), entry.time);
      assertEquals(entry.level, "info");
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
  }
});

Deno.test("a bad --log-format or --log-level is a usage error naming the flag", async () => {
  const format = await runServerToExit(["--log-format", "xml"]);
  assertEquals(format.code, 2);
  assertIncludes(format.stderr, "--log-format must be one of text, json");
  const level = await runServerToExit(["--log-level", "loud"]);
  assertEquals(level.code, 2);
  assertIncludes(level.stderr, "--log-level must be one of debug, info, warn");
});

Deno.test("log-level changes on reload: connect lines stop at warn, a failed reload still shows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_log_" });
  const file = `${dir}/server.yaml`;
  try {
    await Deno.writeTextFile(file, "port: 0\nno-history: true\nno-web: true\n");
    const parsed = await parseServerArgs(["--config", file]);
    assertOk(!parsed.help);
    const lines: [string, LogLevel | undefined][] = [];
    const server = await startServer({
      ...parsed.options,
      config: parsed.config,
      log: (line, level) => lines.push([line, level]),
    });
    try {
      const port = server.addresses[0].port;
      const first = await connectClient({ port });
      await first.register("first");
      assertOk(lines.some(([line]) => line.startsWith("connect ")));
      await Deno.writeTextFile(
        file,
        "port: 0\nno-history: true\nno-web: true\nlog-level: warn\n",
      );
      assertEquals((await server.reload()).changed, ["log-level"]);
      const seen = lines.length;
      const second = await connectClient({ port });
      await second.register("second");
      await second.close();
      await Deno.writeTextFile(file, "port: [broken\n");
      assertEquals((await server.reload()).ok, false);
      const after = lines.slice(seen);
      assertEquals(after.length, 1, JSON.stringify(after));
      assertIncludes(after[0][0], "reload failed");
      assertEquals(after[0][1], "warn");
      await first.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
