/** The web page's chat state (web/app/model.ts), fed parsed IRC lines: no browser needed. */

import { assertEquals, assertOk } from "./helpers/assert.ts";
import { parseMessage } from "../protocol.ts";
import { ChatModel, SERVER_TAB } from "../web/app/model.ts";
import { nickColor, nickHue } from "../web/app/nick_color.ts";

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

/** A model connecting as `nick` with a password, up to the server's CAP ACK. */
function withPassword(mode: "login" | "register", nick = "ana"): ChatModel {
  const model = new ChatModel();
  model.credentials = { account: nick, password: "una clave larga", mode };
  model.beginConnection(nick);
  return model;
}

const ACK = ":srv CAP * ACK :server-time batch echo-message sasl";

Deno.test("without a password, capability negotiation simply ends", () => {
  const model = new ChatModel();
  model.beginConnection("ana");
  assertEquals(feed(model, ACK)[0].send, ["CAP END"]);
  assertEquals(feed(model, ":srv CAP * NAK :sasl")[0].send, ["CAP END"]);
});

Deno.test("log in: SASL PLAIN before CAP END; the account shows, and a reconnection logs in again", () => {
  const model = withPassword("login");
  assertEquals(model.wantsSasl, true);
  const payload = btoa("ana\0ana\0una clave larga");
  for (let round = 0; round < 2; round++) {
    assertEquals(feed(model, ACK)[0].send, ["AUTHENTICATE PLAIN"]);
    assertEquals(feed(model, "AUTHENTICATE +")[0].send, [
      `AUTHENTICATE ${payload}`,
    ]);
    const [loggedIn, success, welcome] = feed(
      model,
      ":srv 900 ana ana!ana@h ana :You are now logged in as ana",
      ":srv 903 ana :SASL authentication successful",
      ":srv 001 ana :Welcome",
    );
    assertEquals(loggedIn.send, []);
    assertEquals(success.send, ["CAP END"]);
    assertEquals(welcome.registered, true);
    assertEquals(model.account, "ana");
    // A drop: a new connection starts logged out, with the same password.
    model.beginConnection("ana");
    assertEquals(model.account, undefined);
  }
  assertEquals(model.credentials?.mode, "login");
});

Deno.test("a wrong password fails before registration with a sentence to show", () => {
  const model = withPassword("login");
  feed(model, ACK, "AUTHENTICATE +");
  const [failed] = feed(model, ":srv 904 * :SASL authentication failed");
  assertEquals(failed.send, []);
  assertOk(/log in as "ana": wrong password/.test(failed.loginFailed!));
  assertEquals(model.registered, false);
  const [braked] = feed(
    model,
    ":srv 904 * :SASL authentication failed: too many failed attempts, try again later",
  );
  assertOk(/Too many wrong passwords/.test(braked.loginFailed!));
  const noAccounts = withPassword("login");
  const [refused] = feed(noAccounts, ":srv CAP * NAK :server-time sasl");
  assertOk(/does not offer logging in/.test(refused.loginFailed!));
});

Deno.test("create account: REGISTER before CAP END, then later connections log in", () => {
  const model = withPassword("register");
  assertEquals(model.wantsSasl, false);
  assertEquals(feed(model, ACK)[0].send, ["REGISTER * * :una clave larga"]);
  const [success] = feed(
    model,
    ":srv REGISTER SUCCESS ana :Account successfully registered",
  );
  assertEquals(success.send, ["CAP END"]);
  feed(model, ":srv 900 ana ana!ana@h ana :You are now logged in as ana");
  assertEquals(model.account, "ana");
  assertEquals(model.credentials?.mode, "login");
  assertEquals(model.wantsSasl, true);
  model.beginConnection("ana");
  assertEquals(feed(model, ACK)[0].send, ["AUTHENTICATE PLAIN"]);
});

Deno.test("create account: an existing account or a weak password is explained", () => {
  const exists = withPassword("register");
  feed(exists, ACK);
  const [taken] = feed(
    exists,
    ":srv FAIL REGISTER ACCOUNT_EXISTS ana :Account already exists",
  );
  assertOk(/already has an account.*Log in/.test(taken.loginFailed!));
  const weak = withPassword("register");
  feed(weak, ACK);
  const [short] = feed(
    weak,
    ":srv FAIL REGISTER WEAK_PASSWORD ana :Passwords need at least 8 characters",
  );
  assertOk(/stronger password: Passwords need/.test(short.loginFailed!));
});

Deno.test("create account on a server that registers only after connecting: REGISTER after 001", () => {
  const model = withPassword("register");
  feed(model, ACK);
  const [later] = feed(
    model,
    ":srv FAIL REGISTER COMPLETE_CONNECTION_REQUIRED ana :Finish connecting first",
  );
  assertEquals(later, { send: ["CAP END"] });
  const [welcome] = feed(model, ":srv 001 ana :Welcome");
  assertEquals(welcome.registered, true);
  assertEquals(welcome.send, ["REGISTER * * :una clave larga"]);
});

Deno.test("a registered nick without its password is refused as reserved, not as taken", () => {
  const model = new ChatModel();
  model.beginConnection("ana");
  const [reserved] = feed(
    model,
    ":srv 433 * ana :Nickname is reserved by a different account; log in (SASL) or choose another",
  );
  assertEquals(reserved.nickRefused, "ana");
  assertEquals(reserved.nickReserved, true);
  const [taken] = feed(model, ":srv 433 * ana :Nickname is already in use");
  assertEquals(taken.nickReserved, false);
});

Deno.test("a nick has one colour everywhere, whatever its case (the server's ascii casemapping)", () => {
  assertEquals(nickColor("Ana"), nickColor("ana"));
  assertEquals(nickHue("ANA[m]"), nickHue("ana[m]"));
  assertOk(nickHue("ana") !== nickHue("beto"));
  assertOk(/^hsl\(\d+ 55% var\(--nick-lightness/.test(nickColor("ana")));
});
