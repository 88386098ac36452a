/** Account passwords come from a file, the environment or a hidden question; never from flags. */

import { PASSWORD_ENV, readSecret } from "../client/secrets.ts";
import type { Terminal } from "../client/terminal.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

function terminal(answer?: string): Terminal & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    interactive: answer !== undefined,
    print: () => {},
    setPrompt: () => {},
    setCompleter: () => {},
    ask: () => Promise.resolve(null),
    readLine: () => Promise.resolve(null),
    close: () => {},
    ...(answer === undefined ? {} : {
      askSecret(question: string) {
        asked.push(question);
        return Promise.resolve(answer);
      },
    }),
  };
}

Deno.test("readSecret: the file first, then the environment, then a hidden question", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/password`;
    await Deno.writeTextFile(file, "from-file\nignored\n");
    const env = (name: string) =>
      name === PASSWORD_ENV ? "from-env" : undefined;
    const tty = terminal("typed");
    assertEquals(await readSecret({ file, env, terminal: tty }, "Password: "), {
      ok: true,
      secret: "from-file",
    });
    assertEquals(await readSecret({ env, terminal: tty }, "Password: "), {
      ok: true,
      secret: "from-env",
    });
    assertEquals(tty.asked, []);
    assertEquals(
      await readSecret({ env: () => undefined, terminal: tty }, "Password: "),
      { ok: true, secret: "typed" },
    );
    assertEquals(tty.asked, ["Password: "]);
    const none = await readSecret(
      { env: () => undefined, terminal: terminal() },
      "Password: ",
    );
    assertOk(!none.ok);
    assertIncludes(none.error, PASSWORD_ENV);
    const missing = await readSecret(
      { file: `${dir}/nope`, terminal: terminal() },
      "Password: ",
    );
    assertOk(!missing.ok);
    assertIncludes(missing.error, "no such file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
