/** The web page's chat state (web/app/model.ts), fed parsed IRC lines: no browser needed. */

import { assertEquals, assertOk } from "./helpers/assert.ts";
import { parseMessage } from "../protocol.ts";
import { ChatModel, SERVER_TAB } from "../web/app/model.ts";

function feed(model: ChatModel, ...lines: string[]) {
  return lines.map((line) => model.handle(parseMessage(line)));
}

function registered(nick = "ana"): ChatModel {
  const model = new ChatModel();
  model.beginConnection(nick);
  feed(model, `:srv 001 ${nick} :Welcome`);
  return model;
}

function conversation(model: ChatModel, name: string) {
  const found = model.conversations.find((c) => c.name === name);
  assertOk(found, `no conversation ${name}`);
  return found;
}

Deno.test("a taken or invalid nick during registration asks for another; later it is just an error", () => {
  const model = new ChatModel();
  model.beginConnection("ana");
  assertEquals(
    feed(model, ":srv 433 * ana :Nickname is already in use")[0].nickRefused,
    "ana",
  );
  assertEquals(feed(model, ":srv 001 ana :Welcome")[0].registered, true);
  assertEquals(
    feed(model, ":srv 433 ana beto :Nickname is already in use")[0]
      .nickRefused,
    undefined,
  );
  assertOk(model.active.lines.at(-1)!.kind === "error");
});

Deno.test("PING is answered", () => {
  assertEquals(feed(registered(), "PING :tok")[0].send, ["PONG :tok"]);
});

Deno.test("the users-online list follows JOIN, NAMES, PART, NICK, KICK and QUIT", () => {
  const model = registered();
  feed(
    model,
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana beto",
    ":srv 366 ana #general :End",
    ":carla!c@h JOIN #general",
  );
  model.open("#general");
  const general = conversation(model, "#general");
  const nicks = () => model.members(general).map((m) => m.prefix + m.nick);
  assertEquals(nicks(), ["@ana", "beto", "carla"]);
  feed(model, ":beto!b@h NICK :bettina");
  assertEquals(nicks(), ["@ana", "bettina", "carla"]);
  feed(model, ":carla!c@h PART #general :bye");
  assertEquals(nicks(), ["@ana", "bettina"]);
  feed(model, ":dani!d@h JOIN #general", ":ana!a@h KICK #general dani :no");
  assertEquals(nicks(), ["@ana", "bettina"]);
  feed(model, ":bettina!b@h QUIT :chao");
  assertEquals(nicks(), ["@ana"]);
  assertEquals(
    general.lines.map((line) => line.text).slice(-2),
    ["dani was removed by ana (no)", "bettina left the chat (chao)"],
  );
  assertEquals(model.joinedChannels, ["#general"]);
});

Deno.test("unread counts, mentions and private chats", () => {
  const model = registered();
  feed(model, ":ana!a@h JOIN #general", ":ana!a@h JOIN #plaza");
  model.open("#general");
  feed(
    model,
    ":beto!b@h PRIVMSG #plaza :hola",
    ":beto!b@h PRIVMSG #plaza :ana, ¿estás?",
    ":beto!b@h PRIVMSG #general :aquí",
    ":carla!c@h PRIVMSG ana :psst",
  );
  const plaza = conversation(model, "#plaza");
  assertEquals([plaza.unread, plaza.mentions], [2, 1]);
  assertEquals(plaza.lines.at(-1)!.mention, true);
  assertEquals(plaza.lines.at(-2)!.mention, false);
  assertEquals(conversation(model, "#general").unread, 0);
  const privateChat = conversation(model, "carla");
  assertEquals([privateChat.kind, privateChat.unread], ["private", 1]);
  assertEquals(model.unreadTotal, 3);
  model.open("#plaza");
  assertEquals([plaza.unread, plaza.mentions], [0, 0]);
  // An echoed private message of ours goes to the chat with its target.
  feed(model, ":ana!a@h PRIVMSG carla :dime");
  assertEquals(privateChat.lines.at(-1)!.self, true);
  assertEquals(privateChat.lines.at(-1)!.text, "dime");
});

Deno.test("history batches are marked as history and not shown twice after a reconnect", () => {
  const model = registered();
  const replay = [
    ":ana!a@h JOIN #general",
    ":srv BATCH +h1 chathistory #general",
    "@batch=h1;msgid=m1;time=2026-11-25T14:00:00.000Z :beto!b@h PRIVMSG #general :antes",
    "@batch=h1;msgid=m2;time=2026-11-25T14:01:00.000Z :beto!b@h PRIVMSG #general :\x01ACTION saluda\x01",
    ":srv BATCH -h1",
    "@msgid=m3 :beto!b@h PRIVMSG #general :ahora",
  ];
  feed(model, ...replay);
  const general = conversation(model, "#general");
  const said = () =>
    general.lines.filter((line) => line.from !== undefined).map((line) =>
      `${line.history ? "H" : "L"} ${line.kind} ${line.text}`
    );
  assertEquals(said(), [
    "H message antes",
    "H action saluda",
    "L message ahora",
  ]);
  assertEquals(
    general.lines[1].time.toISOString(),
    "2026-11-25T14:00:00.000Z",
  );
  model.beginConnection("ana");
  feed(model, ":srv 001 ana :Welcome", ...replay.slice(0, 5));
  assertEquals(said().length, 3);
});

Deno.test("server numerics land on the server tab; errors in the shown conversation", () => {
  const model = registered();
  feed(model, ":srv 251 ana :There are 2 users");
  assertEquals(
    conversation(model, SERVER_TAB).lines.at(-1)!.text,
    "There are 2 users",
  );
  feed(model, ":ana!a@h JOIN #general");
  model.open("#general");
  feed(model, ":srv 401 ana nadie :No such nick/channel");
  assertEquals(model.active.lines.at(-1)!.text, "No such nick: nadie");
  assertEquals(model.active.lines.at(-1)!.kind, "error");
});

Deno.test("text from the network is made safe: formatting and control codes go", () => {
  const model = registered();
  feed(model, ":ana!a@h JOIN #general");
  model.open("#general");
  feed(model, ":beto!b@h PRIVMSG #general :\x02negrita\x02 \x1b[31mrojo");
  assertEquals(model.active.lines.at(-1)!.text, "negrita \uFFFD[31mrojo");
});
