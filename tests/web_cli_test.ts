/** The web listener from the command line: the URL in the log, `--no-web`, a taken default port. */

import { assertEquals, assertMatch, assertOk } from "./helpers/assert.ts";
import { spawnServer } from "./helpers/server_process.ts";

Deno.test("server.ts logs the web chat's URL and serves the page there", async () => {
  const server = await spawnServer(["--port", "0", "--no-history"]);
  try {
    assertOk(server.webPort !== undefined, server.stderr.join("\n"));
    assertOk(
      server.stderr.some((line) =>
        line.endsWith(`web chat at http://127.0.0.1:${server.webPort}/`)
      ),
    );
    const page = await fetch(`http://127.0.0.1:${server.webPort}/`);
    assertEquals(page.status, 200);
    assertMatch(await page.text(), /<html/i);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

Deno.test("--no-web starts no web listener", async () => {
  const server = await spawnServer(["--port", "0", "--no-history", "--no-web"]);
  try {
    assertEquals(server.webPort, undefined);
    assertOk(!server.stderr.some((line) => line.includes("web chat")));
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

Deno.test("a taken --web-port is an error naming it; exit 1", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(taken.addr.port);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../server.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--no-history",
      "--web-port",
      port,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 1);
  assertMatch(
    new TextDecoder().decode(output.stderr),
    new RegExp(`address already in use: .*web port ${port}`),
  );
});

Deno.test("a bad --web-port prints usage and exits 2", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../server.ts", import.meta.url).pathname,
      "--web-port",
      "http",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 2);
  assertMatch(new TextDecoder().decode(output.stderr), /--web-port must be/);
});
