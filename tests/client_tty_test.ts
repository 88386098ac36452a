/**
 * client.ts in a real terminal (tmux): the raw-mode line editor, the
 * Username: question asked again for a taken nick, incoming lines printed
 * above a half-typed line without garbling it, and Ctrl-C / Ctrl-D quitting.
 */

import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { peerAvailable, peerTestOptions } from "./helpers/peer_servers.ts";
import { withServer } from "./helpers/server.ts";
import { startTmux } from "./helpers/tmux.ts";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const peers = { tmux: peerAvailable("tmux") };

function clientCommand(port: number, ...flags: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    CLIENT,
    "--port",
    String(port),
    ...flags,
  ];
}

Deno.test({
  ...peerTestOptions(
    "client tty: asks again for a taken name, keeps a half-typed line intact, Ctrl-C quits",
    peers,
  ),
  async fn() {
    await withServer({}, async (server) => {
      const bob = await server.client("bob");
      await bob.send("JOIN #general");
      await bob.waitFor("366");
      const tty = await startTmux(clientCommand(server.port), {
        width: 100,
        height: 30,
      });
      try {
        await tty.waitForScreen(/^Username: $/m);
        await tty.typeLine("bob");
        await tty.waitForScreen(
          /The name bob is already taken\. Please choose another\.\nUsername: $/m,
        );
        await tty.typeLine("ana");
        await tty.waitForScreen(
          /^Users online \(#general\): @bob, ana\n#general> $/m,
        );

        await tty.typeText("half typed");
        await tty.waitForScreen(/^#general> half typed$/m);
        await bob.send("PRIVMSG #general :hola ana");
        await bob.send("PRIVMSG ana :en privado");
        const screen = await tty.waitForScreen(
          /^\[\d\d:\d\d\] bob: hola ana\n\[\d\d:\d\d\] \(private\) bob: en privado\n#general> half typed$/m,
        );
        assertOk(!screen.includes("half typedhola"), screen);

        await tty.typeText(" line");
        await tty.pressKeys("Enter");
        const said = await bob.waitFor("PRIVMSG");
        assertEquals(said.params, ["#general", "half typed line"]);
        const after = await tty.waitForScreen(
          /^\[\d\d:\d\d\] ana: half typed line\n#general> $/m,
        );
        assertEquals(
          after.split("ana: half typed line").length,
          2,
          "own line shown once",
        );

        await tty.pressKeys("C-c");
        const quit = await bob.waitFor("QUIT");
        assertEquals(quit.source?.split("!")[0], "ana");
        assertEquals(await tty.exited, 0);
      } finally {
        await tty.close();
      }
    });
  },
});

Deno.test({
  ...peerTestOptions(
    "client tty: Tab completion, line editing keys, history and Ctrl-D on an empty line",
    peers,
  ),
  async fn() {
    await withServer({}, async (server) => {
      const bob = await server.client("bob");
      await bob.send("JOIN #general");
      await bob.waitFor("366");
      const tty = await startTmux(clientCommand(server.port, "--nick", "ana"), {
        width: 100,
        height: 30,
      });
      try {
        await tty.waitForScreen(
          /^Users online \(#general\): @bob, ana\n#general> $/m,
        );
        // Tab completes a nick.
        await tty.typeText("bo");
        await tty.pressKeys("Tab");
        await tty.typeText("hola");
        await tty.pressKeys("Enter");
        const greeting = await bob.waitFor("PRIVMSG");
        assertEquals(greeting.params, ["#general", "bob: hola"]);
        // Type "helo wrld", fix it with arrows, Home/End and Backspace.
        await tty.typeText("helo wrld");
        await tty.pressKeys("Left", "Left", "Left");
        await tty.typeText("o");
        await tty.pressKeys("Home", "Right", "Right", "Right");
        await tty.typeText("l");
        await tty.pressKeys("End", "BSpace");
        await tty.typeText("d!");
        await tty.pressKeys("Enter");
        const said = await bob.waitFor("PRIVMSG");
        assertEquals(said.params, ["#general", "hello world!"]);
        // Up recalls the line; Ctrl-U clears it; Ctrl-D on the empty line quits.
        await tty.pressKeys("Up");
        await tty.waitForScreen(/^#general> hello world!$/m);
        await tty.pressKeys("C-u");
        await tty.waitForScreen(/^#general> $/m);
        await tty.pressKeys("C-d");
        await bob.waitFor("QUIT");
        assertEquals(await tty.exited, 0);
      } finally {
        await tty.close();
      }
    });
  },
});

Deno.test({
  ...peerTestOptions(
    "client tty: colours on a terminal, none with NO_COLOR or --no-color",
    peers,
  ),
  async fn() {
    await withServer({}, async (server) => {
      const run = async (env: Record<string, string>, ...flags: string[]) => {
        const tty = await startTmux(
          clientCommand(server.port, "--nick", "ana", ...flags),
          {
            width: 100,
            height: 20,
            env,
          },
        );
        try {
          await tty.waitForScreen(
            /^Users online \(#general\): @ana\n#general> $/m,
          );
          await tty.typeLine("/msg ghost hi");
          await tty.waitForScreen(/^No such nick: ghost$/m);
          const styled = await tty.styledScreen();
          await tty.typeLine("/quit");
          assertEquals(await tty.exited, 0);
          return styled;
        } finally {
          await tty.close();
        }
      };
      const colored = await run({});
      assertIncludes(colored, "\x1b[31mNo such nick: ghost"); // errors in red
      assertIncludes(colored, "Users online (#general): @\x1b["); // nicks in colour
      assertIncludes(colored, "\x1b[2mConnecting to"); // status lines dim
      for (
        const plain of [
          await run({ NO_COLOR: "1" }),
          await run({}, "--no-color"),
        ]
      ) {
        assertOk(!plain.includes("\x1b["), plain);
      }
    });
  },
});

Deno.test({
  ...peerTestOptions(
    "client tty: long lines wrap at word boundaries for the terminal width; a mention is highlighted",
    peers,
  ),
  async fn() {
    await withServer({}, async (server) => {
      const tty = await startTmux(
        clientCommand(server.port, "--nick", "ana"),
        { width: 40, height: 20 },
      );
      try {
        await tty.waitForScreen(/^Users online \(#general\): @ana\n/m);
        const bob = await server.client("bob");
        await bob.send("JOIN #general");
        await bob.waitFor("366");
        const text =
          "ana, esta frase es bastante larga y tiene que partirse en palabras enteras";
        await bob.send(`PRIVMSG #general :${text}`);
        const screen = await tty.waitForScreen(/ enteras$/m);
        const lines = screen.split("\n");
        const start = lines.findIndex((line) => line.includes("bob: ana,"));
        const end = lines.findIndex((line) => line.endsWith(" enteras"));
        assertOk(start !== -1 && end > start, screen);
        const shown = lines.slice(start, end + 1);
        for (const line of shown.slice(1)) {
          assertOk(/^ {8}\S/.test(line), `indented: ${line}`);
        }
        assertEquals(
          shown.map((line) => line.trim()).join(" ").split(" ").slice(2),
          text.split(" "),
          "broken between words only",
        );
        const styled = await tty.styledScreen();
        assertIncludes(styled, "\x1b[1;7mana, esta frase"); // the mention: bold reverse video
        await tty.typeLine("/quit");
        assertEquals(await tty.exited, 0);
      } finally {
        await tty.close();
      }
    });
  },
});
