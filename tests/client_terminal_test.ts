import { createPlainTerminal } from "../client/terminal.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("client terminal: plain mode reads lines and prints whole lines", async () => {
  const output: string[] = [];
  const terminal = createPlainTerminal({
    input: ReadableStream.from(
      ["ana\r\nhel", "lo\n", "last without newline"].map((text) =>
        new TextEncoder().encode(text)
      ),
    ),
    write: (text) => output.push(text),
    interactive: false,
  });
  assertEquals(await terminal.ask("Username: "), "ana");
  assertEquals(await terminal.readLine(), "hello");
  terminal.print("[09:05] bob: hi");
  assertEquals(await terminal.readLine(), "last without newline");
  assertEquals(await terminal.readLine(), null);
  assertEquals(await terminal.readLine(), null);
  assertEquals(output, ["Username: \n", "[09:05] bob: hi\n"]);
});
