import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { connectClient } from "./helpers/irc_client.ts";
import { type ServerProcess, spawnServer } from "./helpers/server_process.ts";
import { createTestPki } from "./helpers/tls.ts";
import { rawRequest, upgradeRequest } from "./helpers/websocket.ts";
import { startServer } from "../server.ts";
import { loadServerConfig } from "../server/options.ts";
import { hashPassword } from "../accounts/passwords.ts";

async function withServer(
  args: string[],
  body: (server: ServerProcess) => Promise<void>,
  tls?: "both",
): Promise<void> {
  const server = await spawnServer(args, { tls });
  try {
    await body(server);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
}

/** The MOTD lines (372) a fresh client is sent. */
async function motdOf(port: number, nick: string): Promise<string[]> {
  const client = await connectClient({ port });
  const burst = await client.register(nick);
  await client.close();
  return burst.filter((m) => m.command === "372").map((m) => m.params.at(-1)!);
}

Deno.test("SIGHUP applies the file's new MOTD and limits to a running server; restart-only changes are named and kept", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/server.yaml`;
  const settings = (motd: string, extra: string) =>
    `port: 0\nno-history: true\nmotd: ${dir}/${motd}\n${extra}`;
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "first motd\n");
    await Deno.writeTextFile(`${dir}/b.txt`, "second motd\n");
    await Deno.writeTextFile(file, settings("a.txt", "max-clients: 5\n"));
    await withServer(["--config", file], async (server) => {
      assertEquals(await motdOf(server.port, "one"), ["- first motd"]);
      const alice = await connectClient({ port: server.port });
      await alice.register("alice");
      await Deno.writeTextFile(
        file,
        settings("b.txt", "max-clients: 2\nname: other.name\nflood-rate: 3\n"),
      );
      const reloaded = server.nextLine(/reloaded /);
      const restart = server.nextLine(/need a restart/);
      server.kill("SIGHUP");
      assertIncludes(await reloaded, "changed motd, max-clients, flood-rate");
      assertIncludes(await restart, "name changed but need a restart");
      const bob = await connectClient({ port: server.port });
      const burst = await bob.register("bob");
      assertOk(
        burst.some((m) => m.params.at(-1) === "- second motd"),
        bob.lines.join("\n"),
      );
      assertEquals(burst[0].source, "tertulia.local", "name kept");
      const carol = await connectClient({ port: server.port });
      assertEquals((await carol.waitFor("ERROR")).params, ["Server is full"]);
      await alice.sync();
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP with a broken file, or a missing MOTD, keeps the running config and logs why", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/server.yaml`;
  try {
    await Deno.writeTextFile(`${dir}/motd.txt`, "kept motd\n");
    await Deno.writeTextFile(
      file,
      `port: 0\nno-history: true\nmotd: ${dir}/motd.txt\n`,
    );
    await withServer(["--config", file], async (server) => {
      await Deno.writeTextFile(file, "port: 0\nmotd: a: b\n");
      const failed = server.nextLine(/reload failed/);
      server.kill("SIGHUP");
      assertIncludes(await failed, `${file}, line 2: YAML syntax error`);
      await Deno.writeTextFile(file, "port: 0\nmax-clients: -3\n");
      const range = server.nextLine(/reload failed/);
      server.kill("SIGHUP");
      assertIncludes(await range, "line 2: max-clients must be an integer");
      await Deno.writeTextFile(
        file,
        `port: 0\nno-history: true\nmotd: ${dir}/gone.txt\nmax-clients: 1\n`,
      );
      const missing = server.nextLine(/reload failed/);
      server.kill("SIGHUP");
      assertIncludes(await missing, `--motd ${dir}/gone.txt: cannot read`);
      // Neither the MOTD nor the limit of the files that failed applies.
      const alice = await connectClient({ port: server.port });
      await alice.register("alice");
      assertEquals(await motdOf(server.port, "bob"), ["- kept motd"]);
      await alice.close();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP rotates the TLS certificate and key: a connected TLS client stays, new ones get the new certificate", async () => {
  const [first, second] = [await createTestPki(), await createTestPki()];
  const certFile = `${first.dir}/live.crt`;
  const keyFile = `${first.dir}/live.key`;
  try {
    await Deno.copyFile(first.server.certFile, certFile);
    await Deno.copyFile(first.server.keyFile, keyFile);
    const file = `${first.dir}/server.yaml`;
    await Deno.writeTextFile(
      file,
      `port: 0\ntls-port: 0\nno-history: true\ncert: ${certFile}\nkey: ${keyFile}\n`,
    );
    await withServer(["--config", file], async (server) => {
      const port = server.tlsPort!;
      const old = await connectClient({
        port,
        tls: { caCerts: [first.ca.cert] },
      });
      await old.register("old");
      await old.send("JOIN #rot");
      await old.waitFor("366");
      await Deno.copyFile(second.server.certFile, certFile);
      await Deno.copyFile(second.server.keyFile, keyFile);
      const reloaded = server.nextLine(/reloaded /);
      server.kill("SIGHUP");
      await reloaded;
      const fresh = await connectClient({
        port,
        tls: { caCerts: [second.ca.cert] },
      });
      await fresh.register("fresh");
      await fresh.send("JOIN #rot");
      await fresh.waitFor("366");
      await fresh.send("PRIVMSG #rot :after rotation");
      assertEquals(
        (await old.waitFor("PRIVMSG")).params,
        ["#rot", "after rotation"],
      );
      await old.send("PRIVMSG #rot :still here");
      assertEquals((await fresh.waitFor("PRIVMSG")).params, [
        "#rot",
        "still here",
      ]);
      let refused = false;
      try {
        const stale = await Deno.connectTls({
          hostname: "127.0.0.1",
          port,
          caCerts: [first.ca.cert],
        });
        await stale.handshake().finally(() => stale.close());
      } catch {
        refused = true;
      }
      assertOk(refused, "the old CA no longer verifies new handshakes");
      // The HTTPS web listener serves the new certificate too.
      const client = Deno.createHttpClient({ caCerts: [second.ca.cert] });
      try {
        const page = await fetch(`https://127.0.0.1:${server.webPort}/`, {
          client,
        });
        assertEquals(page.status, 200);
        await page.body?.cancel();
      } finally {
        client.close();
      }
      await Promise.all([old.close(), fresh.close()]);
    }, "both");
  } finally {
    await Deno.remove(first.dir, { recursive: true });
    await Deno.remove(second.dir, { recursive: true });
  }
});

Deno.test("reload (as REHASH calls it) applies new web origins, trusted proxies and timeouts at once, and reports what changed", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/server.yaml`;
  const origin = "https://chat.example.org";
  try {
    await Deno.writeTextFile(file, "port: 0\nweb-port: 0\nno-history: true\n");
    const { parsed, config } = await loadServerConfig({ file, flags: {} });
    const server = await startServer({
      ...parsed.options,
      log: () => {},
      config,
    });
    try {
      const port = server.web!.addr.port;
      const attempt = async () => {
        const response = await rawRequest(
          port,
          upgradeRequest(port, [`Origin: ${origin}`]),
        );
        response.conn.close();
        return response.status;
      };
      assertEquals(await attempt(), 403);
      await Deno.writeTextFile(
        file,
        `port: 0\nweb-port: 0\nno-history: true\nweb-origin: [${origin}]\nport: 1\n`,
      );
      const broken = await server.context.reload!();
      assertEquals(broken.ok, false);
      assertIncludes(broken.error!, "Map keys must be unique");
      assertEquals(await attempt(), 403);
      await Deno.writeTextFile(
        file,
        `port: 1\nweb-port: 0\nno-history: true\nweb-origin: [${origin}]\nregistration-timeout: 0.2\ntrusted-proxy: 127.0.0.1\n`,
      );
      const whoisHost = async (nick: string) => {
        const web = await connectClient({
          port,
          webSocket: { headers: { "x-forwarded-for": "203.0.113.7" } },
        });
        await web.register(nick);
        await web.send(`WHOIS ${nick}`);
        const host = (await web.waitFor("311")).params[3];
        await web.close();
        return host;
      };
      assertEquals(await whoisHost("before"), "127.0.0.1");
      assertEquals(await server.context.reload!(), {
        ok: true,
        changed: ["registration-timeout", "web-origin", "trusted-proxy"],
        restartNeeded: ["port"],
      });
      assertEquals(await attempt(), 101);
      assertEquals(await whoisHost("after"), "203.0.113.7");
      const idle = await connectClient({ port: server.addresses[0].port });
      assertEquals((await idle.waitFor("ERROR")).params, [
        "Registration timeout",
      ]);
      await idle.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP loads a new operator from the file: OPER works after the reload, not before; its REHASH reloads too", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/server.yaml`;
  try {
    await Deno.writeTextFile(file, "port: 0\nno-history: true\n");
    await withServer(["--config", file], async (server) => {
      const alice = await connectClient({ port: server.port });
      await alice.register("alice");
      await alice.send("OPER root correct-horse");
      const before = await alice.waitFor((m) =>
        /^(381|464|491)$/.test(m.command)
      );
      assertOk(before.command !== "381", alice.lines.join("\n"));
      const hash = await hashPassword("correct-horse");
      await Deno.writeTextFile(
        file,
        `port: 0\nno-history: true\nopers:\n  - name: root\n    hash: "${hash}"\n`,
      );
      const reloaded = server.nextLine(/reloaded /);
      server.kill("SIGHUP");
      assertIncludes(await reloaded, "changed opers");
      await alice.send("OPER root correct-horse");
      await alice.waitFor("381");
      // An operator's REHASH reloads the same way.
      await Deno.writeTextFile(
        file,
        `port: 0\nno-history: true\nmax-clients: 1\nopers:\n  - name: root\n    hash: "${hash}"\n`,
      );
      const rehashed = server.nextLine(/reloaded /);
      await alice.send("REHASH");
      await alice.waitFor("382");
      assertIncludes(await rehashed, "changed max-clients");
      const bob = await connectClient({ port: server.port });
      assertEquals((await bob.waitFor("ERROR")).params, ["Server is full"]);
      await bob.close();
      await alice.close();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
