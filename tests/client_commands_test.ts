/**
 * The typed-command table: every row has its cases here (the `CASES` type
 * makes a row without them a type error), and the row alone feeds /help,
 * Tab completion and the list in docs/client.md.
 */

import { type ChatState, createChatState } from "../client/chat_state.ts";
import { handleServerMessage } from "../client/server_messages.ts";
import {
  type CommandName,
  commandsMarkdown,
  completeWord,
  helpLines,
  planLine,
  TYPED_COMMANDS,
} from "../client/typed_commands.ts";
import { parseMessage, serializeMessage } from "../protocol.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

const now = new Date(2026, 0, 2, 9, 5);

/** Registered as ana (with `setname`), in #general with bob, talking there. */
function joined(): ChatState {
  const state = createChatState("ana", ["#general"]);
  for (
    const line of [
      ":srv CAP * ACK :setname",
      ":srv 001 ana :Welcome",
      ":ana!a@h JOIN #general",
      ":srv 353 ana = #general :@ana bob",
      ":srv 366 ana #general :End",
    ]
  ) handleServerMessage(state, parseMessage(line), now);
  return state;
}

/** What one typed line does: the wire lines sent, and the first line shown (if any). */
interface Case {
  line: string;
  sent: string[];
  shows?: string;
  quit?: string;
  /** For a command that asks for a password: what it sends with `pw`. */
  withPassword?: string[];
}

/** At least one case per command, keyed by the row's name. */
const CASES: Record<CommandName, Case[]> = {
  join: [
    { line: "/join #rust", sent: ["JOIN #rust"] },
    { line: "/j rust llave", sent: ["JOIN #rust llave"] },
    { line: "/join #general", sent: [], shows: "Now talking in #general." },
    { line: "/join", sent: [], shows: "Usage: /join #channel [key]" },
  ],
  part: [
    { line: "/part", sent: ["PART #general"] },
    { line: "/leave #rust me voy", sent: ["PART #rust :me voy"] },
  ],
  msg: [
    { line: "/msg bob psst", sent: ["PRIVMSG bob psst"] },
    { line: "/m bob", sent: [], shows: "Usage: /msg nick text" },
  ],
  query: [{
    line: "/query bob",
    sent: [],
    shows: "Now talking privately to bob. Type /query alone to go back.",
  }],
  me: [{
    line: "/me saluda",
    sent: ["PRIVMSG #general :\x01ACTION saluda\x01"],
  }],
  nick: [
    { line: "/nick anita", sent: ["NICK anita"] },
    { line: "/nick 9x", sent: [], shows: '"9x" is not a valid nickname.' },
  ],
  names: [
    { line: "/names", sent: ["NAMES #general"] },
    { line: "/names #other", sent: ["NAMES #other"] },
  ],
  topic: [
    { line: "/topic", sent: ["TOPIC #general"] },
    { line: "/topic #rust Ownership", sent: ["TOPIC #rust Ownership"] },
  ],
  list: [{ line: "/list", sent: ["LIST"] }],
  whois: [{ line: "/whois bob", sent: ["WHOIS bob"] }],
  away: [
    { line: "/away", sent: ["AWAY"] },
    { line: "/away a comer", sent: ["AWAY :a comer"] },
  ],
  notify: [
    { line: "/notify bob", sent: ["MONITOR + bob"] },
    { line: "/notify bob, carla dan", sent: ["MONITOR + bob,carla,dan"] },
    { line: "/notify", sent: [], shows: "You are not watching anyone." },
    { line: "/notify 9x", sent: [], shows: '"9x" is not a valid nickname.' },
  ],
  unnotify: [
    { line: "/unnotify bob carla", sent: ["MONITOR - bob,carla"] },
    { line: "/unnotify", sent: [], shows: "Usage: /unnotify nick ..." },
  ],
  setname: [
    { line: "/setname Ana María", sent: ["SETNAME :Ana María"] },
    { line: "/setname", sent: [], shows: "Usage: /setname real name" },
  ],
  raw: [
    { line: "/quote MODE #general +t", sent: ["MODE #general +t"] },
    { line: "/raw", sent: [], shows: "Usage: /raw LINE" },
  ],
  register: [
    { line: "/register", sent: [], withPassword: ["REGISTER * * pw"] },
    {
      line: "/register ana@example.org",
      sent: [],
      withPassword: ["REGISTER * ana@example.org pw"],
    },
  ],
  login: [
    {
      line: "/login",
      sent: [],
      withPassword: ["PRIVMSG NickServ :IDENTIFY ana pw"],
    },
    {
      line: "/identify cuenta",
      sent: [],
      withPassword: ["PRIVMSG NickServ :IDENTIFY cuenta pw"],
    },
  ],
  help: [{ line: "/?", sent: [], shows: "Commands:" }],
  quit: [
    { line: "/quit", sent: [], quit: "Leaving" },
    { line: "/exit hasta luego", sent: [], quit: "hasta luego" },
    { line: "chao", sent: [], quit: "chao" },
  ],
};

for (const [name, cases] of Object.entries(CASES)) {
  Deno.test(`typed command /${name}`, () => {
    for (const { line, sent, shows, quit, withPassword } of cases) {
      const plan = planLine(joined(), line, now);
      assertEquals(plan.messages.map(serializeMessage), sent, line);
      assertEquals(plan.quit, quit, line);
      assertEquals(
        plan.secret?.use("pw").map(serializeMessage),
        withPassword,
        line,
      );
      if (shows !== undefined) {
        const first = plan.events[0];
        assertOk(first !== undefined && "text" in first, line);
        assertIncludes(first.text, shows);
      }
    }
  });
}

Deno.test("every row is listed by /help, completed by Tab and in docs/client.md", async () => {
  const help = helpLines().join("\n");
  const state = joined();
  for (const [name, row] of Object.entries(TYPED_COMMANDS)) {
    assertIncludes(help, `/${name} ${row.args}`.trimEnd());
    assertIncludes(help, row.summary);
    assertEquals(completeWord(state, `/${name}`), `/${name}`);
  }
  const docs = await Deno.readTextFile(
    new URL("../docs/client.md", import.meta.url),
  );
  const between = docs.split("<!-- commands:start")[1]?.split(
    "<!-- commands:end -->",
  )[0] ?? "";
  const normalise = (table: string) =>
    table.split("\n").filter((line) => line.startsWith("|")).map((line) =>
      line.replace(/\s*\|\s*/g, "|").replace(/-{3,}/g, "---")
    );
  assertEquals(
    normalise(between),
    normalise(commandsMarkdown()),
    `docs/client.md is out of date; its table should be:\n${commandsMarkdown()}`,
  );
});

Deno.test("an unknown command gets a hint and sends nothing", () => {
  const plan = planLine(joined(), "/frobnicate", now);
  assertEquals(plan.messages, []);
  assertOk(plan.events[0].kind === "error");
  assertIncludes(
    (plan.events[0] as { text: string }).text,
    "//frobnicate",
  );
});
