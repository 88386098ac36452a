/**
 * A third-party web client: The Lounge 4.5.2 (npm), run under Deno, connects
 * to tertulia over TCP; its browser user and a user of tertulia's own web
 * page chat both ways. Skipped, saying why, when The Lounge is not installed
 * (`bash tests/peers/thelounge/install.sh`, run by .ci/run) or Chromium is
 * missing.
 */

import { assertEquals } from "./helpers/assert.ts";
import {
  browserUnavailable,
  screenshot,
  withBrowser,
} from "./helpers/browser.ts";
import { startTestServer, waitUntil } from "./helpers/server.ts";

const LOUNGE_DIR = new URL("./peers/thelounge/", import.meta.url);
const LOUNGE_MAIN = new URL("node_modules/thelounge/index.js", LOUNGE_DIR);

function loungeUnavailable(): string | undefined {
  try {
    Deno.statSync(LOUNGE_MAIN);
  } catch {
    return "The Lounge is not installed (bash tests/peers/thelounge/install.sh)";
  }
  return browserUnavailable();
}

const unavailable = loungeUnavailable();
if (unavailable !== undefined) {
  console.log(`skipping The Lounge interop test: ${unavailable}`);
}

/** A port nobody listens on right now, for a program that cannot be told port 0. */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/** The Lounge's config.js: public mode (no accounts), locked to this tertulia. */
function loungeConfig(port: number, ircPort: number): string {
  const config = {
    public: true,
    host: "127.0.0.1",
    port,
    reverseProxy: false,
    prefetch: false,
    fileUpload: { enable: false },
    messageStorage: [],
    lockNetwork: true,
    defaults: {
      name: "tertulia",
      host: "127.0.0.1",
      port: ircPort,
      tls: false,
      nick: "lounger",
      username: "lounger",
      realname: "The Lounge user",
      join: "#general",
    },
  };
  return `"use strict";\nmodule.exports = ${
    JSON.stringify(config, null, 2)
  };\n`;
}

Deno.test({
  name: "The Lounge's browser user and a tertulia web user chat both ways",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using server = await startTestServer({ web: { port: 0 } });
    const home = await Deno.makeTempDir({ prefix: "tertulia-thelounge-" });
    const port = freePort();
    await Deno.writeTextFile(
      `${home}/config.js`,
      loungeConfig(port, server.port),
    );
    // Only loopback: The Lounge's check for a newer release is refused.
    const lounge = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        LOUNGE_MAIN.pathname,
        "start",
      ],
      env: { THELOUNGE_HOME: home },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output: string[] = [];
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        output.push(chunk);
      }
    };
    const drained = Promise.all([
      collect(lounge.stdout),
      collect(lounge.stderr),
    ]);
    try {
      await waitUntil(
        () => output.join("").includes("Available at"),
        `The Lounge to start; it wrote:\n${output.join("")}`,
        30_000,
      );
      await withBrowser(async (openPage) => {
        const loungePage = await openPage({
          viewport: { width: 1100, height: 700 },
        });
        await loungePage.goto(`http://127.0.0.1:${port}/`);
        await loungePage.locator("#connect button[type=submit]").click();
        await waitUntil(
          () =>
            [
              ...server.server.context.state.channels.get("#general")?.members
                .keys() ?? [],
            ].some((user) => user.nick === "lounger"),
          "The Lounge's user to join #general",
          15_000,
        );

        const ana = await openPage();
        await ana.goto(
          `http://127.0.0.1:${server.webPort}/?nick=ana&channel=general`,
        );
        await ana.locator('#member-list li[data-nick="lounger"]').waitFor();
        await ana.keyboard.type("hola desde la página de tertulia");
        await ana.keyboard.press("Enter");
        await loungePage.locator(".msg", {
          hasText: "hola desde la página de tertulia",
        }).waitFor();

        await loungePage.locator("#input").fill("y hola desde The Lounge");
        await loungePage.keyboard.press("Enter");
        const line = ana.locator("#messages li.line", {
          hasText: "y hola desde The Lounge",
        });
        await line.waitFor();
        assertEquals(await line.locator(".from").textContent(), "lounger");
        await screenshot(loungePage, "thelounge");
        await screenshot(ana, "thelounge-tertulia");
      });
    } finally {
      lounge.kill("SIGTERM");
      await lounge.status;
      await drained;
      await Deno.remove(home, { recursive: true });
    }
  },
});
