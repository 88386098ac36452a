import {
  assertEquals,
  assertIncludes,
  assertOk,
  assertRejects,
  assertThrows,
} from "./helpers/assert.ts";
import { runServerToExit } from "./helpers/server_process.ts";
import { parseFlags, UsageError, usageText } from "../settings/flags.ts";
import { onCommandLine, type Setting } from "../settings/setting.ts";
import { parseServerArgs } from "../server/options.ts";
import { SERVER_SETTINGS } from "../server/settings.ts";
import { VERSION } from "../server.ts";
import { CONFIG_DOC, configReference } from "../settings/make_docs.ts";

const TABLE = [
  {
    section: "A",
    name: "port",
    kind: "integer",
    min: 0,
    max: 65535,
    default: 1,
    help: "a port",
    live: false,
  },
  {
    section: "A",
    name: "rate",
    kind: "number",
    min: -5,
    help: "may be negative",
    live: true,
  },
  { section: "A", name: "host", kind: "word", help: "a host", live: false },
  {
    section: "B",
    name: "tag",
    kind: "list",
    help: "tags",
    live: true,
    check: (tag) => tag.startsWith("#") ? undefined : "must start with #",
  },
  { section: "B", name: "quiet", kind: "boolean", help: "hush", live: true },
  {
    section: "B",
    name: "help",
    kind: "boolean",
    short: "h",
    place: "flags",
    help: "help",
    live: false,
  },
  {
    section: "B",
    name: "secret",
    kind: "string",
    place: "file",
    help: "file only",
    live: true,
  },
] as const satisfies readonly Setting[];

Deno.test("parseFlags converts each kind and leaves flags not given out", () => {
  assertEquals(parseFlags(TABLE, []), {});
  assertEquals(
    parseFlags(TABLE, [
      "--port=80",
      "--rate",
      "-2.5",
      "--host",
      "h",
      "--tag",
      "#a, #b",
      "--tag",
      "#c",
      "--quiet",
      "-h",
    ]),
    {
      port: 80,
      rate: -2.5,
      host: "h",
      tag: ["#a", "#b", "#c"],
      quiet: true,
      help: true,
    },
  );
});

Deno.test("parseFlags skips a leading -- (deno task server -- --port 1)", () => {
  assertEquals(parseFlags(TABLE, ["--", "--port", "1"]), { port: 1 });
  assertThrows(() => parseFlags(TABLE, ["--port", "1", "--", "x"]), UsageError);
});

Deno.test("parseFlags errors name the flag; a negative number gets the range, not 'ambiguous'", () => {
  for (
    const [args, message] of [
      [["--port", "-1"], '--port must be an integer 0-65535, got "-1"'],
      [["--port", "1.5"], '--port must be an integer 0-65535, got "1.5"'],
      [["--port", ""], "--port must be an integer 0-65535"],
      [["--rate", "-6"], '--rate must be a number >= -5, got "-6"'],
      [["--host", "a b"], "--host must be a non-empty word"],
      [["--tag", "x"], '--tag must start with #, got "x"'],
      [["--secret", "s"], "Unknown option '--secret'"],
      [["--nope"], "Unknown option '--nope'"],
      [["stray"], "stray"],
      [["--port"], "--port"],
    ] as const
  ) {
    const error = assertThrows(() => parseFlags(TABLE, [...args]), UsageError);
    assertIncludes(error.message, message);
  }
});

Deno.test("usageText lists command-line rows by section with defaults, never file-only rows", () => {
  const text = usageText(TABLE, { usage: "Usage: x", description: "X." });
  assertOk(text.startsWith("Usage: x\n\nX.\n\nA:\n"), text);
  assertIncludes(text, "  --port N");
  assertIncludes(text, "a port (default 1)");
  assertIncludes(text, "  -h, --help");
  assertIncludes(text, "\nB:\n");
  assertEquals(text.includes("secret"), false);
});

Deno.test("server: every command-line row is in --help and parses; --port -1 is a range error", async () => {
  const usage = usageText(SERVER_SETTINGS, { usage: "", description: "" });
  for (const row of SERVER_SETTINGS) {
    if (onCommandLine(row)) assertIncludes(usage, `--${row.name}`);
    else assertEquals(usage.includes(`--${row.name}`), false);
  }
  const error = await assertRejects(
    parseServerArgs(["--port", "-1"]),
    UsageError,
  );
  assertEquals(error.message, '--port must be an integer 0-65535, got "-1"');
  const parsed = await parseServerArgs(["--max-clients", "5", "--no-history"]);
  assertOk(!parsed.help);
  assertEquals(parsed.options.maxClients, 5);
  assertEquals(parsed.options.db, undefined);
});

Deno.test("server.ts --version prints the version and exits 0; --port -1 exits 2 naming the flag", async () => {
  const version = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "server.ts", "--version"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(version.code, 0);
  assertEquals(new TextDecoder().decode(version.stdout).trim(), VERSION);
  const negative = await runServerToExit(["--port", "-1"]);
  assertEquals(negative.code, 2);
  assertIncludes(negative.stderr, "--port must be an integer 0-65535");
});

Deno.test("docs/config.md is the table's reference (run deno task docs after changing a row)", async () => {
  assertEquals(await Deno.readTextFile(CONFIG_DOC), configReference());
});
