import { openLink } from "../client/link.ts";
import { ircMessage } from "../client/chat_state.ts";
import type { Message } from "../protocol.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("client link: sends in order, hands over parsed lines, reports invalid messages, ends with the connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const accepted = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const server = await accepted;
  listener.close();

  const received: Message[] = [];
  const invalid: string[] = [];
  const link = openLink(conn, {
    onMessage: (message) => received.push(message),
    onInvalid: (reason) => invalid.push(reason),
  });
  link.send([
    ircMessage("NICK", "ana"),
    ircMessage("PRIVMSG", "#general", "bad\r\nQUIT"),
    ircMessage("USER", "ana", "0", "*", "Ana"),
  ]);
  const expected = "NICK ana\r\nUSER ana 0 * Ana\r\n";
  let text = "";
  const buffer = new Uint8Array(256);
  while (text.length < expected.length) {
    const count = await server.read(buffer);
    if (count === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, count));
  }
  assertEquals(
    text,
    expected,
    "the invalid message is skipped, the rest sent in order",
  );
  assertEquals(invalid.length, 1);

  await server.write(
    new TextEncoder().encode(
      ":srv 001 ana :Hi\r\n\u0001garbage\r\nPING :x\r\n",
    ),
  );
  server.close();
  await link.closed;
  assertEquals(received.map((message) => message.command), ["001", "PING"]);
});
