/**
 * A network of three `server.ts` processes over one Redis behaves as one
 * server: nicks are unique across nodes, a channel has one truth and one
 * order for every member on every node, queries see everyone, history is
 * replayed across nodes, a node killed with `kill -9` splits off (and leaves
 * no ghosts when it comes back), and a Redis restart keeps users connected
 * and chat going. Skipped, saying so, without `redis-server`.
 *
 * @module
 */

import type { Message } from "../protocol.ts";
import { assertEquals, assertMatch, assertOk } from "./helpers/assert.ts";
import { startCluster, type TestCluster } from "./helpers/cluster.ts";
import { type IrcClient, nickOf } from "./helpers/irc_client.ts";
import { redisTestOptions } from "./helpers/redis.ts";

/** Longest wait for something that crosses nodes, generous for a loaded machine. */
const CROSS_NODE_MS = 20_000;
/**
 * Longest wait for a dead node's users to split off: the 15 s the network
 * promises, plus slack for a loaded machine.
 */
const SPLIT_MS = 25_000;

const TAG_CAPS = ["message-tags", "server-time"];

/** Resolves with `client`'s next message with `command` whose first parameter is `target`. */
function next(
  client: IrcClient,
  command: string,
  target?: string,
  timeout = CROSS_NODE_MS,
): Promise<Message> {
  return client.waitFor(
    (m) =>
      m.command === command && (target === undefined || m.params[0] === target),
    { timeout },
  );
}

/** Joins `channel` and waits for the end of its NAMES reply. */
async function join(client: IrcClient, channel: string): Promise<void> {
  await client.send(`JOIN ${channel}`);
  await client.waitFor((m) => m.command === "366" && m.params[1] === channel, {
    timeout: CROSS_NODE_MS,
  });
}

/** Asks NAMES for `channel` and returns the nicks (with prefixes), sorted. */
async function names(client: IrcClient, channel: string): Promise<string[]> {
  await client.send(`NAMES ${channel}`);
  const listed: string[] = [];
  while (true) {
    const m = await client.waitFor(
      (m) =>
        (m.command === "353" && m.params[2] === channel) ||
        (m.command === "366" && m.params[1] === channel),
      { timeout: CROSS_NODE_MS },
    );
    if (m.command === "366") return listed.sort();
    listed.push(...m.params[3].split(" ").filter((nick) => nick !== ""));
  }
}

/** Sends WHOIS `nick` and returns every reply up to its 318 (or the 401 and 318). */
async function whois(client: IrcClient, nick: string): Promise<Message[]> {
  await client.send(`WHOIS ${nick}`);
  const replies: Message[] = [];
  while (true) {
    const m = await client.waitFor(
      (m) => /^(31\d|401|330|338|378|379|671|276|307|320)$/.test(m.command),
      { timeout: CROSS_NODE_MS },
    );
    replies.push(m);
    if (m.command === "318") return replies;
  }
}

/** Waits for `client`'s next `chathistory` batch to open and close, and returns its PRIVMSGs. */
async function nextBatch(client: IrcClient): Promise<Message[]> {
  const open = await client.waitFor(
    (m) => m.command === "BATCH" && m.params[0].startsWith("+"),
    { timeout: CROSS_NODE_MS },
  );
  assertEquals(open.params[1], "chathistory");
  const ref = open.params[0].slice(1);
  await client.waitFor((m) =>
    m.command === "BATCH" && m.params[0] === `-${ref}`
  );
  return client.messages.filter((m) =>
    m.tags.batch === ref && m.command === "PRIVMSG"
  );
}

/**
 * Connects to node `node` and sends NICK and USER as `nick`, returning the
 * client and the first answer that ends the attempt (001, 433, 400, ...).
 */
async function tryRegister(
  cluster: TestCluster,
  node: number,
  nick: string,
): Promise<{ client: IrcClient; answer: Message }> {
  const client = await cluster.connect(node);
  await client.send(`NICK ${nick}`);
  await client.send(`USER ${nick} 0 * :Test ${nick}`);
  const answer = await client.waitFor(
    (m) => ["001", "400", "432", "433", "ERROR"].includes(m.command),
    { timeout: CROSS_NODE_MS },
  );
  return { client, answer };
}

Deno.test(
  redisTestOptions(
    "cluster: a nick taken on one node is 433 on the others, whatever its case, and free again once its user quits",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const witness = await cluster.client(3, "witness");
    await join(ana, "#c");
    await join(witness, "#c");

    for (const [node, nick] of [[2, "ANA"], [3, "aNa"], [1, "Ana"]] as const) {
      const { answer } = await tryRegister(cluster, node, nick);
      assertEquals(answer.command, "433", `${nick} on node${node}`);
    }
    const beto = await cluster.client(2, "beto");
    await beto.send("NICK AnA");
    const refused = await next(beto, "433");
    assertEquals(refused.params[1], "AnA");

    // Two new clients on two nodes claim one nick at once: exactly one wins.
    const [first, second] = await Promise.all([
      tryRegister(cluster, 2, "Dup"),
      tryRegister(cluster, 3, "dUP"),
    ]);
    assertEquals(
      [first.answer.command, second.answer.command].sort(),
      ["001", "433"],
    );

    await ana.send("QUIT :bye");
    const quit = await next(witness, "QUIT");
    assertEquals(nickOf(quit), "ana");
    const { answer } = await tryRegister(cluster, 3, "ANA");
    assertEquals(answer.command, "001");
  },
);

Deno.test(
  redisTestOptions(
    "cluster: 50 messages sent alternately from three nodes, with a join, a part and a mode among them, reach every member on every node in one order with the same msgid and time",
  ),
  async () => {
    await using cluster = await startCluster();
    const channel = "#order";
    const senders: IrcClient[] = [];
    const members: { name: string; client: IrcClient; tagged: boolean }[] = [];
    for (let node = 1; node <= 3; node++) {
      const sender = await cluster.client(node, `s${node}`, [
        ...TAG_CAPS,
        "echo-message",
      ]);
      senders.push(sender);
      members.push({ name: `s${node}`, client: sender, tagged: true });
      members.push({
        name: `t${node}`,
        client: await cluster.client(node, `t${node}`, TAG_CAPS),
        tagged: true,
      });
      members.push({
        name: `p${node}`,
        client: await cluster.client(node, `p${node}`),
        tagged: false,
      });
    }
    const drifter = await cluster.client(3, "drifter");
    for (const { client } of members) await join(client, channel);

    // Everyone is in once they all see this; what follows is compared.
    await senders[0].send(`PRIVMSG ${channel} :start`);
    await Promise.all(
      members.map(({ client }) =>
        client.waitFor(
          (m) => m.command === "PRIVMSG" && m.params[1] === "start",
          { timeout: CROSS_NODE_MS },
        )
      ),
    );

    for (let i = 0; i < 50; i++) {
      await senders[i % 3].send(`PRIVMSG ${channel} :m${i}`);
      if (i === 10) await drifter.send(`JOIN ${channel}`);
      if (i === 20) await senders[0].send(`MODE ${channel} +v s2`);
      if (i === 30) await drifter.send(`PART ${channel} :bye`);
    }
    const events = 50 + 3;
    const inChannel = (m: Message) =>
      ["PRIVMSG", "JOIN", "PART", "MODE"].includes(m.command) &&
      m.params[0] === channel;
    const seen = await Promise.all(members.map(async ({ client }) => {
      const got: Message[] = [];
      while (got.length < events) {
        got.push(await client.waitFor(inChannel, { timeout: CROSS_NODE_MS }));
      }
      return got;
    }));

    const plain = (m: Message) =>
      `${m.source} ${m.command} ${m.params.join(" ")}`;
    const tagged = (m: Message) => `${m.tags.msgid} ${m.tags.time} ${plain(m)}`;
    const reference = seen[0];
    members.forEach(({ name, tagged: hasTags }, i) => {
      assertEquals(
        seen[i].map(plain),
        reference.map(plain),
        `${name} saw another order`,
      );
      if (hasTags) {
        assertEquals(
          seen[i].map(tagged),
          reference.map(tagged),
          `${name} saw other msgids or times`,
        );
      }
    });

    const texts = reference.filter((m) => m.command === "PRIVMSG").map((m) =>
      m.params[1]
    );
    assertEquals(
      [...texts].sort(),
      Array.from({ length: 50 }, (_, i) => `m${i}`).sort(),
    );
    for (let node = 1; node <= 3; node++) {
      const own = reference.filter((m) =>
        m.command === "PRIVMSG" && nickOf(m) === `s${node}`
      ).map((m) => Number(m.params[1].slice(1)));
      assertEquals(own, [...own].sort((a, b) => a - b), `s${node} reordered`);
    }
    const msgids = reference.filter((m) => m.command === "PRIVMSG").map((m) =>
      m.tags.msgid
    );
    assertOk(msgids.every((id) => id !== undefined && id !== ""));
    assertEquals(new Set(msgids).size, msgids.length, "a msgid twice");
    // Lines of different clients may interleave either way; one client's keep their order.
    const others = reference.filter((m) => m.command !== "PRIVMSG").map((m) =>
      `${nickOf(m)} ${m.command} ${m.params.join(" ")}`
    );
    assertEquals([...others].sort(), [
      `drifter JOIN ${channel}`,
      `drifter PART ${channel} bye`,
      `s1 MODE ${channel} +v s2`,
    ]);
    assertOk(
      others.indexOf(`drifter JOIN ${channel}`) <
        others.indexOf(`drifter PART ${channel} bye`),
    );
  },
);

Deno.test(
  redisTestOptions(
    "cluster: NAMES, WHO, WHOIS, ISON, LUSERS and LINKS on any node see the users and nodes of all nodes",
  ),
  async () => {
    await using cluster = await startCluster();
    const users = [
      await cluster.client(1, "ana"),
      await cluster.client(2, "beto"),
      await cluster.client(3, "carla"),
    ];
    for (const user of users) await join(user, "#plaza");
    // The last join has reached every node once the other members see it.
    for (const user of users.slice(0, 2)) {
      await user.waitFor((m) => m.command === "JOIN" && nickOf(m) === "carla", {
        timeout: CROSS_NODE_MS,
      });
    }

    for (const user of users) {
      assertEquals(await names(user, "#plaza"), ["@ana", "beto", "carla"]);
      await user.send("ISON ana beto carla nobody");
      const ison = await next(user, "303");
      assertEquals(ison.params[1].split(" ").sort(), ["ana", "beto", "carla"]);
      await user.send("WHO #plaza");
      const who: string[] = [];
      while (true) {
        const m = await user.waitFor(
          (m) => m.command === "352" || m.command === "315",
          { timeout: CROSS_NODE_MS },
        );
        if (m.command === "315") break;
        who.push(`${m.params[5]}@${m.params[4]}`);
      }
      assertEquals(who.sort(), ["ana@node1", "beto@node2", "carla@node3"]);
      await user.send("LUSERS");
      assertMatch(
        (await next(user, "251")).params[1],
        /^There are 3 users and 0 invisible on 3 servers$/,
      );
      assertEquals((await next(user, "266")).params[1], "3");
      await user.send("LINKS");
      const links: string[] = [];
      while (true) {
        const m = await user.waitFor(
          (m) => m.command === "364" || m.command === "365",
          { timeout: CROSS_NODE_MS },
        );
        if (m.command === "365") break;
        links.push(m.params[1]);
      }
      assertEquals(links.sort(), ["node1", "node2", "node3"]);
    }

    const replies = await whois(users[0], "carla");
    const byNumeric = new Map(replies.map((m) => [m.command, m]));
    assertEquals(byNumeric.get("311")?.params.slice(1, 3), ["carla", "carla"]);
    assertEquals(byNumeric.get("311")?.params.at(-1), "Test carla");
    assertEquals(byNumeric.get("312")?.params[2], "node3");
    assertMatch(byNumeric.get("319")?.params.at(-1) ?? "", /#plaza/);
    const gone = await whois(users[2], "nobody");
    assertEquals(gone[0].command, "401");
  },
);

Deno.test(
  redisTestOptions(
    "cluster: modes are one truth: +m set on node 1 silences a user on node 2, +k and +b bind joiners on node 3, +o given on node 1 lets a node 2 user kick",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    const carla = await cluster.client(3, "carla");
    await join(ana, "#quiet");
    await join(beto, "#quiet");

    await ana.send("MODE #quiet +m");
    await next(beto, "MODE", "#quiet");
    await beto.send("PRIVMSG #quiet :can you hear me");
    const silenced = await next(beto, "404");
    assertEquals(silenced.params[1], "#quiet");
    await ana.send("MODE #quiet +v beto");
    await next(beto, "MODE", "#quiet");
    await beto.send("PRIVMSG #quiet :now");
    // One order per channel: had the first line got through, it would come first.
    const heard = await next(ana, "PRIVMSG", "#quiet");
    assertEquals(heard.params[1], "now");

    await ana.send("MODE #quiet +k sesame");
    await next(beto, "MODE", "#quiet");
    await carla.send("JOIN #quiet");
    assertEquals((await next(carla, "475")).params[1], "#quiet");
    await ana.send("MODE #quiet -k+b sesame carla!*@*");
    await next(beto, "MODE", "#quiet");
    await carla.send("JOIN #quiet");
    assertEquals((await next(carla, "474")).params[1], "#quiet");
    await ana.send("MODE #quiet -b carla!*@*");
    await next(beto, "MODE", "#quiet");
    await join(carla, "#quiet");

    await beto.send("KICK #quiet carla :not yet");
    assertEquals((await next(beto, "482")).params[1], "#quiet");
    await ana.send("MODE #quiet +o beto");
    await next(carla, "MODE", "#quiet");
    await beto.send("KICK #quiet carla :now you go");
    const kicked = await next(carla, "KICK", "#quiet");
    assertEquals([nickOf(kicked), kicked.params[1]], ["beto", "carla"]);
    await next(ana, "KICK", "#quiet");
    assertEquals(await names(ana, "#quiet"), ["@ana", "@beto"]);
  },
);

Deno.test(
  redisTestOptions(
    "cluster: a topic set on node 1 is seen by a member on node 2 and by a joiner on node 3",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    const carla = await cluster.client(3, "carla");
    await join(ana, "#t");
    await join(beto, "#t");
    await ana.send("TOPIC #t :hello from node one");
    const change = await next(beto, "TOPIC", "#t");
    assertEquals([nickOf(change), change.params[1]], [
      "ana",
      "hello from node one",
    ]);
    await carla.send("JOIN #t");
    const topic = await next(carla, "332");
    assertEquals(topic.params.slice(1), ["#t", "hello from node one"]);
    const setter = await next(carla, "333");
    assertEquals(setter.params[1], "#t");
    assertMatch(setter.params[2], /^ana\b/);
    await beto.send("TOPIC #t");
    assertEquals((await next(beto, "332")).params[2], "hello from node one");
  },
);

Deno.test(
  redisTestOptions(
    "cluster: a client that sends QUIT and closes at once leaves with its reason on its own node as on the others",
  ),
  async () => {
    await using cluster = await startCluster({ nodes: 2 });
    const leaver = await cluster.client(1, "leaver");
    const here = await cluster.client(1, "here");
    const there = await cluster.client(2, "there");
    for (const user of [leaver, here, there]) await join(user, "#bye");
    for (const user of [leaver, here]) {
      await user.waitFor((m) => m.command === "JOIN" && nickOf(m) === "there", {
        timeout: CROSS_NODE_MS,
      });
    }
    // As irc-framework and many clients do: no wait for the server's ERROR.
    await leaver.send("QUIT :see you");
    await leaver.close();
    for (const witness of [here, there]) {
      const quit = await next(witness, "QUIT");
      assertEquals([nickOf(quit), quit.params[0]], ["leaver", "Quit: see you"]);
    }
  },
);

Deno.test(
  redisTestOptions(
    "cluster: with a history file per node, a joiner on node 3 gets the replay of lines sent on node 1, and CHATHISTORY answers alike on every node",
  ),
  async () => {
    await using cluster = await startCluster({ history: true });
    const ana = await cluster.client(1, "ana", [...TAG_CAPS, "echo-message"]);
    await join(ana, "#h");
    const sent: Message[] = [];
    for (let i = 0; i < 3; i++) {
      await ana.send(`PRIVMSG #h :line ${i}`);
      sent.push(await next(ana, "PRIVMSG", "#h"));
    }
    const line = (m: Message) =>
      `${m.tags.msgid} ${m.tags.time} ${m.params[1]}`;
    const expected = sent.map(line);

    const carla = await cluster.client(3, "carla", ["batch", ...TAG_CAPS]);
    await carla.send("JOIN #h");
    assertEquals((await nextBatch(carla)).map(line), expected);

    for (let node = 1; node <= 3; node++) {
      const asker = await cluster.client(node, `asker${node}`, [
        "batch",
        ...TAG_CAPS,
        "draft/chathistory",
      ]);
      await asker.send("JOIN #h");
      assertEquals(
        (await nextBatch(asker)).map(line),
        expected,
        `replay on node${node}`,
      );
      await asker.send("CHATHISTORY LATEST #h * 10");
      assertEquals(
        (await nextBatch(asker)).map(line),
        expected,
        `CHATHISTORY on node${node}`,
      );
    }
  },
);

Deno.test(
  redisTestOptions(
    "cluster: kill -9 of a node: its users quit with *.net *.split on the others, their nicks are free, and the node restarted shows no ghosts",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    await cluster.client(2, "bruno");
    const carla = await cluster.client(3, "carla");
    for (const user of [ana, beto, carla]) await join(user, "#k");
    await ana.waitFor((m) => m.command === "JOIN" && nickOf(m) === "carla", {
      timeout: CROSS_NODE_MS,
    });

    await cluster.kill(2);
    for (const witness of [ana, carla]) {
      const quit = await next(witness, "QUIT", undefined, SPLIT_MS);
      assertEquals([nickOf(quit), quit.params[0]], ["beto", "*.net *.split"]);
    }
    assertEquals(await names(ana, "#k"), ["@ana", "carla"]);
    assertEquals((await whois(carla, "bruno"))[0].command, "401");
    assertEquals((await tryRegister(cluster, 1, "BETO")).answer.command, "001");
    assertEquals(
      (await tryRegister(cluster, 3, "Bruno")).answer.command,
      "001",
    );

    await cluster.start(2);
    const dora = await cluster.client(2, "dora");
    await join(dora, "#k");
    assertEquals(await names(dora, "#k"), ["@ana", "carla", "dora"]);
    const ghost = await whois(dora, "beto");
    assertEquals(ghost.find((m) => m.command === "312")?.params[2], "node1");
    await dora.send("LUSERS");
    assertEquals((await next(dora, "266")).params[1], "5");
    await ana.send("LUSERS");
    assertEquals((await next(ana, "266")).params[1], "5");
  },
);

Deno.test(
  redisTestOptions(
    "cluster: a node killed with kill -9 and restarted at once: its old users still split off on the others and none haunts it",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    await join(ana, "#g");
    await join(beto, "#g");
    await ana.waitFor((m) => m.command === "JOIN" && nickOf(m) === "beto", {
      timeout: CROSS_NODE_MS,
    });

    await cluster.kill(2);
    await cluster.start(2);
    const quit = await next(ana, "QUIT", undefined, SPLIT_MS);
    assertEquals([nickOf(quit), quit.params[0]], ["beto", "*.net *.split"]);
    const again = await cluster.client(2, "beto");
    await join(again, "#g");
    assertEquals(await names(again, "#g"), ["@ana", "beto"]);
    const joined = await next(ana, "JOIN", "#g");
    assertEquals(nickOf(joined), "beto");
    assertEquals(await names(ana, "#g"), ["@ana", "beto"]);
  },
);

Deno.test(
  redisTestOptions(
    "cluster: while Redis is down users stay connected, read-only commands answer and the rest get 400; once it is back chat between nodes resumes by itself",
  ),
  async () => {
    await using cluster = await startCluster();
    const ana = await cluster.client(1, "ana");
    const beto = await cluster.client(2, "beto");
    const carla = await cluster.client(3, "carla");
    for (const user of [ana, beto, carla]) await join(user, "#r");
    await ana.waitFor((m) => m.command === "JOIN" && nickOf(m) === "carla", {
      timeout: CROSS_NODE_MS,
    });
    await beto.waitFor((m) => m.command === "JOIN" && nickOf(m) === "carla", {
      timeout: CROSS_NODE_MS,
    });
    const marks = [1, 2, 3].map((node) => cluster.logLength(node));

    await cluster.redis.kill();
    for (let node = 1; node <= 3; node++) {
      await cluster.logged(node, /cluster: Redis unreachable/, {
        after: marks[node - 1],
      });
    }
    for (const user of [ana, beto, carla]) {
      await user.sync();
      assertOk(!user.isClosed);
    }
    assertEquals(await names(beto, "#r"), ["@ana", "beto", "carla"]);
    assertEquals(
      (await whois(ana, "carla")).find((m) => m.command === "312")?.params[2],
      "node3",
    );
    await ana.send("PRIVMSG #r :lost in the outage");
    const refused = await next(ana, "400");
    assertEquals(refused.params[1], "PRIVMSG");
    assertMatch(refused.params.at(-1) ?? "", /network is unreachable/i);
    await ana.send("JOIN #elsewhere");
    assertEquals((await next(ana, "400")).params[1], "JOIN");
    const newcomer = await tryRegister(cluster, 2, "newcomer");
    assertEquals(newcomer.answer.command, "400");
    assertMatch(newcomer.answer.params.at(-1) ?? "", /network is unreachable/i);

    await cluster.redis.start();
    for (let node = 1; node <= 3; node++) {
      await cluster.logged(node, /cluster: Redis is back/, {
        after: marks[node - 1],
      });
    }
    await ana.send("PRIVMSG #r :we are back");
    for (const user of [beto, carla]) {
      const heard = await next(user, "PRIVMSG", "#r", 15_000);
      assertEquals([nickOf(heard), heard.params[1]], ["ana", "we are back"]);
    }
    await carla.send("PRIVMSG ana :private, across nodes");
    const direct = await next(ana, "PRIVMSG", "ana");
    assertEquals([nickOf(direct), direct.params[1]], [
      "carla",
      "private, across nodes",
    ]);
    await newcomer.client.send("NICK newcomer");
    await newcomer.client.waitFor("001", { timeout: CROSS_NODE_MS });
    assertEquals((await tryRegister(cluster, 3, "ANA")).answer.command, "433");
    assertEquals(await names(carla, "#r"), ["@ana", "beto", "carla"]);
  },
);
