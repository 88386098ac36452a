/**
 * runClient in-process with a scripted terminal and a real server: backoff
 * between reconnection attempts, asking again for a taken name at a
 * terminal, and quitting with Ctrl-D.
 */

import { runClient } from "../client/app.ts";
import { parseClientArgs } from "../client/options.ts";
import type { Terminal } from "../client/terminal.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer, withServer } from "./helpers/server.ts";

/** A terminal driven by the test: typed lines go in, printed lines and prompts are kept. */
function scriptedTerminal(interactive: boolean) {
  const printed: string[] = [];
  const prompts: string[] = [];
  const typed: (string | null)[] = [];
  const readers: ((line: string | null) => void)[] = [];
  const waiters = new Set<() => void>();
  const next = () =>
    typed.length > 0
      ? Promise.resolve(typed.shift() ?? null)
      : new Promise<string | null>((resolve) => readers.push(resolve));
  const terminal: Terminal = {
    interactive,
    print(line) {
      printed.push(line);
      for (const waiter of [...waiters]) waiter();
    },
    setPrompt: (prompt) => prompts.push(prompt),
    setCompleter: () => {},
    ask(question) {
      prompts.push(question);
      return next();
    },
    readLine: next,
    close: () => {},
  };
  return {
    terminal,
    printed,
    prompts,
    /** Types a line (`null`: Ctrl-D). */
    type(line: string | null) {
      const reader = readers.shift();
      if (reader) reader(line);
      else typed.push(line);
    },
    /** Resolves once at least `times` printed lines include `text`. */
    waitFor(text: string, times = 1): Promise<void> {
      const count = () => printed.filter((line) => line.includes(text)).length;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `never printed ${text} ${times} times; printed:\n${
                printed.join("\n")
              }`,
            ),
          );
        }, 10_000);
        const check = () => {
          if (count() >= times) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

async function options(port: number, ...flags: string[]) {
  const parsed = await parseClientArgs(["--port", String(port), ...flags]);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.options;
}

Deno.test("client app: reconnection attempts back off, then the client rejoins", async () => {
  const first = await startTestServer();
  const port = first.port;
  let refuse = 0;
  const screen = scriptedTerminal(false);
  const exit = runClient(await options(port, "--nick", "ana"), {
    terminal: screen.terminal,
    retryDelays: [10, 20, 40],
    connect: (target) => {
      if (refuse > 0) {
        refuse--;
        return Promise.reject(new Deno.errors.ConnectionRefused("refused"));
      }
      return Deno.connect({ hostname: target.host, port: target.port });
    },
  });
  await screen.waitFor("Users online (#general): @ana");
  refuse = 3;
  await first.close();
  await screen.waitFor(
    `Lost the connection to 127.0.0.1:${port}. Reconnecting in 0.01s…`,
  );
  await screen.waitFor("Trying again in 0.02s…");
  await screen.waitFor("Trying again in 0.04s…");
  // The longest delay repeats until the server is back.
  await screen.waitFor("Trying again in 0.04s…", 2);
  await withServer({ port }, async () => {
    await screen.waitFor(`Reconnected to 127.0.0.1:${port} as ana.`);
    await screen.waitFor("→ You joined #general", 2);
    await screen.waitFor("Users online (#general): @ana", 2);
    screen.type("/quit");
    assertEquals(await exit, { code: 0 });
  });
});

Deno.test("client app: at a terminal a taken name is asked for again; Ctrl-D quits", async () => {
  await withServer({}, async (server) => {
    const bob = await server.client("bob");
    const screen = scriptedTerminal(true);
    screen.type("bob");
    const exit = runClient(await options(server.port), {
      terminal: screen.terminal,
    });
    await screen.waitFor(
      "The name bob is already taken. Please choose another.",
    );
    assertEquals(screen.prompts.at(-1), "Username: ");
    screen.type("no spaces allowed");
    await screen.waitFor(`"no spaces allowed" can't be used as a name.`);
    screen.type("ana");
    await screen.waitFor("Users online (#general): @ana");
    assertEquals(screen.prompts.at(-1), "#general> ");
    screen.type(null);
    assertEquals(await exit, { code: 0 });
    assertOk(screen.printed.includes("Bye!"));
    await bob.send("WHOIS ana");
    await bob.waitFor("401");
  });
});

Deno.test("client app: if the server gives up while a new name is being typed, the client reconnects with it", async () => {
  await withServer({}, async (server) => {
    // A first server that refuses the name and hangs up, as a registration timeout would.
    const impatient = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const hungUp = (async () => {
      const conn = await impatient.accept();
      const buffer = new Uint8Array(1024);
      let text = "";
      while (!text.includes("USER")) {
        const count = await conn.read(buffer);
        if (count === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, count));
      }
      await conn.write(
        new TextEncoder().encode(
          ":srv 433 * bob :Nickname is already in use\r\n",
        ),
      );
      conn.close();
    })();
    let connections = 0;
    const screen = scriptedTerminal(true);
    const exit = runClient(await options(server.port, "--nick", "bob"), {
      terminal: screen.terminal,
      connect: (target) =>
        Deno.connect({
          hostname: target.host,
          port: connections++ === 0
            ? (impatient.addr as Deno.NetAddr).port
            : target.port,
        }),
    });
    await screen.waitFor(
      "The name bob is already taken. Please choose another.",
    );
    await hungUp;
    impatient.close();
    screen.type("ana");
    await screen.waitFor(`Connected to 127.0.0.1:${server.port} as ana.`);
    await screen.waitFor("Users online (#general): @ana");
    screen.type("/quit");
    assertEquals(await exit, { code: 0 });
    assertEquals(connections, 2);
  });
});

Deno.test("client app: a server that stops answering is pinged, then given up as lost", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = silent.addr as Deno.NetAddr;
  const heard = (async () => {
    const conn = await silent.accept();
    const buffer = new Uint8Array(4096);
    let text = "";
    let welcomed = false;
    while (true) {
      const count = await conn.read(buffer).catch(() => null);
      if (count === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, count));
      if (!welcomed && text.includes("USER")) {
        welcomed = true;
        await conn.write(new TextEncoder().encode(":srv 001 ana :Welcome\r\n"));
      }
    }
    conn.close();
    return text;
  })();
  const screen = scriptedTerminal(false);
  const exit = await runClient(
    await options(port, "--nick", "ana", "--no-reconnect"),
    {
      terminal: screen.terminal,
      keepaliveMs: 50,
    },
  );
  silent.close();
  assertEquals(exit, {
    code: 1,
    error: `Lost the connection to 127.0.0.1:${port}.`,
  });
  assertOk(screen.printed.includes("No answer from the server for 0.1s."));
  assertOk((await heard).includes("PING tertulia-keepalive"), "it asked first");
});

Deno.test("client app: the connection opened before asking Username: is used, or replaced if the server dropped it", async () => {
  await withServer({}, async (server) => {
    let connections = 0;
    const counting = (target: { host: string; port: number }) => {
      connections++;
      return Deno.connect({ hostname: target.host, port: target.port });
    };
    const screen = scriptedTerminal(true);
    const exit = runClient(await options(server.port), {
      terminal: screen.terminal,
      connect: counting,
    });
    screen.type("ana");
    await screen.waitFor("Users online (#general): @ana");
    screen.type("/quit");
    assertEquals(await exit, { code: 0 });
    assertEquals(connections, 1, "one connection, no probe");

    // This time the first connection is hung up while the name is typed.
    const hangUp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dropped = hangUp.accept().then((conn) => conn.close());
    connections = 0;
    const again = scriptedTerminal(true);
    const second = runClient(await options(server.port), {
      terminal: again.terminal,
      connect: (target) =>
        connections++ === 0
          ? Deno.connect({
            hostname: "127.0.0.1",
            port: (hangUp.addr as Deno.NetAddr).port,
          })
          : Deno.connect({ hostname: target.host, port: target.port }),
    });
    await dropped;
    hangUp.close();
    again.type("bea");
    await again.waitFor("Users online (#general): @bea");
    again.type("/quit");
    assertEquals(await second, { code: 0 });
    assertEquals(connections, 2);
  });
});
