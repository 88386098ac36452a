import {
  DEFAULT_CHANNEL,
  DEFAULT_HOST,
  DEFAULT_PORT,
  parseClientArgs,
  shouldUseColor,
  USAGE,
} from "../client/options.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

Deno.test("client options: defaults", async () => {
  const parsed = await parseClientArgs([]);
  assertOk(parsed.ok);
  assertEquals(parsed.options, {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    nick: undefined,
    channels: [DEFAULT_CHANNEL],
    password: undefined,
    tls: false,
    caFile: undefined,
    reconnect: true,
    color: true,
    bell: true,
    sasl: false,
    account: undefined,
    accountPasswordFile: undefined,
    help: false,
  });
  assertEquals([DEFAULT_HOST, DEFAULT_PORT, DEFAULT_CHANNEL], [
    "127.0.0.1",
    59420,
    "#general",
  ]);
});

Deno.test("client options: every flag", async () => {
  const parsed = await parseClientArgs([
    "--host=chat.example",
    "--port",
    "6697",
    "--nick",
    "ana",
    "--channel",
    "rust",
    "--password",
    "s3cret",
    "--ca",
    "ca.pem",
    "--no-reconnect",
    "--no-color",
    "--no-bell",
    "--account",
    "ana_cuenta",
    "--account-password-file",
    "pw.txt",
  ]);
  assertOk(parsed.ok);
  assertEquals(parsed.options, {
    host: "chat.example",
    port: 6697,
    nick: "ana",
    channels: ["#rust"],
    password: "s3cret",
    tls: true,
    caFile: "ca.pem",
    reconnect: false,
    color: false,
    bell: false,
    sasl: true,
    account: "ana_cuenta",
    accountPasswordFile: "pw.txt",
    help: false,
  });
  const tls = await parseClientArgs(["--tls"]);
  assertOk(tls.ok && tls.options.tls && tls.options.caFile === undefined);
  const help = await parseClientArgs(["-h"]);
  assertOk(help.ok && help.options.help);
});

Deno.test("client options: --channel takes a list, # optional, repeats dropped", async () => {
  const parsed = await parseClientArgs([
    "--channel",
    "uno,#dos",
    "--channel",
    "UNO",
  ]);
  assertOk(parsed.ok);
  assertEquals(parsed.options.channels, ["#uno", "#dos"]);
});

Deno.test("client options: bad flags are explained", async () => {
  const cases: [string[], string][] = [
    [["--bogus"], "--bogus"],
    [["--port", "http"], '--port must be an integer 1-65535, got "http"'],
    [["--port", "70000"], "--port must be an integer 1-65535"],
    [["--port", "-1"], "--port must be an integer 1-65535"],
    [["--nick", "9lives"], '--nick is not a valid nickname, got "9lives"'],
    [["--nick", "a b"], "--nick must be a non-empty word"],
    [["--channel", "#a b"], '--channel is not a valid channel, got "#a b"'],
    [["--host", ""], "--host"],
    [["--ca", ""], "--ca"],
    [["stray"], "stray"],
    [["--tls=yes"], "--tls"],
  ];
  for (const [args, expected] of cases) {
    const parsed = await parseClientArgs(args);
    assertOk(!parsed.ok, `${args.join(" ")} should fail`);
    assertIncludes(parsed.error, expected);
  }
});

Deno.test("client options: usage lists every flag", () => {
  for (
    const flag of [
      "--host",
      "--port",
      "--nick",
      "--channel",
      "--password",
      "--tls",
      "--ca",
      "--no-reconnect",
      "--no-color",
      "--no-bell",
      "--sasl",
      "--account",
      "--account-password-file",
      "--help",
    ]
  ) {
    assertIncludes(USAGE, flag);
  }
});

Deno.test("client options: colour only on a terminal without NO_COLOR or --no-color", () => {
  assertEquals(shouldUseColor(true, undefined, true), true);
  assertEquals(shouldUseColor(true, "", true), true);
  assertEquals(shouldUseColor(true, "1", true), false);
  assertEquals(shouldUseColor(true, undefined, false), false);
  assertEquals(shouldUseColor(false, undefined, true), false);
});
