import { splitText } from "../client/say.ts";
import { completeWord, planLine } from "../client/typed_commands.ts";
import {
  alternativeNick,
  type ChatState,
  createChatState,
  nickFromSource,
  promptFor,
  registrationMessages,
  resetConnection,
} from "../client/chat_state.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { feed, FEED_NOW, screen, wire } from "./helpers/client_feed.ts";

/** A session registered as ana and in #general with bob. */
function joined(): ChatState {
  const state = createChatState("ana", ["#general"]);
  feed(
    state,
    ":srv 001 ana :Welcome",
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana +bob",
    ":srv 366 ana #general :End of /NAMES list.",
  );
  return state;
}

Deno.test("client session: registration, autojoin and the first user list", () => {
  const state = createChatState("ana", ["#general"]);
  assertEquals(wire(registrationMessages(state, "pw")), [
    "PASS pw",
    "CAP LS 302",
    "NICK ana",
    "USER ana 0 * ana",
  ]);
  assertEquals(wire(registrationMessages(state)), [
    "CAP LS 302",
    "NICK ana",
    "USER ana 0 * ana",
  ]);
  const welcome = feed(state, ":srv 001 ana :Welcome");
  assertEquals(welcome.signals, [{ kind: "registered" }]);
  assertEquals(wire(welcome.replies), ["JOIN #general"]);
  assertOk(!state.ready);
  const join = feed(
    state,
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana +bob",
    ":srv 353 ana = #general :carla!c@h",
    ":srv 366 ana #general :End",
  );
  assertEquals(screen(join.events), [
    "[09:05] → You joined #general",
    "Users online (#general): @ana, +bob, carla",
  ]);
  assertEquals(join.signals, [{ kind: "ready" }]);
  assertOk(state.ready);
  assertEquals(promptFor(state), "#general> ");
});

Deno.test("client session: the user list follows joins, parts, quits, kicks and nick changes", () => {
  const state = joined();
  const cases: [string, string[]][] = [
    [":carla!c@h JOIN #general", [
      "[09:05] → carla joined #general",
      "Users online (#general): @ana, +bob, carla",
    ]],
    [":bob!b@h PART #general :later", [
      "[09:05] ← bob left #general (later)",
      "Users online (#general): @ana, carla",
    ]],
    [":carla!c@h NICK Carlita", [
      "[09:05] carla is now known as Carlita",
      "Users online (#general): @ana, Carlita",
    ]],
    [":dan!d@h JOIN #general", [
      "[09:05] → dan joined #general",
      "Users online (#general): @ana, Carlita, dan",
    ]],
    [":Carlita!c@h QUIT :Quit: chao", [
      "[09:05] ← Carlita quit (Quit: chao)",
      "Users online (#general): @ana, dan",
    ]],
    [":ana!a@h KICK #general dan :spam", [
      "[09:05] ← dan was kicked from #general by ana (spam)",
      "Users online (#general): @ana",
    ]],
    [":stranger!s@h QUIT :bye", []],
    [":stranger!s@h NICK other", []],
  ];
  for (const [line, expected] of cases) {
    assertEquals(screen(feed(state, line).events), expected, line);
  }
});

Deno.test("client session: messages, private messages, actions and CTCP", () => {
  const state = joined();
  feed(state, ":ana!a@h JOIN #rust", ":srv 366 ana #rust :End");
  state.activeTarget = "#general";
  const cases: [string, string[]][] = [
    [":bob!b@h PRIVMSG #general :hola", ["[09:05] bob: hola"]],
    [":bob!b@h PRIVMSG #rust :ownership", ["[09:05] #rust bob: ownership"]],
    [":bob!b@h PRIVMSG ana :psst", ["[09:05] (private) bob: psst"]],
    [":bob!b@h PRIVMSG #general :\x01ACTION waves\x01", [
      "[09:05] * bob waves",
    ]],
    [":bob!b@h NOTICE #general :heads up", ["[09:05] -bob- heads up"]],
    [":srv NOTICE ana :server says", ["[09:05] -srv- server says"]],
    [":bob!b@h TOPIC #general :New topic", [
      "[09:05] bob set the topic of #general to: New topic",
    ]],
    [":srv 401 ana ghost :No such nick", ["No such nick: ghost"]],
  ];
  for (const [line, expected] of cases) {
    assertEquals(screen(feed(state, line).events), expected, line);
  }
  const version = feed(state, ":bob!b@h PRIVMSG ana :\x01VERSION\x01");
  assertEquals(version.events, []);
  assertEquals(wire(version.replies), [
    "NOTICE bob :\x01VERSION tertulia terminal client\x01",
  ]);
  assertEquals(wire(feed(state, "PING :abc").replies), ["PONG abc"]);
  assertEquals(feed(state, ":srv PONG srv :tok").signals, [{
    kind: "pong",
    token: "tok",
  }]);
  assertEquals(feed(state, "ERROR :Closing link").signals, [
    { kind: "closing", text: "Closing link" },
  ]);
  const stamped = feed(
    state,
    "@time=2026-03-04T05:06:07.000Z :bob!b@h PRIVMSG #general :old",
  );
  assertEquals(
    (stamped.events[0] as { time: Date }).time.toISOString(),
    "2026-03-04T05:06:07.000Z",
  );
});

Deno.test("client session: a taken nick during registration is reported, after it is an error line", () => {
  const state = createChatState("ana", ["#general"]);
  assertEquals(
    feed(state, ":srv 433 * ana :Nickname is already in use").signals,
    [
      { kind: "nick-rejected", nick: "ana", reason: "taken" },
    ],
  );
  assertEquals(feed(state, ":srv 432 * 9x :Erroneous").signals, [
    { kind: "nick-rejected", nick: "9x", reason: "invalid" },
  ]);
  feed(state, ":srv 001 ana_ :Welcome");
  assertEquals(state.nick, "ana_", "the nick in 001 is the one we have");
  const later = feed(state, ":srv 433 ana_ bob :in use");
  assertEquals(later.signals, []);
  assertEquals(screen(later.events), ["Nickname already in use: bob"]);
  assertEquals(alternativeNick("ana", 1), "ana_");
  assertEquals(alternativeNick("ana", 2), "ana_2");
  assertEquals(alternativeNick("a".repeat(30), 1), `${"a".repeat(29)}_`);
});

Deno.test("client session: typed lines become messages, with own messages echoed once", () => {
  const state = joined();
  const plan = (line: string) => planLine(state, line, FEED_NOW);
  const say = plan("hola a todos");
  assertEquals(wire(say.messages), ["PRIVMSG #general :hola a todos"]);
  assertEquals(screen(say.events), ["[09:05] ana: hola a todos"]);
  const cases: [string, string[]][] = [
    ["/me waves", ["PRIVMSG #general :\x01ACTION waves\x01"]],
    ["/msg bob psst", ["PRIVMSG bob psst"]],
    ["/nick anita", ["NICK anita"]],
    ["/names", ["NAMES #general"]],
    ["/topic", ["TOPIC #general"]],
    ["/topic Rust and more", ["TOPIC #general :Rust and more"]],
    ["/list", ["LIST"]],
    ["/whois bob", ["WHOIS bob"]],
    ["/away", ["AWAY"]],
    ["/away out to lunch", ["AWAY :out to lunch"]],
    ["/raw MODE #general +t", ["MODE #general +t"]],
    ["/part", ["PART #general"]],
    ["/part bye all", ["PART #general :bye all"]],
    ["/part #rust bye all", ["PART #rust :bye all"]],
    ["/topic #rust", ["TOPIC #rust"]],
    ["/help", []],
  ];
  for (const [line, expected] of cases) {
    assertEquals(wire(plan(line).messages), expected, line);
  }
  assertEquals(screen(plan("/msg bob psst").events), [
    "[09:05] (private to bob) ana: psst",
  ]);
  assertEquals(plan("/quit").quit, "Leaving");
  assertEquals(plan("/quit gone").quit, "gone");
  assertEquals(plan("chao").quit, "chao");
  assertEquals(screen(plan("/raw bad\x01 line :x").events).length, 1);
  assertOk(plan("/help").events.length > 10);
});

Deno.test("client session: /join, /query and /part move the active target", () => {
  const state = joined();
  const plan = (line: string) => planLine(state, line, FEED_NOW);
  assertEquals(wire(plan("/join #rust").messages), ["JOIN #rust"]);
  assertEquals(
    state.activeTarget,
    "#rust",
    "typed text goes to the new channel at once",
  );
  assertEquals(wire(plan("hi rust").messages), ["PRIVMSG #rust :hi rust"]);
  feed(state, ":ana!a@h JOIN #rust", ":srv 366 ana #rust :End");
  assertEquals(promptFor(state), "#rust> ");

  plan("/query bob");
  assertEquals(wire(plan("just us").messages), ["PRIVMSG bob :just us"]);
  assertEquals(screen(plan("just us").events), [
    "[09:05] (private to bob) ana: just us",
  ]);
  assertEquals(promptFor(state), "bob> ");
  feed(state, ":bob!b@h NICK robert");
  assertEquals(state.activeTarget, "robert", "a query follows a nick change");
  plan("/query");
  assertEquals(state.activeTarget, "#general");
  assertEquals(
    wire(plan("/join #general").messages),
    [],
    "already joined: just switch",
  );

  feed(state, ":ana!a@h PART #general");
  assertEquals(
    state.activeTarget,
    "#rust",
    "after parting, talk in another channel",
  );
  feed(state, ":ana!a@h PART #rust");
  assertEquals(state.activeTarget, null);
  assertEquals(plan("anyone?").messages, []);
  assertOk(screen(plan("anyone?").events)[0].includes("/join"));
  assertEquals(plan("/part").messages, []);

  plan("/join #banned");
  feed(state, ":srv 474 ana #banned :Cannot join channel (+b)");
  assertEquals(state.activeTarget, null, "a refused join is not the target");
  assertOk(!state.autojoin.has("#banned"));
});

Deno.test("client session: reconnecting keeps nick, target and channels to rejoin", () => {
  const state = joined();
  feed(state, ":ana!a@h JOIN #rust", ":srv 366 ana #rust :End");
  planLine(state, "/join #general", FEED_NOW);
  resetConnection(state);
  assertOk(!state.registered && !state.ready && state.channels.size === 0);
  assertEquals(state.activeTarget, "#general");
  const welcome = feed(state, ":srv 001 ana :Welcome back");
  assertEquals(wire(welcome.replies), ["JOIN #general", "JOIN #rust"]);
});

Deno.test("client session: long text is split on spaces within the line limit", () => {
  assertEquals(splitText("short", 100), ["short"]);
  assertEquals(splitText("", 10), [""]);
  assertEquals(splitText("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
  assertEquals(splitText("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  const pieces = splitText("ñ".repeat(5), 4);
  assertEquals(pieces, ["ññ", "ññ", "ñ"], "never splits a character");
  const state = joined();
  const long = "palabra ".repeat(200).trim();
  const plan = planLine(state, long, FEED_NOW);
  assertOk(plan.messages.length > 1);
  for (const line of wire(plan.messages)) {
    assertOk(new TextEncoder().encode(`:ana!a@h ${line}\r\n`).length <= 512);
  }
  assertEquals(
    plan.messages.map((message) => message.params[1]).join(" "),
    long,
  );
  assertEquals(nickFromSource("bob!b@h"), "bob");
  assertEquals(nickFromSource("irc.test"), "irc.test");
});

Deno.test("client session: Tab completion offers nicks, channels and commands", () => {
  const state = joined();
  feed(state, ":Bobby!b@h JOIN #general", ":carla!c@h JOIN #general");
  assertEquals(completeWord(state, "b"), "bob");
  assertEquals(completeWord(state, "BOBB"), "Bobby");
  assertEquals(completeWord(state, "car"), "carla");
  assertEquals(completeWord(state, "an"), null, "never our own nick");
  assertEquals(completeWord(state, "#gen"), "#general");
  assertEquals(completeWord(state, "/wh"), "/whois");
  assertEquals(completeWord(state, "zz"), null);
  planLine(state, "/query dora", FEED_NOW);
  assertEquals(
    completeWord(state, "d"),
    "dora",
    "in a query, the other person",
  );
});

Deno.test("client session: ready only once every channel joined on connect has answered", () => {
  const state = createChatState("ana", ["#general"]);
  feed(state, ":ana!a@h JOIN #rust", ":srv 366 ana #rust :End");
  resetConnection(state);
  const welcome = feed(
    state,
    ":srv 001 ana :Welcome",
    ":srv 422 ana :MOTD File is missing",
  );
  assertEquals(
    welcome.signals,
    [{ kind: "registered" }],
    "an unrelated error is not an answer",
  );
  assertEquals(feed(state, ":srv 366 ana #general :End").signals, []);
  assertEquals(feed(state, ":srv 474 ana #rust :Banned").signals, [{
    kind: "ready",
  }]);
  const none = createChatState("ana");
  assertEquals(feed(none, ":srv 001 ana :Welcome").signals, [
    { kind: "registered" },
    { kind: "ready" },
  ]);
});

Deno.test("client session: FAIL, WARN, NOTE and WALLOPS are shown, not dropped", () => {
  const state = joined();
  assertEquals(
    screen(
      feed(
        state,
        ":srv FAIL REGISTER ACCOUNT_EXISTS ana :Account already exists",
        ":srv WARN * INVALID_UTF8 :Your line was not UTF-8",
        ":srv NOTE * SOMETHING :Just so you know",
        ":oper!o@h WALLOPS :Restarting at noon",
      ).events,
    ),
    [
      "REGISTER: Account already exists",
      "Warning: Your line was not UTF-8",
      "Just so you know",
      "Wallops from oper: Restarting at noon",
    ],
  );
});
