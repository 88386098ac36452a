/**
 * What a network shares besides its live state, proven with real node
 * processes over a throwaway Redis: an account registered on one node logs
 * in on the others (also on a node started afterwards), a login is
 * announced across nodes, a node that was down stores the channel lines it
 * missed so CHATHISTORY answers alike everywhere, and a node stopped with
 * SIGTERM splits its users off at once. Skipped, saying so, without
 * `redis-server`.
 *
 * @module
 */

import type { Message } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startCluster } from "./helpers/cluster.ts";
import { type IrcClient, nickOf } from "./helpers/irc_client.ts";
import { parseMetrics } from "./helpers/metrics.ts";
import { redisTestOptions, startRedis } from "./helpers/redis.ts";
import { requestSasl, saslPlain } from "./helpers/sasl_client.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

/** Longest wait for something that crosses nodes, generous for a loaded machine. */
const CROSS_NODE_MS = 20_000;
const PASSWORD = "correct horse battery";

/** Joins `channel` and waits for the end of its NAMES. */
async function join(client: IrcClient, channel: string): Promise<void> {
  await client.send(`JOIN ${channel}`);
  await client.waitFor((m) => m.command === "366" && m.params[1] === channel);
}

/** Logs in with SASL PLAIN on node `node` before registering as `nick`; the SASL numeric. */
async function saslLogin(
  cluster: Awaited<ReturnType<typeof startCluster>>,
  node: number,
  nick: string,
): Promise<{ numeric: string; client: IrcClient }> {
  const client = await cluster.connect(node);
  await requestSasl(client);
  const { numeric } = await saslPlain(client, "ana", PASSWORD);
  await client.send("CAP END");
  await client.register(nick);
  return { numeric, client };
}

Deno.test(
  redisTestOptions(
    "cluster: an account registered on node 1 logs in with SASL on node 2 and on a node started later; the login is announced on other nodes",
  ),
  async () => {
    await using cluster = await startCluster({ history: true });
    await cluster.stop(3);
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto", ["account-notify"]);
    await join(ana, "#c");
    await join(beto, "#c");
    await ana.send(`REGISTER * * :${PASSWORD}`);
    const registered = await ana.waitFor((m) => m.command === "REGISTER", {
      timeout: CROSS_NODE_MS,
    });
    assertEquals(registered.params.slice(0, 2), ["SUCCESS", "ana"]);
    const notice = await beto.waitFor((m) => m.command === "ACCOUNT", {
      timeout: CROSS_NODE_MS,
    });
    assertEquals([nickOf(notice), notice.params[0]], ["ana", "ana"]);

    const onTwo = await saslLogin(cluster, 2, "ana2");
    assertEquals(onTwo.numeric, "903");
    await cluster.start(3);
    const onThree = await saslLogin(cluster, 3, "ana3");
    assertEquals(onThree.numeric, "903");
    await beto.send("WHOIS ana3");
    const account = await beto.waitFor((m) => m.command === "330", {
      timeout: CROSS_NODE_MS,
    });
    assertEquals(account.params.slice(1, 3), ["ana3", "ana"]);
  },
);

Deno.test(
  redisTestOptions(
    "cluster: a node that was down stores the lines sent meanwhile, once each, so CHATHISTORY answers alike on every node",
  ),
  async () => {
    await using cluster = await startCluster({ history: true, nodes: 2 });
    const caps = ["message-tags", "server-time", "echo-message"];
    const ana = await cluster.client(1, "ana", caps);
    const beto = await cluster.client(2, "beto", caps);
    await join(ana, "#h");
    await join(beto, "#h");
    const sent: Message[] = [];
    const say = async (text: string) => {
      await ana.send(`PRIVMSG #h :${text}`);
      sent.push(
        await ana.waitFor((m) => m.command === "PRIVMSG", {
          timeout: CROSS_NODE_MS,
        }),
      );
    };
    await say("before");
    await beto.waitFor((m) => m.command === "PRIVMSG");
    await cluster.kill(2);
    await say("while node 2 is down");
    await say("still down");
    await cluster.start(2);
    // Twice: the second start must not store the lines again.
    await cluster.stop(2);
    await cluster.start(2);

    const line = (m: Message) =>
      `${m.tags.msgid} ${m.tags.time} ${m.params[1]}`;
    for (const node of [1, 2]) {
      const asker = await cluster.client(node, `asker${node}`, [
        ...caps,
        "batch",
        "draft/chathistory",
      ]);
      await join(asker, "#h");
      await asker.send("CHATHISTORY LATEST #h * 10");
      const lines: Message[] = [];
      await asker.waitFor((m) => {
        if (m.command === "PRIVMSG") lines.push(m);
        return m.command === "BATCH" && m.params[0].startsWith("-");
      }, { timeout: CROSS_NODE_MS });
      assertEquals(lines.map(line), sent.map(line), `node${node}`);
    }
  },
);

Deno.test(
  redisTestOptions(
    "cluster: a node stopped with SIGTERM splits its users off on the others at once",
  ),
  async () => {
    await using cluster = await startCluster({ nodes: 2 });
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    await join(ana, "#t");
    await join(beto, "#t");
    await ana.waitFor((m) => m.command === "JOIN" && nickOf(m) === "beto", {
      timeout: CROSS_NODE_MS,
    });
    await cluster.stop(2);
    // Well before a lease could run out and be noticed (8 s, then two checks): the node said it left.
    const quit = await ana.waitFor((m) => m.command === "QUIT", {
      timeout: 6000,
    });
    assertEquals([nickOf(quit), quit.params[0]], ["beto", "*.net *.split"]);
  },
);

/** `GET /metrics` of `server`'s web port, as sample name to value. */
async function metrics(server: TestServer): Promise<Map<string, number>> {
  const response = await fetch(
    `http://127.0.0.1:${server.webPort}/metrics`,
  );
  return parseMetrics(await response.text());
}

Deno.test(
  redisTestOptions(
    "cluster: GET /metrics tells whether Redis is reachable, how many nodes and users of other nodes there are, and entries applied",
  ),
  async () => {
    await using redis = await startRedis();
    const node = (name: string) =>
      startTestServer({ redis: redis.url, name, web: { port: 0 } });
    await using one = await node("node1");
    await using two = await node("node2");
    const ana = await one.client("ana");
    await join(ana, "#m");
    const beto = await two.client("beto");
    await join(beto, "#m");
    await ana.waitFor((m) => m.command === "JOIN" && nickOf(m) === "beto", {
      timeout: CROSS_NODE_MS,
    });
    const seen = await metrics(one);
    assertEquals(seen.get("tertulia_cluster_online"), 1);
    assertEquals(seen.get("tertulia_cluster_nodes"), 2);
    assertEquals(seen.get("tertulia_cluster_remote_users"), 1);
    assertEquals(seen.get("tertulia_registered_users"), 2);
    assertOk((seen.get("tertulia_cluster_entries_applied_total") ?? 0) >= 4);

    await redis.kill();
    const down = await waitForValue(one, "tertulia_cluster_online", 0);
    assertEquals(down.get("tertulia_cluster_online"), 0);
    assertEquals(down.get("tertulia_cluster_remote_users"), 1);
  },
);

/** Scrapes `server` until sample `name` has `value` (Redis loss is noticed asynchronously). */
async function waitForValue(
  server: TestServer,
  name: string,
  value: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + CROSS_NODE_MS;
  while (true) {
    const samples = await metrics(server);
    if (samples.get(name) === value || Date.now() > deadline) return samples;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
