/**
 * The web listener over real sockets: IRC over WebSocket (subprotocols,
 * UTF-8, limits, sendq), the origin check, trusted proxies, HTTPS/WSS and
 * the page's static files.
 */

import { assertEquals, assertMatch, assertOk } from "./helpers/assert.ts";
import { openWebSocket } from "./helpers/irc_client.ts";
import {
  startTestServer,
  type TestServer,
  waitUntil,
  withServer,
} from "./helpers/server.ts";
import { serverTlsOptions, withPki } from "./helpers/tls.ts";
import {
  clientTextFrame,
  rawRequest,
  readResponseHead,
  upgradeRequest,
} from "./helpers/websocket.ts";
import type { StartOptions } from "../server.ts";

const WEB = { web: { port: 0 } } satisfies StartOptions;

/** Collects a raw WebSocket's messages and waits for one that matches. */
function collect(socket: WebSocket) {
  const messages: (string | ArrayBuffer)[] = [];
  let wake = () => {};
  socket.addEventListener("message", (event) => {
    messages.push(event.data);
    wake();
  });
  const text = (data: string | ArrayBuffer) =>
    typeof data === "string" ? data : new TextDecoder().decode(data);
  return {
    messages,
    async waitFor(pattern: RegExp): Promise<string | ArrayBuffer> {
      const deadline = setTimeout(() => wake(), 5000);
      try {
        for (let seen = 0;;) {
          for (; seen < messages.length; seen++) {
            if (pattern.test(text(messages[seen]))) return messages[seen];
          }
          const woken = new Promise<void>((resolve) => wake = resolve);
          const started = Date.now();
          await woken;
          if (Date.now() - started >= 5000) {
            throw new Error(
              `no message matching ${pattern}; got:\n${
                messages.map(text).join("\n")
              }`,
            );
          }
        }
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}

async function registerRaw(
  server: TestServer,
  nick: string,
  protocols: string[],
) {
  const socket = await openWebSocket(`ws://127.0.0.1:${server.webPort}/`, {
    protocols,
  });
  const inbox = collect(socket);
  socket.send(`NICK ${nick}`);
  socket.send(`USER ${nick} 0 * :${nick}`);
  await inbox.waitFor(/ 001 /);
  return { socket, inbox };
}

Deno.test("subprotocols are chosen in the client's order of preference", async () => {
  await withServer(WEB, async (server) => {
    const cases: [string[], string, "string" | "binary"][] = [
      [["binary.ircv3.net", "text.ircv3.net"], "binary.ircv3.net", "binary"],
      [["text.ircv3.net", "binary.ircv3.net"], "text.ircv3.net", "string"],
      [["binary.ircv3.net"], "binary.ircv3.net", "binary"],
      [["text.ircv3.net"], "text.ircv3.net", "string"],
      [["unknown.example", "text.ircv3.net"], "text.ircv3.net", "string"],
      [[], "", "string"],
    ];
    for (const [offered, chosen, kind] of cases) {
      const { socket, inbox } = await registerRaw(server, "sub", offered);
      assertEquals(socket.protocol, chosen, `offered ${offered}`);
      const welcome = await inbox.waitFor(/ 001 /);
      assertEquals(
        typeof welcome === "string" ? "string" : "binary",
        kind,
        `offered ${offered}`,
      );
      // One IRC line per message, without CR LF.
      for (const message of inbox.messages) {
        const text = typeof message === "string"
          ? message
          : new TextDecoder().decode(message);
        assertOk(!/[\r\n]/.test(text), `line with CR/LF: ${text}`);
      }
      socket.close();
      await waitUntil(
        () => server.server.context.state.users.size === 0,
        "the user is gone",
      );
    }
  });
});

Deno.test("a client offering only unknown subprotocols is spoken to in text", async () => {
  await withServer(WEB, async (server) => {
    const { socket, inbox } = await registerRaw(server, "odd", [
      "irc.example",
    ]);
    assertEquals(socket.protocol, "");
    assertEquals(typeof await inbox.waitFor(/ 001 /), "string");
    socket.close();
  });
});

Deno.test("invalid UTF-8 from a TCP user reaches web clients as U+FFFD, in text and binary frames", async () => {
  await withServer(WEB, async (server) => {
    const text = await registerRaw(server, "texto", ["text.ircv3.net"]);
    const binary = await registerRaw(server, "bina", ["binary.ircv3.net"]);
    const tcp = await server.client("tcp");
    for (const { socket } of [text, binary]) socket.send("JOIN #c");
    await text.inbox.waitFor(/ 366 texto /);
    await binary.inbox.waitFor(/ 366 bina /);
    await tcp.send("JOIN #c");
    await tcp.waitFor("366");
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("PRIVMSG #c :caf"),
      0xe9,
      0xff,
      ...new TextEncoder().encode(" ok\r\n"),
    ]);
    await tcp.sendRaw(bytes);
    const received = await text.inbox.waitFor(/PRIVMSG #c/);
    assertEquals(typeof received, "string");
    assertMatch(received as string, /:caf\uFFFD+ ok$/);
    const raw = new Uint8Array(
      await binary.inbox.waitFor(/PRIVMSG #c/) as ArrayBuffer,
    );
    // The server decodes every line with U+FFFD for invalid bytes, so even
    // binary frames carry valid UTF-8 (a fatal decoder would throw).
    assertMatch(
      new TextDecoder("utf-8", { fatal: true }).decode(raw),
      /:caf\uFFFD+ ok$/,
    );
    text.socket.close();
    binary.socket.close();
  });
});

Deno.test("web users are full users: chat with TCP users both ways, WHOIS, LUSERS", async () => {
  await withServer(WEB, async (server) => {
    const web = await server.webClient("ana", {
      protocols: ["text.ircv3.net"],
    });
    const tcp = await server.client("ben");
    await web.send("JOIN #general");
    await web.waitFor("366");
    await tcp.send("JOIN #general");
    await tcp.waitFor("366");
    await web.waitFor((m) =>
      m.command === "JOIN" && m.source?.startsWith("ben!") === true
    );
    await tcp.send("PRIVMSG #general :hola desde tcp");
    assertEquals(
      (await web.waitFor("PRIVMSG")).params,
      ["#general", "hola desde tcp"],
    );
    await web.send("PRIVMSG #general :hola desde la web");
    assertEquals(
      (await tcp.waitFor("PRIVMSG")).params,
      ["#general", "hola desde la web"],
    );
    await tcp.send("WHOIS ana");
    const whois = await tcp.waitFor("311");
    assertEquals(whois.params.slice(1, 4), ["ana", "ana", "127.0.0.1"]);
    await tcp.send("LUSERS");
    assertMatch(
      (await tcp.waitFor("251")).params.at(-1)!,
      /There are 2 users/,
    );
  });
});

Deno.test("a 600-byte line gets 417 and the web client stays usable", async () => {
  await withServer(WEB, async (server) => {
    const web = await server.webClient("long");
    await web.send(`PRIVMSG long :${"x".repeat(600)}`);
    const answer = await web.waitFor("417");
    assertEquals(answer.params[0], "long");
    await web.sync();
    await web.send("PRIVMSG long :short again");
    assertEquals((await web.waitFor("PRIVMSG")).params[1], "short again");
  });
});

Deno.test("a web client that stops reading is dropped at the sendq; others get every line in order", async () => {
  await withServer({ ...WEB, sendq: 65536 }, async (server) => {
    const port = server.webPort!;
    const stalled = await rawRequest(port, upgradeRequest(port));
    assertEquals(stalled.status, 101);
    for (const line of ["NICK sleepy", "USER s 0 * :s", "JOIN #c"]) {
      await stalled.conn.write(clientTextFrame(line));
    }
    const reader = await server.webClient("reader");
    await reader.send("JOIN #c");
    await reader.waitFor("366");
    const sender = await server.client("sender");
    await sender.send("JOIN #c");
    await sender.waitFor("366");
    await waitUntil(
      () => server.server.context.state.channels.get("#c")?.members.size === 3,
      "three members in #c",
    );
    // The stalled peer never reads: its TCP buffers, then the socket's
    // buffer, then the send queue fill until the server drops it.
    const padding = "y".repeat(400);
    let sent = 0;
    while (!server.logs.some((line) => /sleepy.*SendQ exceeded/.test(line))) {
      assertOk(sent < 200_000, "the stalled client was never dropped");
      const batch = [];
      for (let i = 0; i < 100; i++) {
        batch.push(`PRIVMSG #c :${sent++} ${padding}\r\n`);
      }
      await sender.sendRaw(batch.join(""));
      await sender.sync({ timeout: 20_000 });
    }
    for (let i = 0; i < sent; i++) {
      const message = await reader.waitFor("PRIVMSG", { timeout: 20_000 });
      assertEquals(message.params[1].split(" ")[0], String(i));
    }
    stalled.conn.close();
  });
});

Deno.test("--max-per-ip counts web and TCP connections together", async () => {
  await withServer({ ...WEB, maxPerIp: 1 }, async (server) => {
    await server.client("first");
    const refused = await server.connect({
      port: server.webPort!,
      webSocket: {},
    });
    const error = await refused.waitFor("ERROR");
    assertMatch(error.params[0], /Too many connections/);
  });
});

Deno.test("a cross-origin upgrade is refused with 403 unless --web-origin allows it", async () => {
  const options = {
    web: { port: 0, origins: ["https://chat.example.org"] },
  } satisfies StartOptions;
  await withServer(options, async (server) => {
    const port = server.webPort!;
    const cases: [string[], number][] = [
      [["Origin: http://evil.example"], 403],
      [["Origin: null"], 403],
      [[`Origin: http://127.0.0.1:${port}`], 101],
      [["Origin: https://chat.example.org"], 101],
      [[], 101],
    ];
    for (const [headers, status] of cases) {
      const response = await rawRequest(port, upgradeRequest(port, headers));
      assertEquals(response.status, status, headers.join());
      response.conn.close();
    }
    assertOk(
      server.logs.some((line) =>
        /origin http:\/\/evil.example not allowed/.test(line)
      ),
    );
  });
});

Deno.test("X-Forwarded-For and X-Real-IP are believed only from a trusted proxy", async () => {
  const forwarded = {
    headers: { "x-forwarded-for": "198.51.100.1, 203.0.113.7" },
  };
  await withServer(
    { web: { port: 0, trustedProxies: ["127.0.0.1"] } },
    async (server) => {
      const web = await server.webClient("proxied", forwarded);
      await web.send("WHOIS proxied");
      assertEquals((await web.waitFor("311")).params[3], "203.0.113.7");
      const real = await server.webClient("real", {
        headers: { "x-real-ip": "2001:db8::5" },
      });
      await real.send("WHOIS real");
      assertEquals((await real.waitFor("311")).params[3], "2001:db8::5");
    },
  );
  await withServer(WEB, async (server) => {
    const web = await server.webClient("direct", forwarded);
    await web.send("WHOIS direct");
    assertEquals((await web.waitFor("311")).params[3], "127.0.0.1");
  });
});

Deno.test("GET / serves the page; other paths are its files or 404, never outside them", async () => {
  await withServer(WEB, async (server) => {
    const base = `http://127.0.0.1:${server.webPort}`;
    const page = await fetch(`${base}/`);
    assertEquals(page.status, 200);
    assertMatch(page.headers.get("content-type")!, /^text\/html/);
    assertMatch(await page.text(), /<script[^>]+src="\/app\.js"/);
    const script = await fetch(`${base}/app.js`);
    assertEquals(script.status, 200);
    assertMatch(script.headers.get("content-type")!, /javascript/);
    await script.body?.cancel();
    const missing = await fetch(`${base}/nothing-here.css`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    const traversals = [
      "/../server.ts",
      "/../../etc/passwd",
      "/%2e%2e/server.ts",
      "/%2e%2e%2fserver.ts",
      "/..%2f..%2fdeno.json",
      "/..%5c..%5cdeno.json",
      "/%252e%252e%252fdeno.json",
      "/index.html%00.css",
      "//etc/passwd",
      "/.%2e/web/page/index.html",
      "/assets.ts",
    ];
    for (const path of traversals) {
      const response = await rawRequest(
        server.webPort!,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`,
      );
      assertEquals(response.status, 404, path);
      response.conn.close();
    }
  });
});

Deno.test(
  "with TLS the web listener serves HTTPS and WSS with the same certificate",
  withPki(async (pki) => {
    const tls = serverTlsOptions(pki);
    await withServer({ ...WEB, tls }, async (server) => {
      assertMatch(server.server.web!.url, /^https:\/\//);
      const client = Deno.createHttpClient({ caCerts: [pki.ca.cert] });
      try {
        const page = await fetch(`https://127.0.0.1:${server.webPort}/`, {
          client,
        });
        assertEquals(page.status, 200);
        await page.body?.cancel();
      } finally {
        client.close();
      }
      const port = server.webPort!;
      const upgrade = await rawRequest(port, upgradeRequest(port), {
        tls: { caCerts: [pki.ca.cert] },
      });
      assertEquals(upgrade.status, 101);
      await upgrade.conn.write(clientTextFrame("NICK secure"));
      await upgrade.conn.write(clientTextFrame("USER s 0 * :s"));
      await waitUntil(
        () =>
          server.server.context.state.users.size === 1 &&
          [...server.server.context.state.users.values()][0].secure,
        "a secure web user",
      );
      upgrade.conn.close();
    });
  }),
);

Deno.test("startServer without `web` opens no web listener", async () => {
  await using server = await startTestServer();
  assertEquals(server.server.web, undefined);
});

Deno.test("an optional web port that is taken is logged and the IRC server runs without it", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using server = await startTestServer({
    web: { port: taken.addr.port, optional: true },
  });
  assertEquals(server.server.web, undefined);
  assertOk(server.logs.some((line) => /web chat not started/.test(line)));
  await server.client("still");
});

/** Reads exactly `length` bytes from `conn`. */
async function readExactly(
  conn: Deno.Conn,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const count = await conn.read(out.subarray(at));
    if (count === null) {
      throw new Error(`closed after ${at} of ${length} bytes`);
    }
    at += count;
  }
  return out;
}

Deno.test("HTTP: keep-alive serves several requests on one socket; bad requests get 400, 413, 431", async () => {
  await withServer(WEB, async (server) => {
    const port = server.webPort!;
    const first = await rawRequest(port, "GET /style.css HTTP/1.1\r\nHost: x");
    assertEquals(first.status, 200);
    const length = Number(first.headers.get("content-length"));
    assertOk(length > 1000, `style.css is ${length} bytes`);
    await readExactly(first.conn, length);
    await first.conn.write(
      new TextEncoder().encode(
        "HEAD /style.css HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
      ),
    );
    // HEAD names the body's real length and sends none of it: the next
    // bytes are the following response's head.
    const head = await readResponseHead(first.conn);
    assertEquals(head.status, 200);
    assertEquals(Number(head.headers.get("content-length")), length);
    const missing = await readResponseHead(first.conn);
    assertEquals(missing.status, 404);
    first.conn.close();
    const cases: [string, number][] = [
      ["NONSENSE", 400],
      ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5", 413],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20000)}`, 431],
      [
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade",
        400,
      ],
    ];
    for (const [head, status] of cases) {
      const response = await rawRequest(port, head);
      assertEquals(response.status, status, head.slice(0, 40));
      response.conn.close();
    }
  });
});

Deno.test("WebSocket: ping gets pong; a text frame that is not UTF-8 closes with 1007", async () => {
  await withServer(WEB, async (server) => {
    const port = server.webPort!;
    const upgrade = await rawRequest(port, upgradeRequest(port));
    assertEquals(upgrade.status, 101);
    const ping = new Uint8Array([0x89, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
    await upgrade.conn.write(ping);
    assertEquals([...await readExactly(upgrade.conn, 4)], [
      0x8a,
      2,
      0x68,
      0x69,
    ]);
    // A masked (all-zero mask) text frame holding 0xff.
    await upgrade.conn.write(new Uint8Array([0x81, 0x81, 0, 0, 0, 0, 0xff]));
    const [opcode, length] = await readExactly(upgrade.conn, 2);
    const payload = await readExactly(upgrade.conn, length);
    assertEquals([opcode, payload[0] << 8 | payload[1]], [0x88, 1007]);
    assertEquals(await upgrade.conn.read(new Uint8Array(16)), null);
    upgrade.conn.close();
  });
});

Deno.test("web users get PING and the registration and ping deadlines, like TCP users", async () => {
  await withServer({
    ...WEB,
    pingInterval: 0.1,
    pingTimeout: 0.2,
    registrationTimeout: 0.2,
  }, async (server) => {
    const silent = await server.connect({
      port: server.webPort!,
      webSocket: {},
    });
    assertEquals(
      (await silent.waitFor("ERROR")).params[0],
      "Registration timeout",
    );
    const web = await server.webClient("quiet");
    const ping = await web.waitFor("PING");
    assertEquals(ping.params, ["tertulia.local"]);
    assertEquals((await web.waitFor("ERROR")).params[0], "Ping timeout");
  });
});
