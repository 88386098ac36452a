/**
 * Start-up messages that tell the user what to do: the command they
 * actually ran (npx, deno task or deno run), the flag behind a bad host, a
 * taken port or a missing MOTD file.
 *
 * @module
 */

import { explainListenError, LISTEN_ROLES } from "../server/listener.ts";
import { commandFor, detectLauncher } from "../settings/launcher.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { runServerToExit, SERVER_PATH } from "./helpers/server_process.ts";

function env(vars: Record<string, string>) {
  return { get: (name: string) => vars[name] };
}

Deno.test("the launcher is told apart by what npm and deno task put in the environment", () => {
  assertEquals(
    detectLauncher(env({ npm_command: "exec", INIT_CWD: "/x" })),
    "npx",
  );
  assertEquals(detectLauncher(env({ npm_lifecycle_event: "npx" })), "npx");
  assertEquals(detectLauncher(env({ INIT_CWD: "/x" })), "task");
  assertEquals(detectLauncher(env({})), "run");
  assertEquals(
    commandFor("server", "npx"),
    `npx --yes deno@${Deno.version.deno} task server`,
  );
  assertEquals(commandFor("client", "task"), "deno task client");
  assertEquals(commandFor("server", "run"), "deno run -A server.ts");
});

/** Runs server.ts with a bad flag in exactly `vars` (plus PATH and HOME) and returns its usage line. */
async function usageLine(vars: Record<string, string>): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SERVER_PATH, "--port", "x"],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ...vars,
    },
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 2);
  const stderr = new TextDecoder().decode(output.stderr);
  return stderr.split("\n").find((line) => line.startsWith("Usage:")) ?? stderr;
}

Deno.test("the usage names the command the user ran: deno run, deno task or npx", async () => {
  assertEquals(
    await usageLine({}),
    "Usage: deno run -A server.ts [options]",
  );
  assertEquals(
    await usageLine({ INIT_CWD: Deno.cwd() }),
    "Usage: deno task server [options]",
  );
  assertEquals(
    await usageLine({ npm_command: "exec", INIT_CWD: Deno.cwd() }),
    `Usage: npx --yes deno@${Deno.version.deno} task server [options]`,
  );
});

Deno.test("listen failures name the flag: a taken port, an unknown host, a host not on this machine", () => {
  const taken = explainListenError(
    new Deno.errors.AddrInUse("Address in use"),
    LISTEN_ROLES.tls,
    "127.0.0.1",
    6697,
  );
  assertIncludes(taken!.message, "127.0.0.1 TLS port 6697");
  assertIncludes(taken!.message, "--tls-port");
  assertIncludes(
    explainListenError(
      new Error(
        "failed to lookup address information: Name or service not known",
      ),
      LISTEN_ROLES.plain,
      "no.such.host.invalid",
      59420,
    )!.message,
    "--host no.such.host.invalid: no such host name",
  );
  assertIncludes(
    explainListenError(
      new Deno.errors.AddrNotAvailable("Cannot assign requested address"),
      LISTEN_ROLES.plain,
      "192.0.2.7",
      59420,
    )!.message,
    "--host 192.0.2.7: not an address of this machine",
  );
  assertEquals(
    explainListenError(new Error("other"), LISTEN_ROLES.web, "h", 1),
    undefined,
  );
});

Deno.test("server.ts: a taken port says which one and which flag moves it", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const plain = await runServerToExit([
      "--no-history",
      "--no-web",
      "--port",
      String(port),
    ]);
    assertEquals(plain.code, 1);
    assertIncludes(plain.stderr, `cannot listen on 127.0.0.1 port ${port}`);
    assertIncludes(plain.stderr, "choose another port with --port");
    const web = await runServerToExit([
      "--no-history",
      "--port",
      "0",
      "--web-port",
      String(port),
    ]);
    assertEquals(web.code, 1);
    assertIncludes(web.stderr, `127.0.0.1 web port ${port}`);
    assertIncludes(web.stderr, "--web-port");
  } finally {
    taken.close();
  }
});

Deno.test("server.ts: --host that does not resolve and a missing --motd file name the flag", async () => {
  const host = await runServerToExit([
    "--no-history",
    "--no-web",
    "--port",
    "0",
    "--host",
    "no.such.host.invalid",
  ]);
  assertEquals(host.code, 1);
  assertIncludes(
    host.stderr,
    "error: --host no.such.host.invalid: no such host name",
  );
  assertOk(!host.stderr.includes("lookup address"), host.stderr);
  const dir = await Deno.makeTempDir();
  try {
    const motd = await runServerToExit([
      "--no-history",
      "--no-web",
      "--port",
      "0",
      "--motd",
      `${dir}/missing.txt`,
    ]);
    assertEquals(motd.code, 1);
    assertIncludes(motd.stderr, `--motd ${dir}/missing.txt`);
    assertIncludes(motd.stderr, "no such file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
