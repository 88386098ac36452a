/**
 * The web chat page in a real browser (headless Chromium): people pick a
 * name, chat with each other and with a TCP user, see history after a
 * reload, get reconnected after a server restart, and it all works at phone
 * width with the keyboard alone.
 */

import type { Page } from "playwright-core";
import { assertEquals, assertMatch, assertOk } from "./helpers/assert.ts";
import {
  browserUnavailable,
  type OpenPage,
  screenshot,
  withBrowser,
} from "./helpers/browser.ts";
import {
  startTestServer,
  type TestServer,
  waitUntil,
} from "./helpers/server.ts";
import { serverTlsOptions, withPki } from "./helpers/tls.ts";

const unavailable = browserUnavailable();
if (unavailable !== undefined) {
  console.log(`skipping browser tests: ${unavailable}`);
}

/** A test that needs Chromium, skipped with the reason printed when it is missing. */
function browserTest(
  name: string,
  fn: (openPage: OpenPage) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: unavailable !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => withBrowser(fn),
  });
}

async function historyServer(webPort = 0, db?: string): Promise<{
  server: TestServer;
  db: string;
}> {
  const file = db ??
    `${await Deno.makeTempDir({ prefix: "tertulia-web-" })}/history.db`;
  const server = await startTestServer({
    web: { port: webPort },
    db: file,
    historyCommitMs: 0,
  });
  // The first request for the script may bundle it (a fresh checkout):
  // done here, so no page load waits for it against the browser's timeout.
  await (await fetch(`http://127.0.0.1:${server.webPort}/app.js`)).body
    ?.cancel();
  return { server, db: file };
}

function pageUrl(server: TestServer, query = ""): string {
  return `http://127.0.0.1:${server.webPort}/${query}`;
}

/** Lines shown in the page's message log. */
function lineWith(page: Page, text: string) {
  return page.locator("#messages li.line", { hasText: text });
}

async function signIn(page: Page, server: TestServer, nick: string) {
  await page.goto(pageUrl(server));
  await page.locator("#nick-input").focus();
  await page.keyboard.type(nick);
  await page.keyboard.press("Enter");
  await page.locator("#chat").waitFor({ state: "visible" });
  await page.locator("#conversation-title", { hasText: "#general" }).waitFor();
}

async function focusedId(page: Page): Promise<string> {
  // A string, since the test itself is type-checked without the DOM's types.
  return await page.evaluate<string>("document.activeElement?.id ?? ''");
}

browserTest(
  "two browser users and a TCP user chat both ways",
  async (openPage) => {
    const { server } = await historyServer();
    try {
      const ana = await openPage({
        viewport: { width: 1200, height: 760 },
      });
      await ana.goto(pageUrl(server, "?nick=ana"));
      await ana.locator("#conversation-title", { hasText: "#general" })
        .waitFor();
      await ana.locator("#status", { hasText: "Connected as ana" }).waitFor();
      assertEquals(await focusedId(ana), "message-input");

      const beto = await openPage();
      await signIn(beto, server, "beto");
      assertEquals(await focusedId(beto), "message-input");

      const carla = await server.client("carla");
      await carla.send("JOIN #general");
      await carla.waitFor("366");

      for (const nick of ["ana", "beto", "carla"]) {
        await ana.locator(`#member-list li[data-nick="${nick}"]`).waitFor();
      }

      await ana.keyboard.type("hola a todos");
      await ana.keyboard.press("Enter");
      await lineWith(beto, "hola a todos").waitFor();
      const relayed = await carla.waitFor("PRIVMSG");
      assertEquals(relayed.params, ["#general", "hola a todos"]);
      assertMatch(relayed.source!, /^ana!/);

      await carla.send("PRIVMSG #general :hola ana, ¿qué tal?");
      const mention = lineWith(ana, "hola ana, ¿qué tal?");
      await mention.waitFor();
      assertOk(
        (await mention.getAttribute("class"))!.includes("mention"),
        "a line naming ana is highlighted for ana",
      );
      await lineWith(beto, "hola ana, ¿qué tal?").waitFor();
      assertOk(
        !(await lineWith(beto, "hola ana").getAttribute("class"))!.includes(
          "mention",
        ),
      );

      await beto.keyboard.type("/me saluda");
      await beto.keyboard.press("Enter");
      await lineWith(ana, "* beto saluda").waitFor();
      assertEquals(
        (await carla.waitFor("PRIVMSG")).params[1],
        "\x01ACTION saluda\x01",
      );

      await ana.keyboard.type("/topic Charla general");
      await ana.keyboard.press("Enter");
      await beto.locator("#topic", { hasText: "Charla general" }).waitFor();

      await beto.keyboard.type("/msg ana esto es privado");
      await beto.keyboard.press("Enter");
      const privateChat = ana.locator("#private-list button", {
        hasText: "beto",
      });
      await privateChat.waitFor();
      assertEquals(await privateChat.locator(".badge").textContent(), "1");

      await carla.send("PRIVMSG ana :psst, soy carla");
      const fromCarla = ana.locator("#private-list button", {
        hasText: "carla",
      });
      await fromCarla.waitFor();
      await fromCarla.click();
      await lineWith(ana, "psst, soy carla").waitFor();
      await ana.locator("#message-input").fill("te leo, carla");
      await ana.keyboard.press("Enter");
      const reply = await carla.waitFor("PRIVMSG");
      assertEquals(reply.params, ["carla", "te leo, carla"]);

      await ana.locator("#channel-list button", { hasText: "#general" })
        .click();
      await beto.keyboard.type("/nick bettina");
      await beto.keyboard.press("Enter");
      await ana.locator('#member-list li[data-nick="bettina"]').waitFor();
      await ana.locator('#member-list li[data-nick="beto"]').waitFor({
        state: "detached",
      });
      await carla.send("QUIT :chao");
      await ana.locator('#member-list li[data-nick="carla"]').waitFor({
        state: "detached",
      });
      await lineWith(ana, "carla left the chat").waitFor();

      await beto.keyboard.type("/join plaza");
      await beto.keyboard.press("Enter");
      await beto.locator("#conversation-title", { hasText: "#plaza" })
        .waitFor();
      await beto.keyboard.type("alguien en la plaza?");
      await beto.keyboard.press("Enter");
      await lineWith(beto, "alguien en la plaza?").waitFor();
      await beto.locator("#channel-list button", { hasText: "#general" })
        .click();
      await ana.keyboard.type("bettina, ven");
      await ana.keyboard.press("Enter");
      await lineWith(beto, "bettina, ven").waitFor();
      await screenshot(ana, "chat");
      await screenshot(beto, "chat-other");

      // A name in the users-online list opens a private chat with them.
      await ana.locator('#member-list button[data-private-chat="bettina"]')
        .click();
      await ana.locator("#conversation-title", {
        hasText: "Private chat with bettina",
      }).waitFor();
      assertEquals(await focusedId(ana), "message-input");
      await ana.keyboard.type("solo para ti");
      await ana.keyboard.press("Enter");
      await beto.locator("#private-list button", { hasText: "ana" }).waitFor();
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "a reload shows the channel's history as history",
  async (openPage) => {
    const { server } = await historyServer();
    try {
      const carla = await server.client("carla");
      await carla.send("JOIN #general");
      await carla.waitFor("366");
      await carla.send("PRIVMSG #general :mensaje de antes");
      await carla.sync();

      const page = await openPage();
      await page.goto(pageUrl(server, "?nick=ana"));
      const before = lineWith(page, "mensaje de antes");
      await before.waitFor();
      assertOk((await before.getAttribute("class"))!.includes("history"));
      await page.keyboard.type("y esto es nuevo");
      await page.keyboard.press("Enter");
      await carla.waitFor("PRIVMSG");

      await page.reload();
      await page.locator("#status", { hasText: "Connected as ana" }).waitFor();
      const replayed = lineWith(page, "y esto es nuevo");
      await replayed.waitFor();
      assertOk((await replayed.getAttribute("class"))!.includes("history"));
      await page.locator("#messages .divider", { hasText: "Earlier messages" })
        .waitFor();
      await screenshot(page, "history");
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "after a server restart the page reconnects and rejoins",
  async (openPage) => {
    const first = await historyServer();
    const webPort = first.server.webPort!;
    let second: TestServer | undefined;
    try {
      const page = await openPage();
      await page.goto(`http://127.0.0.1:${webPort}/?nick=ana&channel=plaza`);
      await page.locator("#conversation-title", { hasText: "#plaza" })
        .waitFor();
      assertEquals(await focusedId(page), "message-input");

      await first.server.close();
      await page.locator('#status[data-state="reconnecting"]').waitFor();
      await screenshot(page, "reconnecting");
      second = (await historyServer(webPort, first.db)).server;
      const carla = await second.client("carla");
      await carla.send("JOIN #plaza");
      await carla.waitFor("366");
      await page.locator("#status", { hasText: "Connected as ana" }).waitFor({
        timeout: 20_000,
      });
      await page.locator('#member-list li[data-nick="carla"]').waitFor();
      await page.locator("#message-input").fill("de vuelta");
      await page.keyboard.press("Enter");
      assertEquals((await carla.waitFor("PRIVMSG")).params, [
        "#plaza",
        "de vuelta",
      ]);
    } finally {
      await second?.close();
      await first.server.close();
    }
  },
);

browserTest(
  "at 375 px wide the page works, keyboard only",
  async (openPage) => {
    const { server } = await historyServer();
    try {
      const page = await openPage({
        viewport: { width: 375, height: 740 },
        isMobile: true,
        hasTouch: true,
      });
      await page.goto(pageUrl(server));
      assertEquals(await focusedId(page), "nick-input");
      await screenshot(page, "phone-login");
      await page.keyboard.type("ana");
      await page.keyboard.press("Enter");
      await page.locator("#conversation-title", { hasText: "#general" })
        .waitFor();
      assertEquals(await focusedId(page), "message-input");
      await page.keyboard.type("desde el móvil");
      await page.keyboard.press("Enter");
      await lineWith(page, "desde el móvil").waitFor();
      const width = await page.evaluate<number>(
        "document.documentElement.scrollWidth",
      );
      assertOk(width <= 375, `the page is ${width} px wide`);
      const composer = await page.locator("#composer").boundingBox();
      assertOk(
        composer !== null && composer.y + composer.height <= 740 &&
          composer.x >= 0 && composer.x + composer.width <= 375,
        `composer at ${JSON.stringify(composer)}`,
      );
      // The channel list is a panel behind a button there.
      assertOk(!(await page.locator("#sidebar").isVisible()));
      await page.locator("#channels-toggle").click();
      await page.locator("#sidebar").waitFor({ state: "visible" });
      await screenshot(page, "phone-channels");
      await page.keyboard.press("Escape");
      await page.locator("#sidebar").waitFor({ state: "hidden" });
      assertEquals(await focusedId(page), "message-input");
      await screenshot(page, "phone");
    } finally {
      await server.close();
    }
  },
);

browserTest("a name that is taken asks again", async (openPage) => {
  const { server } = await historyServer();
  try {
    await server.client("ana");
    // This one in dark mode: the page follows prefers-color-scheme.
    const page = await openPage({ colorScheme: "dark" });
    await page.goto(pageUrl(server));
    assertEquals(
      await page.evaluate<string>(
        "getComputedStyle(document.body).backgroundColor",
      ),
      "rgb(23, 20, 15)",
    );
    await page.locator("#nick-input").fill("ana");
    await page.keyboard.press("Enter");
    await page.locator("#nick-error", { hasText: "already using" }).waitFor();
    assertOk(await page.locator("#login").isVisible());
    assertEquals(await focusedId(page), "nick-input");
    await screenshot(page, "name-taken");
    await page.keyboard.type("ana2");
    await page.keyboard.press("Enter");
    await page.locator("#status", { hasText: "Connected as ana2" }).waitFor();

    // Names that can never be valid are refused before connecting.
    const other = await openPage();
    await other.goto(pageUrl(server));
    await other.locator("#nick-input").fill("9 lives");
    await other.keyboard.press("Enter");
    await other.locator("#nick-error", { hasText: "cannot be used" }).waitFor();
  } finally {
    await server.close();
  }
});

const PASSWORD = "una clave larga";

/** The computed colour of `nick` in the message list and in the users-online list. */
async function nickColors(page: Page, nick: string): Promise<string[]> {
  return JSON.parse(
    await page.evaluate<string>(`JSON.stringify([
      [...document.querySelectorAll("#messages .from")]
        .find((el) => el.textContent === ${JSON.stringify(nick)}),
      document.querySelector('#member-list li[data-nick=${
      JSON.stringify(nick)
    }] .member-name'),
    ].map((el) => el && getComputedStyle(el).color))`),
  );
}

/** Fills the name picker and submits it, with a password and what to do with it when given. */
async function pickName(
  page: Page,
  nick: string,
  password = "",
  mode: "Log in" | "Create account" = "Log in",
): Promise<void> {
  await page.locator("#nick-input").fill(nick);
  await page.locator("#password-input").fill(password);
  await page.getByLabel(mode).check();
  await page.locator("#login-button").click();
}

browserTest(
  "accounts: create one in the browser, log in after a reload and a restart; wrong passwords and someone else's name are refused",
  async (openPage) => {
    const first = await historyServer();
    const webPort = first.server.webPort!;
    let second: TestServer | undefined;
    try {
      const carla = await first.server.client("carla");
      await carla.send("JOIN #general");
      await carla.waitFor("366");

      const ana = await openPage({ viewport: { width: 1200, height: 760 } });
      await ana.goto(pageUrl(first.server));
      assertEquals(
        await ana.locator("#password-input").getAttribute("type"),
        "password",
      );
      await screenshot(ana, "account-login");
      await pickName(ana, "ana", PASSWORD, "Create account");
      await ana.locator("#status", {
        hasText: "Connected as ana, logged in to account ana",
      }).waitFor();
      assertEquals(await ana.locator("#password-input").inputValue(), "");
      const stored = await ana.evaluate<string>(
        "JSON.stringify({ ...localStorage, ...sessionStorage })",
      );
      assertOk(!stored.includes(PASSWORD), `stored: ${stored}`);

      // One colour per nick: the same in the messages and the users-online list.
      await ana.keyboard.type("hola");
      await ana.keyboard.press("Enter");
      await carla.send("PRIVMSG #general :hola ana");
      await lineWith(ana, "hola ana").waitFor();
      for (const nick of ["ana", "carla"]) {
        const [inMessages, inList] = await nickColors(ana, nick);
        assertMatch(`${nick}: ${inMessages}`, /: rgb/);
        assertEquals(inMessages, inList, nick);
      }
      await screenshot(ana, "account-chat");

      // After a reload the password is gone: the name asks for it.
      await ana.reload();
      await carla.waitFor((m) =>
        m.command === "QUIT" && m.source?.startsWith("ana!") === true
      );
      assertEquals(await ana.locator("#nick-input").inputValue(), "ana");
      await pickName(ana, "ana");
      await ana.locator("#nick-error", { hasText: "belongs to an account" })
        .waitFor();
      assertEquals(await focusedId(ana), "password-input");

      // Someone else asking for the name is refused with the same message,
      // and a wrong password says so and lets them try again.
      const other = await openPage({ colorScheme: "dark" });
      await other.goto(pageUrl(first.server));
      await pickName(other, "ana");
      await other.locator("#nick-error", { hasText: "belongs to an account" })
        .waitFor();
      await pickName(other, "ana", "not the password");
      await other.locator("#nick-error", { hasText: "wrong password" })
        .waitFor();
      assertOk(await other.locator("#login").isVisible());
      assertEquals(await focusedId(other), "password-input");
      await screenshot(other, "account-wrong-password");
      await pickName(other, "ana", PASSWORD, "Create account");
      await other.locator("#nick-error", { hasText: "already has an account" })
        .waitFor();

      await ana.keyboard.type(PASSWORD);
      await ana.keyboard.press("Enter");
      await ana.locator("#status", { hasText: "logged in to account ana" })
        .waitFor();

      // A restart: the page reconnects with the password it holds in memory.
      await first.server.close();
      await ana.locator('#status[data-state="reconnecting"]').waitFor();
      second = (await historyServer(webPort, first.db)).server;
      await ana.locator("#status", {
        hasText: "Connected as ana, logged in to account ana",
      }).waitFor({ timeout: 20_000 });
      assertOk(
        second.logs.every((line) => !line.includes(PASSWORD)),
        "the password is never logged",
      );
    } finally {
      await second?.close();
      await first.server.close();
    }
  },
);

browserTest(
  "over HTTPS the page creates its account and logs in through WSS",
  (openPage) =>
    withPki(async (pki) => {
      const dir = await Deno.makeTempDir({ prefix: "tertulia-web-tls-" });
      const server = await startTestServer({
        web: { port: 0 },
        db: `${dir}/history.db`,
        tls: serverTlsOptions(pki),
      });
      try {
        // The development CA is not one Chromium trusts.
        const page = await openPage({ ignoreHTTPSErrors: true });
        await page.goto(`https://127.0.0.1:${server.webPort}/`);
        await pickName(page, "ana", PASSWORD, "Create account");
        await page.locator("#status", { hasText: "logged in to account ana" })
          .waitFor();
        await page.reload();
        await waitUntil(
          () => server.server.context.state.users.size === 0,
          "the reloaded page's old connection gone",
        );
        await pickName(page, "ana", PASSWORD);
        await page.locator("#status", { hasText: "logged in to account ana" })
          .waitFor();
        const users = [...server.server.context.state.users.values()];
        assertEquals(
          users.map((user) => [user.nick, user.account, user.secure]),
          [["ana", "ana", true]],
        );
      } finally {
        await server.close();
        await Deno.remove(dir, { recursive: true });
      }
    })(),
);
