/**
 * `GET /metrics`: the Prometheus text format, who may read it, and the
 * values moving with real clients over TCP, TLS and WebSocket.
 *
 * @module
 */

import { hashPassword } from "../accounts/passwords.ts";
import { renderPrometheus } from "../metrics/prometheus.ts";
import { isLoopback, mayReadMetrics } from "../metrics/route.ts";
import { disconnectCause } from "../metrics/traffic.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import type { IrcClient } from "./helpers/irc_client.ts";
import { parseMetrics } from "./helpers/metrics.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createTestPki, serverTlsOptions } from "./helpers/tls.ts";

/**
 * Scrapes `/metrics` (over HTTPS when `init.client` trusts the server's CA)
 * and returns each sample line's value by its name and labels.
 */
async function scrape(
  server: TestServer,
  init: RequestInit & { client?: Deno.HttpClient } = {},
): Promise<Map<string, number>> {
  const scheme = init.client === undefined ? "http" : "https";
  const response = await fetch(
    `${scheme}://127.0.0.1:${server.webPort}/metrics`,
    init,
  );
  assertEquals(response.status, 200);
  assertIncludes(response.headers.get("content-type") ?? "", "version=0.0.4");
  return parseMetrics(await response.text());
}

function value(samples: Map<string, number>, name: string): number {
  const found = samples.get(name);
  assertOk(found !== undefined, `no sample ${name} in ${[...samples.keys()]}`);
  return found;
}

async function joined(client: IrcClient, channel = "#m"): Promise<void> {
  await client.send(`JOIN ${channel}`);
  await client.waitFor("366");
}

Deno.test("renderPrometheus writes HELP, TYPE and escaped labels", () => {
  const text = renderPrometheus([
    {
      name: "tertulia_x_total",
      help: "What x counts.",
      type: "counter",
      samples: [{ labels: { reason: 'a"b\\c\nd' }, value: 3 }],
    },
    {
      name: "tertulia_y_seconds",
      help: "A summary.",
      type: "summary",
      samples: [{ suffix: "_sum", value: 0.5 }, { suffix: "_count", value: 2 }],
    },
  ]);
  assertEquals(
    text,
    [
      "# HELP tertulia_x_total What x counts.",
      "# TYPE tertulia_x_total counter",
      'tertulia_x_total{reason="a\\"b\\\\c\\nd"} 3',
      "# HELP tertulia_y_seconds A summary.",
      "# TYPE tertulia_y_seconds summary",
      "tertulia_y_seconds_sum 0.5",
      "tertulia_y_seconds_count 2",
      "",
    ].join("\n"),
  );
});

Deno.test("disconnect reasons map to the metric's causes; a user's own QUIT text never counts as a kill", () => {
  assertEquals(disconnectCause("SendQ exceeded"), "sendq");
  assertEquals(disconnectCause("Excess Flood"), "flood");
  assertEquals(disconnectCause("Ping timeout"), "ping");
  assertEquals(disconnectCause("Registration timeout"), "registration");
  assertEquals(disconnectCause("Killed (boss (spam))"), "kill");
  assertEquals(disconnectCause("Banned (spam)"), "ban");
  assertEquals(disconnectCause("Quit"), "quit");
  assertEquals(disconnectCause("Quit: Killed (fake)"), "quit");
  assertEquals(disconnectCause("Connection closed"), "closed");
});

Deno.test("metrics are for loopback peers, or others with the bearer token", () => {
  const peer = (hostname: string): Deno.NetAddr => ({
    transport: "tcp",
    hostname,
    port: 1,
  });
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) {
    assertOk(isLoopback(host), host);
  }
  for (const host of ["10.0.0.1", "::2", "128.0.0.1", "::ffff:10.0.0.1"]) {
    assertOk(!isLoopback(host), host);
  }
  assertEquals(mayReadMetrics(peer("127.0.0.1"), null, undefined), "allowed");
  assertEquals(mayReadMetrics(peer("10.0.0.1"), null, undefined), "forbidden");
  assertEquals(mayReadMetrics(peer("10.0.0.1"), null, "s3"), "needs-token");
  assertEquals(
    mayReadMetrics(peer("10.0.0.1"), "Bearer s4", "s3"),
    "needs-token",
  );
  assertEquals(mayReadMetrics(peer("10.0.0.1"), "Bearer s3", "s3"), "allowed");
  assertEquals(mayReadMetrics(peer("10.0.0.1"), "bearer  s3", "s3"), "allowed");
});

Deno.test("GET /metrics: connections by transport, users, channels, lines and deliveries move with real clients", async () => {
  await using server = await startTestServer({ web: { port: 0 } });
  const before = await scrape(server);
  assertEquals(value(before, 'tertulia_connections{transport="tcp"}'), 0);
  assertEquals(value(before, "tertulia_registered_users"), 0);
  assertEquals(value(before, "tertulia_channels"), 0);
  assertEquals(value(before, 'tertulia_info{version="tertulia-0.1.0"}'), 1);
  assertOk(value(before, "tertulia_resident_memory_bytes") > 1_000_000);
  assertOk(value(before, "tertulia_event_loop_lag_seconds") >= 0);
  // Without trusted proxies a forwarding header is not believed: still loopback.
  const header = await fetch(`http://127.0.0.1:${server.webPort}/metrics`, {
    headers: { "x-forwarded-for": "203.0.113.9" },
  });
  assertEquals(header.status, 200);
  await header.body?.cancel();

  const ana = await server.client("ana");
  const beto = await server.client("beto");
  const web = await server.webClient("carla");
  for (const client of [ana, beto, web]) await joined(client);
  await ana.send("PRIVMSG #m :hola");
  await beto.waitFor("PRIVMSG");
  await web.waitFor("PRIVMSG");
  await ana.send("PRIVMSG carla :privado");
  await web.waitFor("PRIVMSG");

  const during = await scrape(server);
  assertEquals(value(during, 'tertulia_connections{transport="tcp"}'), 2);
  assertEquals(value(during, 'tertulia_connections{transport="websocket"}'), 1);
  assertEquals(value(during, 'tertulia_connections{transport="tls"}'), 0);
  assertEquals(value(during, "tertulia_registered_users"), 3);
  assertEquals(value(during, "tertulia_channels"), 1);
  // Two to the channel's other members, one private.
  assertEquals(value(during, "tertulia_deliveries_total"), 3);
  // NICK, USER and JOIN from each, two PRIVMSGs from ana.
  assertOk(value(during, "tertulia_lines_in_total") >= 3 * 3 + 2);
  assertOk(
    value(during, "tertulia_lines_out_total") >
      value(during, "tertulia_lines_in_total"),
  );

  await ana.send("QUIT :adios");
  await ana.closed;
  await beto.waitFor("QUIT");
  const after = await scrape(server);
  assertEquals(value(after, 'tertulia_connections{transport="tcp"}'), 1);
  assertEquals(value(after, "tertulia_registered_users"), 2);
  assertEquals(value(after, 'tertulia_disconnects_total{reason="quit"}'), 1);
  assertEquals(
    value(after, 'tertulia_connections_accepted_total{transport="tcp"}'),
    2,
  );
});

Deno.test("GET /metrics over HTTPS counts TLS clients apart", async () => {
  const pki = await createTestPki();
  try {
    await using server = await startTestServer({
      web: { port: 0 },
      tls: serverTlsOptions(pki),
    });
    using client = Deno.createHttpClient({ caCerts: [pki.ca.cert] });
    const secure = await server.connect({
      port: server.server.addresses[1].port,
      tls: { caCerts: [pki.ca.cert] },
    });
    await secure.register("beto");
    const samples = await scrape(server, { client });
    assertEquals(value(samples, 'tertulia_connections{transport="tls"}'), 1);
    assertEquals(value(samples, 'tertulia_connections{transport="tcp"}'), 0);
    assertEquals(value(samples, "tertulia_registered_users"), 1);
  } finally {
    await Deno.remove(pki.dir, { recursive: true });
  }
});

Deno.test("GET /metrics counts disconnects by reason: ping, flood, kill", async () => {
  const password = "operpassword";
  await using server = await startTestServer({
    web: { port: 0 },
    pingInterval: 0.1,
    pingTimeout: 0.3,
    floodRate: 1,
    floodBurst: 5,
    recvq: 8192,
    opers: [{ name: "boss", hash: await hashPassword(password) }],
  });
  const witness = await server.client("witness");
  await joined(witness);
  // The witness answers PINGs, so only the silent one times out.
  const answering = (async () => {
    while (!witness.isClosed) {
      const ping = await witness.waitFor("PING", { timeout: 10_000 }).catch(
        () => undefined,
      );
      if (ping === undefined) return;
      await witness.send(`PONG :${ping.params[0]}`).catch(() => {});
    }
  })();

  const silent = await server.client("silent");
  await joined(silent);
  await silent.waitFor("ERROR", { timeout: 5000 });

  const flooder = await server.client("flooder");
  await joined(flooder);
  await flooder.sendRaw(
    Array.from({ length: 100 }, () => `PRIVMSG #m :${"f".repeat(400)}`).join(
      "\r\n",
    ) + "\r\n",
  ).catch(() => {});
  await flooder.waitFor("ERROR");

  const boss = await server.client("boss");
  const victim = await server.client("victim");
  await boss.send(`OPER boss ${password}`);
  await boss.waitFor("381", { timeout: 30_000 });
  await boss.send("KILL victim :spam");
  await victim.waitFor("ERROR");

  const samples = await scrape(server);
  assertEquals(value(samples, 'tertulia_disconnects_total{reason="ping"}'), 1);
  assertEquals(value(samples, 'tertulia_disconnects_total{reason="flood"}'), 1);
  assertEquals(value(samples, 'tertulia_disconnects_total{reason="kill"}'), 1);
  assertEquals(value(samples, 'tertulia_disconnects_total{reason="sendq"}'), 0);
  await witness.close();
  await answering;
});

Deno.test("GET /metrics shows the history queue and commits when history is on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia_metrics_" });
  try {
    await using server = await startTestServer({
      web: { port: 0 },
      db: `${dir}/chat.db`,
      historyCommitMs: 0,
    });
    const ana = await server.client("ana");
    await joined(ana);
    await ana.send("PRIVMSG #m :stored");
    await ana.sync();
    const samples = await scrape(server);
    assertEquals(value(samples, "tertulia_history_queue_depth"), 0);
    assertOk(value(samples, "tertulia_history_commit_seconds_count") >= 1);
    assertOk(value(samples, "tertulia_history_commit_seconds_sum") > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GET /metrics: a peer behind a trusted proxy is refused without metrics-token, and needs it when one is set", async () => {
  {
    await using open = await startTestServer({
      web: { port: 0, trustedProxies: ["127.0.0.1"] },
    });
    const refused = await fetch(`http://127.0.0.1:${open.webPort}/metrics`, {
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    assertEquals(refused.status, 403);
    assertIncludes(await refused.text(), "loopback");
  }
  await using server = await startTestServer({
    web: { port: 0, trustedProxies: ["127.0.0.1"] },
    metricsToken: "s3cret",
  });
  const forwarded = { "x-forwarded-for": "203.0.113.9" };
  const url = `http://127.0.0.1:${server.webPort}/metrics`;
  const refused = await fetch(url, { headers: forwarded });
  assertEquals(refused.status, 401);
  assertEquals(
    refused.headers.get("www-authenticate"),
    'Bearer realm="metrics"',
  );
  await refused.body?.cancel();
  const samples = await scrape(server, {
    headers: { ...forwarded, authorization: "Bearer s3cret" },
  });
  assertEquals(value(samples, "tertulia_registered_users"), 0);
  const wrong = await fetch(url, {
    headers: { ...forwarded, authorization: "Bearer nope" },
  });
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
});
