/** Pure web-listener logic: subprotocol choice, origins, proxies, asset names, routes, flags. */

import { assertEquals, assertOk, assertRejects } from "./helpers/assert.ts";
import { parseServerArgs, UsageError } from "../server/options.ts";
import { assetName } from "../web/assets.ts";
import { isOriginAllowed } from "../web/origin.ts";
import { clientAddress } from "../web/proxy.ts";
import { type Route, routeRequest, textResponse } from "../web/routes.ts";
import { negotiateSubprotocol } from "../web/subprotocol.ts";

Deno.test("negotiateSubprotocol follows the client's order and defaults to text", () => {
  const cases: [string | null, string | undefined, string][] = [
    ["binary.ircv3.net, text.ircv3.net", "binary.ircv3.net", "binary"],
    ["text.ircv3.net,binary.ircv3.net", "text.ircv3.net", "text"],
    ["foo, binary.ircv3.net", "binary.ircv3.net", "binary"],
    ["foo", undefined, "text"],
    ["", undefined, "text"],
    [null, undefined, "text"],
  ];
  for (const [header, protocol, framing] of cases) {
    assertEquals(
      negotiateSubprotocol(header),
      { protocol, framing },
      header ?? "null",
    );
  }
});

Deno.test("isOriginAllowed: no Origin, same origin and listed origins pass", () => {
  const allowed = ["https://chat.example.org"];
  assertEquals(isOriginAllowed(null, "127.0.0.1:59480", allowed), true);
  assertEquals(
    isOriginAllowed("http://127.0.0.1:59480", "127.0.0.1:59480", []),
    true,
  );
  assertEquals(
    isOriginAllowed("http://LOCALHOST:59480", "localhost:59480", []),
    true,
  );
  assertEquals(
    isOriginAllowed("https://chat.example.org", "x:1", allowed),
    true,
  );
  assertEquals(
    isOriginAllowed("https://chat.example.org:443", "x:1", allowed),
    true,
  );
  assertEquals(
    isOriginAllowed("http://127.0.0.1:1", "127.0.0.1:59480", []),
    false,
  );
  assertEquals(isOriginAllowed("https://evil.example", "x:1", allowed), false);
  assertEquals(isOriginAllowed("null", "x:1", allowed), false);
  assertEquals(isOriginAllowed("not a url", "x:1", allowed), false);
  assertEquals(isOriginAllowed("https://evil.example", "x:1", ["*"]), true);
});

Deno.test("clientAddress believes forwarding headers only from trusted proxies", () => {
  const peer = { transport: "tcp" as const, hostname: "10.0.0.2", port: 5000 };
  const headers = (entries: Record<string, string>) => new Headers(entries);
  const xff = headers({ "x-forwarded-for": "1.2.3.4, 10.0.0.9, 10.0.0.3" });
  assertEquals(clientAddress(peer, xff, []).hostname, "10.0.0.2");
  assertEquals(clientAddress(peer, xff, ["10.0.0.2"]).hostname, "10.0.0.3");
  assertEquals(
    clientAddress(peer, xff, ["10.0.0.2", "10.0.0.3", "10.0.0.9"]).hostname,
    "1.2.3.4",
  );
  assertEquals(
    clientAddress(peer, headers({ "x-real-ip": "2001:db8::1" }), ["10.0.0.2"])
      .hostname,
    "2001:db8::1",
  );
  // Garbage never becomes a host name.
  assertEquals(
    clientAddress(peer, headers({ "x-forwarded-for": "evil host!" }), [
      "10.0.0.2",
    ]).hostname,
    "10.0.0.2",
  );
  const mapped = { ...peer, hostname: "::ffff:10.0.0.2" };
  assertEquals(
    clientAddress(mapped, headers({ "x-real-ip": "5.6.7.8" }), ["10.0.0.2"])
      .hostname,
    "5.6.7.8",
  );
});

Deno.test("assetName accepts plain file names only", () => {
  assertEquals(assetName("/style.css"), "style.css");
  for (
    const path of [
      "/",
      "/../x",
      "/%2e%2e/x",
      "/a/b.css",
      "/..%2fx",
      "/..%5cx",
      "/.hidden",
      "/x%00.css",
      "/%E0%A4%A",
    ]
  ) {
    assertEquals(assetName(path), undefined, path);
  }
});

Deno.test("routeRequest: first matching row, 405 for another method, 404 otherwise", async () => {
  const routes: Route[] = [
    { method: "GET", path: "/a", handle: () => textResponse(200, "a") },
    { method: "GET", path: "*", handle: () => textResponse(200, "any") },
  ];
  const ask = async (method: string, path: string) => {
    const request = new Request(`http://x${path}`, { method });
    const response = await routeRequest(routes, {
      request,
      url: new URL(request.url),
      remote: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
      secure: false,
    });
    assertOk(response instanceof Response);
    return [response.status, (await response.text()).trim()];
  };
  assertEquals(await ask("GET", "/a"), [200, "a"]);
  // HEAD gets GET's answer; the HTTP writer leaves the body out (web_socket_test).
  assertEquals(await ask("HEAD", "/a"), [200, "a"]);
  assertEquals(await ask("GET", "/b"), [200, "any"]);
  assertEquals(await ask("POST", "/a"), [405, "Method Not Allowed"]);
  assertEquals(await ask("POST", "/b"), [405, "Method Not Allowed"]);
  assertEquals(
    await routeRequest([], {
      request: new Request("http://x/"),
      url: new URL("http://x/"),
      remote: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
      secure: false,
    }).then((r) => r instanceof Response && r.status),
    404,
  );
});

Deno.test("web flags: on by default at 59480, --no-web, lists, bad values", async () => {
  const web = async (args: string[]) => {
    const parsed = await parseServerArgs(args);
    return parsed.help ? undefined : parsed.options.web;
  };
  assertEquals(await web([]), {
    port: 59480,
    origins: [],
    trustedProxies: [],
    optional: true,
  });
  assertEquals((await web(["--web-port", "0"]))?.port, 0);
  assertEquals((await web(["--web-port", "0"]))?.optional, false);
  assertEquals(await web(["--no-web"]), undefined);
  assertEquals(
    (await web([
      "--web-origin",
      "https://a.example,https://b.example:8443",
      "--web-origin",
      "http://c.example",
    ]))?.origins,
    ["https://a.example", "https://b.example:8443", "http://c.example"],
  );
  assertEquals(
    (await web(["--trusted-proxy", "127.0.0.1, ::1"]))?.trustedProxies,
    ["127.0.0.1", "::1"],
  );
  for (
    const [args, message] of [
      [["--web-port", "70000"], /--web-port must be an integer 0-65535/],
      [["--web-port", "x"], /--web-port/],
      [
        ["--no-web", "--web-port", "1"],
        /--no-web cannot be combined with --web-port/,
      ],
      [["--web-origin", "chat.example.org"], /--web-origin must be an origin/],
      [
        ["--web-origin", "https://a.example/path"],
        /--web-origin must be an origin/,
      ],
      [
        ["--trusted-proxy", "proxy.local"],
        /--trusted-proxy must be an IP address/,
      ],
    ] as const
  ) {
    const error = await assertRejects(parseServerArgs([...args]), UsageError);
    assertEquals(message.test(error.message), true, error.message);
  }
});
