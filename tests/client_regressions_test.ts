/**
 * Regression tests for the client defects of issue 14: each one failed
 * before its fix. The ones about I/O drive real client processes against a
 * real server (TLS included); the rest feed the pure session and renderer.
 */

import { join } from "node:path";
import { parseClientArgs } from "../client/options.ts";
import { type ClientEvent, renderEvent } from "../client/render.ts";
import { type ChatState, createChatState } from "../client/chat_state.ts";
import { handleServerMessage } from "../client/server_messages.ts";
import { parseMessage } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { clientArgs } from "./helpers/client_scenarios.ts";
import { startTestServer, withServer } from "./helpers/server.ts";
import { serverTlsOptions, withPki } from "./helpers/tls.ts";

const now = new Date(Date.UTC(2026, 10, 25, 15, 0, 0));

function feed(state: ChatState, ...lines: string[]): ClientEvent[] {
  return lines.flatMap((line) =>
    handleServerMessage(state, parseMessage(line), now).events
  );
}

function texts(events: ClientEvent[]): string[] {
  return events.flatMap((event) =>
    event.kind === "message" ? [event.text] : []
  );
}

/** Runs `run` with a fresh temporary directory for a history database. */
async function inTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-client-regr-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("defect 1: replayed lines sharing one millisecond are all shown; a repeated msgid is not", () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":srv 001 ana :Welcome", ":ana!a@h JOIN #general");
  const stamp = "2026-11-25T14:00:00.000Z";
  const events = feed(
    state,
    ":srv BATCH +h1 chathistory #general",
    `@batch=h1;time=${stamp};msgid=m1 :bea!b@h PRIVMSG #general :uno`,
    `@batch=h1;time=${stamp};msgid=m2 :bea!b@h PRIVMSG #general :dos`,
    `@batch=h1;time=${stamp};msgid=m3 :bea!b@h PRIVMSG #general :tres`,
    ":srv BATCH -h1",
    ":srv BATCH +h2 chathistory #general",
    `@batch=h2;time=${stamp};msgid=m2 :bea!b@h PRIVMSG #general :dos`,
    ":srv BATCH -h2",
  );
  assertEquals(texts(events), ["uno", "dos", "tres"]);
});

Deno.test("defect 1: the real client shows all 40 history lines pasted in one millisecond", async () => {
  await inTempDir(async (dir) => {
    await withServer(
      { db: join(dir, "chat.db"), historyLines: 50 },
      async (server) => {
        const frozen = Date.now();
        server.server.context.now = () => frozen;
        const bea = await server.client("bea");
        await bea.send("JOIN #general");
        await bea.waitFor("366");
        const lines = Array.from(
          { length: 40 },
          (_, i) => `PRIVMSG #general :pegado ${i + 1}.\r\n`,
        );
        await bea.sendRaw(lines.join(""));
        await bea.sync();
        await using ana = spawnClient(clientArgs(server.port, "ana"));
        await ana.waitForOutput("bea: pegado 40.");
        for (let i = 1; i <= 40; i++) {
          assertEquals(ana.count(`bea: pegado ${i}.\n`), 1, `line ${i}`);
        }
        await ana.send("/quit");
        assertEquals(await ana.exited(), 0);
      },
    );
  });
});

Deno.test(
  "defect 2: a piped TLS client whose first line is /quit exits 0",
  withPki(async (pki) => {
    await using server = await startTestServer({
      tls: serverTlsOptions(pki),
      tlsOnly: true,
    });
    await using ana = spawnClient([
      ...clientArgs(server.port, "ana"),
      "--ca",
      pki.ca.certFile,
    ]);
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  }),
);

/**
 * Runs `run` with a listener that accepts TCP but never answers, so a TLS
 * handshake with it never completes.
 */
async function withSilentListener(
  run: (port: number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    await run(listener.addr.port);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
}

Deno.test("defect 2: /quit ends a client whose TLS handshake never completes", async () => {
  await withSilentListener(async (port) => {
    await using ana = spawnClient([...clientArgs(port, "ana"), "--tls"]);
    await ana.waitForOutput("Connecting to");
    await ana.send("/quit");
    await ana.waitForOutput("Bye!");
    assertEquals(await ana.exited(), 0);
  });
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`defect 2: ${signal} ends a client stuck in a TLS handshake`, async () => {
    await withSilentListener(async (port) => {
      await using ana = spawnClient([...clientArgs(port, "ana"), "--tls"]);
      await ana.waitForOutput("Connecting to");
      ana.signal(signal);
      assertEquals(await ana.exited(), 0);
    });
  });
}

Deno.test("defect 3: own lines are not shown twice after a reconnect", async () => {
  await inTempDir(async (dir) => {
    const db = join(dir, "chat.db");
    const first = await startTestServer({ db });
    const port = first.port;
    await using ana = spawnClient(["--port", String(port), "--nick", "ana"]);
    try {
      await ana.waitForOutput("Users online (#general): ");
      await ana.send("antes del corte");
      await ana.waitForOutput("ana: antes del corte\n");
      await ana.send("/names");
      await ana.waitForOutput("Users online (#general): ");
    } finally {
      await first.close();
    }
    await ana.waitForOutput("Lost the connection");
    await withServer({ port, db }, async (second) => {
      await ana.waitForOutput(`Reconnected to 127.0.0.1:${port} as ana.`);
      await ana.waitForOutput("Users online (#general): ");
      const watcher = await second.client("watcher");
      await watcher.send("JOIN #general");
      await ana.waitForOutput("→ watcher joined #general");
      assertEquals(ana.count("ana: antes del corte"), 1);
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
    });
  });
});

Deno.test("defect 4: in piped mode a taken nick's suffix is the name on your own lines", async () => {
  await withServer({}, async (server) => {
    const zed = await server.client("zed");
    await zed.send("JOIN #general");
    await zed.waitFor("366");
    await using other = spawnClient(clientArgs(server.port, "zed"));
    await other.send("hola");
    await other.waitForOutput("using zed_ instead");
    const relayed = await zed.waitFor("PRIVMSG");
    assertEquals(relayed.source?.split("!")[0], "zed_");
    await other.waitForOutput(/\] zed_: hola\n/);
    assertEquals(other.count("] zed: hola"), 0);
    await other.endInput();
    assertEquals(await other.exited(), 0);
  });
});

Deno.test("defect 5: /names #other lists the users of #other", async () => {
  await withServer({}, async (server) => {
    const bob = await server.client("bob");
    await bob.send("JOIN #other");
    await bob.waitFor("366");
    await using ana = spawnClient(clientArgs(server.port, "ana"));
    await ana.waitForOutput("Users online (#general): ");
    await ana.send("/names #other");
    await ana.waitForOutput("Users online (#other): @bob\n");
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  });
});

Deno.test("defect 6: --channel given twice joins both channels", async () => {
  const parsed = await parseClientArgs([
    "--channel",
    "uno",
    "--channel",
    "#dos",
  ]);
  assertOk(parsed.ok);
  assertEquals(parsed.options.channels, ["#uno", "#dos"]);
  await withServer({}, async (server) => {
    await using ana = spawnClient([
      ...clientArgs(server.port, "ana"),
      "--channel",
      "uno",
      "--channel",
      "dos",
    ]);
    await ana.waitForOutput("Users online (#uno): @ana\n");
    await ana.waitForOutput("Users online (#dos): @ana\n");
    await ana.send("en uno");
    await ana.waitForOutput("ana: en uno");
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  });
});

Deno.test("defect 7: replayed history is framed by markers and followed by the user list", async () => {
  await inTempDir(async (dir) => {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const bea = await server.client("bea");
      await bea.send("JOIN #general");
      await bea.waitFor("366");
      await bea.send("PRIVMSG #general :primera");
      await bea.send("PRIVMSG #general :segunda");
      await bea.sync();
      await using ana = spawnClient(clientArgs(server.port, "ana"));
      await ana.waitForOutput("History of #general:\n");
      await ana.waitForOutput("bea: primera\n");
      await ana.waitForOutput("bea: segunda\n");
      await ana.waitForOutput("End of history of #general.\n");
      await ana.waitForOutput("Users online (#general): @bea, ana\n");
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);
    });
  });
});

function message(
  text: string,
  extra: Partial<Extract<ClientEvent, { kind: "message" }>> = {},
): ClientEvent {
  return {
    kind: "message",
    time: new Date(2026, 0, 2, 9, 5),
    from: "bob",
    target: "#general",
    text,
    self: false,
    private: false,
    action: false,
    notice: false,
    elsewhere: false,
    ...extra,
  };
}

Deno.test("defect 8: long lines wrap at word boundaries for the terminal width", () => {
  const text =
    "una frase bastante larga que no cabe en una sola línea de la terminal";
  const lines = renderEvent(message(text), { width: 30 });
  assertOk(lines.length > 1, "wrapped");
  for (const line of lines) assertOk(line.length <= 30, `too wide: ${line}`);
  const words = lines.map((line) => line.trim()).join(" ").split(" ");
  assertEquals(words.slice(2), text.split(" "), "no word was cut");
  assertEquals(lines[0], "[09:05] bob: una frase");
  const coloured = renderEvent(message(text), { width: 30, color: true });
  assertEquals(coloured.length, lines.length);
  // deno-lint-ignore no-control-regex
  const visible = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
  assertEquals(coloured.map(visible), lines);
});

Deno.test("defect 10: the user list marks operators with @ and voiced users with +", () => {
  const state = createChatState("ana", ["#general"]);
  const events = feed(
    state,
    ":srv 001 ana :Welcome",
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana +bob carla",
    ":srv 366 ana #general :End",
  );
  const screen = events.flatMap((event) => renderEvent(event));
  assertEquals(screen.at(-1), "Users online (#general): @ana, +bob, carla");
  const after = feed(
    state,
    ":ana!a@h MODE #general +o-v carla bob",
    ":srv 353 ana = #general :@ana bob @carla",
    ":srv 366 ana #general :End",
  ).flatMap((event) => renderEvent(event));
  assertEquals(after.at(-1), "Users online (#general): @ana, @carla, bob");
});

Deno.test("defect 10: a MODE change updates who is marked", () => {
  const state = createChatState("ana", ["#general"]);
  feed(
    state,
    ":srv 001 ana :Welcome",
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana bob",
    ":srv 366 ana #general :End",
  );
  const events = feed(state, ":ana!a@h MODE #general +v bob");
  const screen = events.flatMap((event) => renderEvent(event));
  assertEquals(screen.at(-1), "Users online (#general): @ana, +bob");
});

Deno.test("defect 11: others' lines naming you are highlighted with a bell; stable nick colours", async () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":srv 001 ana :Welcome", ":ana!a@h JOIN #general");
  const [mention] = feed(
    state,
    ":bob!b@h PRIVMSG #general :hola Ana, ¿vienes?",
  );
  const [plain] = feed(state, ":bob!b@h PRIVMSG #general :hola banana");
  assertOk(mention.kind === "message" && mention.highlight === true);
  assertOk(plain.kind === "message" && plain.highlight !== true);
  const [line] = renderEvent(mention, { color: true, bell: true });
  assertOk(line.includes("\x07"), "bell");
  assertOk(line.includes("\x1b[1;7m") || line.includes("\x1b[7m"), "marked");
  // deno-lint-ignore no-control-regex
  assertOk(!/[\x1b\x07]/.test(renderEvent(mention)[0]), "plain without colour");
  assertOk(!renderEvent(mention, { color: true })[0].includes("\x07"));
  assertOk(
    !renderEvent(plain, { color: true, bell: true })[0].includes("\x07"),
  );
  const parsed = await parseClientArgs(["--no-bell"]);
  assertOk(parsed.ok && parsed.options.bell === false);
  const colourOf = (nick: string) =>
    // deno-lint-ignore no-control-regex
    /\x1b\[(\d+)m/.exec(
      renderEvent(message("x", { from: nick }), { color: true })[0],
    )?.[1];
  assertEquals(colourOf("Bob"), colourOf("bob"), "same colour in any case");
  assertOk(colourOf("bob") !== undefined);
});
