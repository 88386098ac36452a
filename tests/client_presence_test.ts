/**
 * The terminal client's use of `away-notify`, MONITOR (`/notify`) and
 * `setname`: pure handler tests fed server lines, no socket.
 */

import { planLine } from "../client/typed_commands.ts";
import {
  type ChatState,
  createChatState,
  resetConnection,
} from "../client/chat_state.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { feed, FEED_NOW, screen, wire } from "./helpers/client_feed.ts";

/** Registered as ana, in #general with bob and carla. */
function joined(): ChatState {
  const state = createChatState("ana", ["#general"]);
  feed(
    state,
    ":srv 001 ana :Welcome",
    ":ana!a@h JOIN #general",
    ":srv 353 ana = #general :@ana bob carla",
    ":srv 366 ana #general :End of /NAMES list.",
  );
  return state;
}

Deno.test("client presence: away-notify and setname are requested when offered", () => {
  const state = createChatState("ana");
  const offer = feed(
    state,
    ":srv CAP * LS :away-notify batch setname sasl extended-monitor",
  );
  assertEquals(wire(offer.replies), [
    "CAP REQ :away-notify batch sasl setname",
  ]);
});

Deno.test("client presence: AWAY marks the user list and says who left and came back", () => {
  const state = joined();
  const away = feed(state, ":bob!b@h AWAY :lunch");
  assertEquals(screen(away.events), [
    "[09:05] bob is away: lunch",
    "Users online (#general): @ana, bob (away), carla",
  ]);
  // The same reason again (a server resending it) is not shown twice.
  assertEquals(feed(state, ":bob!b@h AWAY :lunch").events, []);
  const back = feed(state, ":bob!b@h AWAY");
  assertEquals(screen(back.events), [
    "[09:05] bob is back",
    "Users online (#general): @ana, bob, carla",
  ]);
  assertEquals(feed(state, ":bob!b@h AWAY").events, []);
});

Deno.test("client presence: the away mark follows NICK and is dropped by QUIT and a rejoin", () => {
  const state = joined();
  feed(state, ":bob!b@h AWAY :lunch");
  const renamed = feed(state, ":bob!b@h NICK robert");
  assertIncludes(
    screen(renamed.events).join("\n"),
    "Users online (#general): @ana, carla, robert (away)",
  );
  feed(state, ":robert!b@h QUIT :bye", ":robert!b@h JOIN #general");
  assertEquals(state.away.size, 0);
  feed(state, ":carla!c@h AWAY :out");
  feed(state, ":carla!c@h PART #general", ":carla!c@h JOIN #general");
  const list = feed(state, ":srv 353 ana = #general :@ana carla robert")
    .events.concat(feed(state, ":srv 366 ana #general :End").events);
  assertEquals(screen(list), ["Users online (#general): @ana, carla, robert"]);
  feed(state, ":robert!b@h AWAY :zzz");
  resetConnection(state);
  assertEquals(state.away.size, 0);
});

Deno.test("client presence: /notify sends MONITOR, 730/731 say online/offline, reconnects resend", () => {
  const state = joined();
  assertEquals(wire(planLine(state, "/notify Bob,dan", FEED_NOW).messages), [
    "MONITOR + Bob,dan",
  ]);
  assertIncludes(
    screen(planLine(state, "/notify", FEED_NOW).events)[0],
    "Watching: Bob, dan.",
  );
  const replies = feed(
    state,
    ":srv 730 ana :Bob!b@h,dan!d@h",
    ":srv 731 ana :dan",
  );
  assertEquals(screen(replies.events), [
    "[09:05] Bob is online",
    "[09:05] dan is online",
    "[09:05] dan is offline",
  ]);
  assertEquals(wire(planLine(state, "/unnotify BOB", FEED_NOW).messages), [
    "MONITOR - BOB",
  ]);
  resetConnection(state);
  assertEquals(wire(feed(state, ":srv 001 ana :Welcome").replies), [
    "JOIN #general",
    "MONITOR + dan",
  ]);
});

Deno.test("client presence: /setname needs the setname cap; SETNAME confirms ours only", () => {
  const state = joined();
  const refused = planLine(state, "/setname Ana María", FEED_NOW);
  assertEquals(refused.messages, []);
  assertIncludes(screen(refused.events)[0], "cannot change your real name");
  state.caps.add("setname");
  assertEquals(wire(planLine(state, "/setname Ana María", FEED_NOW).messages), [
    "SETNAME :Ana María",
  ]);
  assertEquals(
    screen(feed(state, ":ana!a@h SETNAME :Ana María").events),
    ["Your real name is now Ana María."],
  );
  assertEquals(feed(state, ":bob!b@h SETNAME :Roberto").events, []);
});
