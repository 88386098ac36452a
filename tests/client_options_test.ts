import {
  DEFAULT_CHANNEL,
  DEFAULT_HOST,
  DEFAULT_PORT,
  parseClientArgs,
  shouldUseColor,
  USAGE,
} from "../client/options.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

Deno.test("client options: defaults", () => {
  const parsed = parseClientArgs([]);
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
    help: false,
  });
  assertEquals([DEFAULT_HOST, DEFAULT_PORT, DEFAULT_CHANNEL], [
    "127.0.0.1",
    59420,
    "#general",
  ]);
});

Deno.test("client options: every flag", () => {
  const parsed = parseClientArgs([
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
    help: false,
  });
  const tls = parseClientArgs(["--tls"]);
  assertOk(tls.ok && tls.options.tls && tls.options.caFile === undefined);
  const help = parseClientArgs(["-h"]);
  assertOk(help.ok && help.options.help);
});

Deno.test("client options: bad flags are explained", () => {
  const cases: [string[], string][] = [
    [["--bogus"], "--bogus"],
    [["--port", "http"], "--port must be a number"],
    [["--port", "70000"], "--port must be a number"],
    [["--port", "-1"], "--port"],
    [["--nick", "9lives"], "not a valid nickname"],
    [["--nick", "a b"], "not a valid nickname"],
    [["--channel", "#a,b"], "not a valid channel"],
    [["--host", ""], "--host"],
    [["--ca", ""], "--ca"],
    [["stray"], "stray"],
    [["--tls=yes"], "--tls"],
  ];
  for (const [args, expected] of cases) {
    const parsed = parseClientArgs(args);
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
