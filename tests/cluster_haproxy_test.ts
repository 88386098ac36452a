/**
 * End to end behind a real TCP load balancer: three nodes behind HAProxy
 * (round robin), clients that land on different nodes chat as in one
 * server; a node killed with `kill -9` takes its clients' connections with
 * it, and they reconnect through HAProxy, land on live nodes, get their
 * nicks back and chat again. Skipped, saying so, without `redis-server` or
 * `haproxy`.
 *
 * @module
 */

import type { Message } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startCluster } from "./helpers/cluster.ts";
import { HAPROXY_AVAILABLE, startHaproxy } from "./helpers/haproxy.ts";
import { type IrcClient, nickOf } from "./helpers/irc_client.ts";
import { peerTestOptions } from "./helpers/peer_servers.ts";
import { REDIS_AVAILABLE } from "./helpers/redis.ts";

/** Longest wait for something that crosses nodes, generous for a loaded machine. */
const CROSS_NODE_MS = 20_000;
/** The 15 s a dead node's users take at most to split off, plus slack. */
const SPLIT_MS = 25_000;

/** A client registered through the balancer, and the node that welcomed it. */
interface Landed {
  nick: string;
  client: IrcClient;
  node: string;
}

/** Waits for `client`'s next PRIVMSG to `channel` and returns `nick text`. */
async function heard(client: IrcClient, channel: string): Promise<string> {
  const m: Message = await client.waitFor(
    (m) => m.command === "PRIVMSG" && m.params[0] === channel,
    { timeout: CROSS_NODE_MS },
  );
  return `${nickOf(m)} ${m.params[1]}`;
}

/** Each of `members` says a line in `channel`; each hears all the others' lines. */
async function chat(
  members: Landed[],
  channel: string,
  round: string,
): Promise<void> {
  for (const { nick, client } of members) {
    await client.send(`PRIVMSG ${channel} :${round} from ${nick}`);
  }
  for (const listener of members) {
    const lines: string[] = [];
    for (let i = 0; i < members.length - 1; i++) {
      lines.push(await heard(listener.client, channel));
    }
    assertEquals(
      lines.sort(),
      members.filter((other) => other !== listener).map(({ nick }) =>
        `${nick} ${round} from ${nick}`
      ).sort(),
      `what ${listener.nick} on ${listener.node} heard`,
    );
  }
}

Deno.test(
  peerTestOptions(
    "cluster behind HAProxy: clients on three nodes chat; after kill -9 of one node its clients reconnect through the balancer to live nodes and chat again",
    { "redis-server": REDIS_AVAILABLE, haproxy: HAPROXY_AVAILABLE },
  ),
  async () => {
    await using cluster = await startCluster();
    await using balancer = await startHaproxy(
      [1, 2, 3].map((node) => cluster.port(node)),
    );
    const channel = "#lb";
    const land = async (nick: string): Promise<Landed> => {
      const client = await balancer.connect();
      const burst = await client.register(nick);
      const welcome = burst.find((m) => m.command === "001");
      assertOk(welcome?.source, `no 001 for ${nick}`);
      return { nick, client, node: welcome.source };
    };

    // Round robin: three connections in a row reach three different nodes.
    const users: Landed[] = [];
    for (const nick of ["ana", "beto", "carla"]) users.push(await land(nick));
    assertEquals(
      users.map(({ node }) => node).sort(),
      ["node1", "node2", "node3"],
      balancer.log(),
    );
    for (const { client } of users) {
      await client.send(`JOIN ${channel}`);
      await client.waitFor((m) => m.command === "366", {
        timeout: CROSS_NODE_MS,
      });
    }
    const lastJoin = users.at(-1)!.nick;
    for (const { client } of users.slice(0, -1)) {
      await client.waitFor(
        (m) => m.command === "JOIN" && nickOf(m) === lastJoin,
        { timeout: CROSS_NODE_MS },
      );
    }
    await chat(users, channel, "hello");

    const victim = users.find(({ node }) => node === "node2")!;
    const survivors = users.filter((user) => user !== victim);
    await cluster.kill(2);
    await victim.client.closed;
    for (const { client } of survivors) {
      const quit = await client.waitFor("QUIT", { timeout: SPLIT_MS });
      assertEquals(
        [nickOf(quit), quit.params[0]],
        [victim.nick, "*.net *.split"],
      );
    }

    // The victim comes back with its nick, and two newcomers arrive: all on live nodes.
    const back = await land(victim.nick);
    const newcomers = [await land("dora"), await land("eloy")];
    for (const user of [back, ...newcomers]) {
      assertOk(
        user.node === "node1" || user.node === "node3",
        `${user.nick} landed on ${user.node}`,
      );
      await user.client.send(`JOIN ${channel}`);
      await user.client.waitFor((m) => m.command === "366", {
        timeout: CROSS_NODE_MS,
      });
    }
    for (const { client } of survivors) {
      await client.waitFor(
        (m) => m.command === "JOIN" && nickOf(m) === "eloy",
        { timeout: CROSS_NODE_MS },
      );
    }
    await chat([...survivors, back, ...newcomers], channel, "again");
  },
);
