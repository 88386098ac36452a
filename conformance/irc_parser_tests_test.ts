/**
 * Runs the public ircdocs parser test vectors against protocol.ts. The data
 * is read from `../shared/conformance/irc-parser-tests` (or the folder named
 * by `IRC_PARSER_TESTS`) and never copied into this repository.
 *
 * @module
 */

import { parse } from "yaml";
import { assertEquals, assertOk } from "../tests/helpers/assert.ts";
import { type Message, parseMessage, serializeMessage } from "../protocol.ts";

const folder = Deno.env.get("IRC_PARSER_TESTS") ??
  new URL("../../shared/conformance/irc-parser-tests/", import.meta.url)
    .pathname;

interface Atoms {
  tags?: Record<string, string | null>;
  source?: string;
  verb: string;
  params?: string[];
}

async function load<T>(name: string): Promise<T[]> {
  const text = await Deno.readTextFile(`${folder}/${name}`);
  return (parse(text) as { tests: T[] }).tests;
}

function toMessage(atoms: Atoms): Message {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(atoms.tags ?? {})) {
    tags[key] = value ?? "";
  }
  const message: Message = {
    tags,
    command: atoms.verb,
    params: atoms.params ?? [],
  };
  if (atoms.source !== undefined && atoms.source !== null) {
    message.source = atoms.source;
  }
  return message;
}

Deno.test("msg-split.yaml: every line parses to its atoms", async (t) => {
  const cases = await load<{ input: string; atoms: Atoms }>("msg-split.yaml");
  assertOk(cases.length > 0, "no cases found");
  for (const { input, atoms } of cases) {
    await t.step(
      input,
      () => assertEquals(parseMessage(input), toMessage(atoms)),
    );
  }
});

Deno.test("msg-join.yaml: every message serialises to an accepted line", async (t) => {
  const cases = await load<{ desc: string; atoms: Atoms; matches: string[] }>(
    "msg-join.yaml",
  );
  assertOk(cases.length > 0, "no cases found");
  for (const { desc, atoms, matches } of cases) {
    await t.step(desc, () => {
      const line = serializeMessage(toMessage(atoms));
      assertOk(
        matches.includes(line),
        `${JSON.stringify(line)} is not one of ${JSON.stringify(matches)}`,
      );
    });
  }
});
