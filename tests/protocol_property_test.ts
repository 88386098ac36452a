import { assertEquals, assertOk } from "./helpers/assert.ts";
import {
  createLineSplitter,
  type Message,
  MessageError,
  parseMessage,
  serializeMessage,
} from "../protocol.ts";

/** A small seeded generator so failures reproduce. */
function randomSource(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

Deno.test("property: random bytes through framer and parser throw nothing unexpected", () => {
  const random = randomSource(7);
  const interesting = new TextEncoder().encode(
    "@;=\\: :!#abc PRIVMSG \r\n\0\t",
  );
  let lines = 0;
  const push = createLineSplitter({
    maxLineBytes: 600,
    onLine: (line) => {
      lines++;
      try {
        parseMessage(line);
      } catch (error) {
        assertOk(error instanceof MessageError, `unexpected ${error}`);
      }
    },
    onOverflow: () => {},
  });
  for (let run = 0; run < 5000; run++) {
    const chunk = new Uint8Array(Math.floor(random() * 120));
    for (let i = 0; i < chunk.length; i++) {
      chunk[i] = random() < 0.6
        ? interesting[Math.floor(random() * interesting.length)]
        : Math.floor(random() * 256);
    }
    push(chunk);
  }
  assertOk(lines > 1000, `only ${lines} lines framed`);
});

function randomMessage(random: () => number): Message {
  const word = (first: string, rest: string, max: number) => {
    let out = first[Math.floor(random() * first.length)];
    const length = Math.floor(random() * max);
    for (let i = 0; i < length; i++) {
      out += rest[Math.floor(random() * rest.length)];
    }
    return out;
  };
  const letters = "abcXYZ";
  const middle = letters + "#&!@.:-_0123456789é";
  const trailing = middle + " :;\\\t";
  const tags: Record<string, string> = {};
  for (let i = Math.floor(random() * 3); i > 0; i--) {
    tags[word(letters, letters + "-", 5)] = random() < 0.3
      ? ""
      : word(trailing + "\r\n", trailing + "\r\n", 8);
  }
  const params: string[] = [];
  for (let i = Math.floor(random() * 5); i > 0; i--) {
    params.push(word(letters, middle, 6));
  }
  if (random() < 0.5) {
    params.push(random() < 0.2 ? "" : word(trailing, trailing, 20));
  }
  const message: Message = {
    tags,
    command: random() < 0.2 ? "001" : word("PRIVMSGJOIN", "PRIVMSGJOIN", 6),
    params,
  };
  if (random() < 0.5) message.source = word(letters, middle, 10);
  return message;
}

Deno.test("property: serialise then parse gives back every valid message", () => {
  const random = randomSource(99);
  for (let run = 0; run < 5000; run++) {
    const message = randomMessage(random);
    assertEquals(
      parseMessage(serializeMessage(message)),
      message,
      `run ${run}`,
    );
  }
});
