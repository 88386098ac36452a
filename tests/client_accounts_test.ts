/**
 * Accounts in the client: SASL PLAIN at connect (`--sasl`) and with
 * `/login`, `/register`, and passwords that never reach the screen or the
 * command line. The session logic is fed messages; the real client talks
 * to a scripted server over a socket.
 */

import { join } from "node:path";
import { createChatState } from "../client/chat_state.ts";
import { plainPayload } from "../client/handlers/accounts.ts";
import type { Outcome } from "../client/server_messages.ts";
import { planLine } from "../client/typed_commands.ts";
import { serializeMessage } from "../protocol.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { feed, FEED_NOW, screen } from "./helpers/client_feed.ts";
import { spawnClient } from "./helpers/client_process.ts";
import { clientArgs } from "./helpers/client_scenarios.ts";
import { peerAvailable, peerTestOptions } from "./helpers/peer_servers.ts";
import { withServer } from "./helpers/server.ts";
import { startTmux } from "./helpers/tmux.ts";

const wire = (outcome: Outcome) => outcome.replies.map(serializeMessage);

Deno.test("SASL PLAIN at connect: REQ sasl, AUTHENTICATE, then CAP END after 903", () => {
  const state = createChatState("ana", ["#general"]);
  state.login = { account: "ana", password: "secreto" };
  assertEquals(wire(feed(state, ":srv CAP * LS :sasl=PLAIN server-time")), [
    "CAP REQ :sasl server-time",
  ]);
  assertEquals(wire(feed(state, ":srv CAP * ACK :sasl server-time")), [
    "AUTHENTICATE PLAIN",
  ]);
  assertEquals(wire(feed(state, "AUTHENTICATE +")), [
    `AUTHENTICATE ${btoa("ana\0ana\0secreto")}`,
  ]);
  const done = feed(
    state,
    ":srv 900 ana ana!a@h ana :You are now logged in as ana",
    ":srv 903 ana :SASL authentication successful",
  );
  assertEquals(wire(done), ["CAP END"]);
  assertEquals(screen(done.events), ["You are logged in as ana."]);
});

Deno.test("a refused login is said, and registration goes on; no SASL offered is said too", () => {
  const state = createChatState("ana");
  state.login = { account: "ana", password: "mal" };
  feed(state, ":srv CAP * LS :sasl", ":srv CAP * ACK :sasl", "AUTHENTICATE +");
  const failed = feed(state, ":srv 904 ana :SASL authentication failed");
  assertEquals(screen(failed.events), [
    "Login failed: SASL authentication failed",
  ]);
  assertEquals(wire(failed), ["CAP END"]);
  const plain = createChatState("bea");
  plain.login = { account: "bea", password: "x" };
  feed(plain, ":srv CAP * LS :server-time");
  const acked = feed(plain, ":srv CAP * ACK :server-time");
  assertEquals(wire(acked), ["CAP END"]);
  assertOk(screen(acked.events)[0].includes("does not offer SASL"));
});

Deno.test("the PLAIN payload comes in 400-byte pieces, with + after a full last piece", () => {
  assertEquals(plainPayload("a", "b"), [btoa("a\0a\0b")]);
  // 3 * 100 bytes of input is exactly 400 base64 characters.
  const exact = plainPayload("x".repeat(49), "y".repeat(200));
  assertEquals(exact.map((piece) => piece.length), [400, 1]);
  assertEquals(exact[1], "+");
  const long = plainPayload("x".repeat(100), "y".repeat(400));
  assertEquals(long.map((piece) => piece.length), [400, 400, 4]);
});

Deno.test("/register and /login ask for a password and send it, never showing it", () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":srv 001 ana :Welcome");
  const register = planLine(state, "/register ana@example.org", FEED_NOW);
  assertEquals(register.messages, []);
  assertOk(register.secret !== undefined);
  assertEquals(register.secret.prompt, "Password for the new account ana: ");
  assertEquals(register.secret.use("larga y secreta").map(serializeMessage), [
    "REGISTER * ana@example.org :larga y secreta",
  ]);
  assertEquals(
    screen(feed(state, ":srv REGISTER SUCCESS ana :Account created").events),
    ["The account ana is registered."],
  );
  // Without the sasl capability, /login identifies to NickServ.
  const login = planLine(state, "/login", FEED_NOW);
  assertEquals(login.secret!.use("pw").map(serializeMessage), [
    "PRIVMSG NickServ :IDENTIFY ana pw",
  ]);
  assertEquals(
    feed(state, ":ana!a@h PRIVMSG NickServ :IDENTIFY ana pw").events,
    [],
    "an echoed password is not shown",
  );
  // With it, /login authenticates with SASL and keeps the login for reconnections.
  state.caps.add("sasl");
  const sasl = planLine(state, "/login cuenta", FEED_NOW);
  assertEquals(sasl.secret!.use("pw").map(serializeMessage), [
    "AUTHENTICATE PLAIN",
  ]);
  assertEquals(state.login, { account: "cuenta", password: "pw" });
  assertEquals(wire(feed(state, "AUTHENTICATE +")), [
    `AUTHENTICATE ${btoa("cuenta\0cuenta\0pw")}`,
  ]);
  assertEquals(wire(feed(state, ":srv 903 ana :ok")), [], "no CAP END now");
});

/** A scripted server on a real socket: answers CAP and SASL like an IRCv3 server. */
async function withSaslServer(
  password: string,
  run: (port: number, seen: string[]) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const serve = (async () => {
    const conn = await listener.accept().catch(() => null);
    if (conn === null) return; // Closed without a client.
    const encoder = new TextEncoder();
    const send = (line: string) => conn.write(encoder.encode(`${line}\r\n`));
    let buffer = "";
    try {
      for await (const chunk of conn.readable) {
        buffer += new TextDecoder().decode(chunk);
        let end;
        while ((end = buffer.indexOf("\r\n")) !== -1) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          seen.push(line);
          if (line.startsWith("CAP LS")) await send(":srv CAP * LS :sasl");
          else if (line === "CAP REQ :sasl" || line === "CAP REQ sasl") {
            await send(":srv CAP ana ACK :sasl");
          } else if (line === "AUTHENTICATE PLAIN") {
            await send("AUTHENTICATE +");
          } else if (line.startsWith("AUTHENTICATE ")) {
            const ok = line.slice(13) === btoa(`ana\0ana\0${password}`);
            await send(
              ok
                ? ":srv 903 ana :SASL authentication successful"
                : ":srv 904 ana :SASL authentication failed",
            );
          } else if (line === "CAP END") {
            await send(":srv 001 ana :Welcome");
          } else if (line.startsWith("JOIN")) {
            await send(":ana!a@h JOIN #general");
            await send(":srv 366 ana #general :End");
          } else if (line.startsWith("QUIT")) {
            conn.close();
            return;
          }
        }
      }
    } catch {
      // The client went away.
    }
  })();
  try {
    await run(listener.addr.port, seen);
  } finally {
    listener.close();
    await serve;
  }
}

Deno.test("the real client logs in with --sasl, the password from the environment", async () => {
  await withSaslServer("s3creto", async (port, seen) => {
    await using ana = spawnClient([...clientArgs(port, "ana"), "--sasl"], {
      env: { TERTULIA_ACCOUNT_PASSWORD: "s3creto" },
    });
    await ana.waitForOutput("Connected to");
    assertOk(seen.includes("AUTHENTICATE PLAIN"), seen.join("\n"));
    assertOk(!ana.output.includes("s3creto"), "password never printed");
    await ana.send("/quit");
    assertEquals(await ana.exited(), 0);
  });
});

Deno.test("--sasl without a password source exits 1 naming where to put it", async () => {
  await withSaslServer("x", async (port) => {
    await using ana = spawnClient([...clientArgs(port, "ana"), "--sasl"]);
    assertEquals(await ana.exited(), 1);
    assertOk(ana.stderr.includes("TERTULIA_ACCOUNT_PASSWORD"), ana.stderr);
  });
});

Deno.test({
  ...peerTestOptions(
    "at a terminal --sasl asks for the password without echoing it",
    { tmux: peerAvailable("tmux") },
  ),
  async fn() {
    await withSaslServer("s3creto", async (port, seen) => {
      const tty = await startTmux([
        Deno.execPath(),
        "run",
        "-A",
        new URL("../client.ts", import.meta.url).pathname,
        ...clientArgs(port, "ana"),
        "--sasl",
      ], { width: 100, height: 20 });
      try {
        await tty.waitForScreen(/^Password for ana: $/m);
        await tty.typeLine("s3creto");
        await tty.waitForScreen(/^Connected to /m);
        assertOk(seen.includes("AUTHENTICATE PLAIN"), seen.join("\n"));
        assertOk(!(await tty.screen()).includes("s3creto"), "not echoed");
        await tty.typeLine("/quit");
        assertEquals(await tty.exited, 0);
      } finally {
        await tty.close();
      }
    });
  },
});

Deno.test("against tertulia: /register, then --sasl logs in on every connection; a wrong password is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-client-accounts-" });
  try {
    await withServer({ db: join(dir, "chat.db") }, async (server) => {
      const passwordFile = join(dir, "password");
      await Deno.writeTextFile(passwordFile, "una clave bastante larga\n");
      await using ana = spawnClient([
        ...clientArgs(server.port, "ana"),
        "--account-password-file",
        passwordFile,
      ]);
      await ana.waitForOutput("Users online (#general): ");
      await ana.send("/register");
      await ana.waitForOutput("The account ana is registered.");
      await ana.send("/quit");
      assertEquals(await ana.exited(), 0);

      await using again = spawnClient(
        [...clientArgs(server.port, "ana"), "--sasl"],
        { env: { TERTULIA_ACCOUNT_PASSWORD: "una clave bastante larga" } },
      );
      await again.waitForOutput("You are logged in as ana.");
      await again.waitForOutput(
        `Connected to 127.0.0.1:${server.port} as ana.`,
      );
      await again.send("/quit");
      assertEquals(await again.exited(), 0);

      await using wrong = spawnClient(
        [...clientArgs(server.port, "ana"), "--sasl"],
        { env: { TERTULIA_ACCOUNT_PASSWORD: "no es esta" } },
      );
      await wrong.waitForOutput("Login failed: SASL authentication failed");
      // The nick is protected: without the login the client is someone else.
      await wrong.waitForOutput(/as ana_\./);
      await wrong.send("/quit");
      assertEquals(await wrong.exited(), 0);
      for (const client of [ana, again, wrong]) {
        assertOk(!client.output.includes("clave"), "password never shown");
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
