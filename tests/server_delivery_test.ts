import { assertEquals, assertOk } from "./helpers/assert.ts";
import {
  createRelay,
  fitBody,
  relayBytes,
  sendToChannel,
  sendToNeighbours,
  truncateUtf8,
} from "../server/delivery.ts";
import {
  claimNick,
  createChatState,
  createUser,
  joinChannel,
  type User,
} from "../server/state.ts";

const decoder = new TextDecoder();

function recorder(
  state: ReturnType<typeof createChatState>,
  nick: string,
  caps: string[] = [],
) {
  const received: Uint8Array[] = [];
  const user: User = createUser({
    host: "h",
    secure: false,
    outbox: { send: (line) => received.push(line) },
    now: 0,
  });
  claimNick(state, user, nick);
  user.registered = true;
  user.user = nick;
  user.caps = new Set(caps);
  return {
    user,
    received,
    text: () => received.map((line) => decoder.decode(line)),
  };
}

Deno.test("a channel message is encoded once per capability variant and shared by recipients", () => {
  const state = createChatState();
  const sender = recorder(state, "sender");
  const plain = [recorder(state, "p1"), recorder(state, "p2")];
  const timed = [
    recorder(state, "t1", ["server-time"]),
    recorder(state, "t2", ["server-time"]),
  ];
  for (const member of [sender, ...plain, ...timed]) {
    joinChannel(state, member.user, "#c", undefined, 0);
  }
  const channel = state.channels.get("#c")!;
  const relay = createRelay("sender!sender@h", "PRIVMSG", ["#c", "hola"], {
    time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  });
  sendToChannel(channel, relay, sender.user);
  assertEquals(sender.received.length, 0);
  assertOk(
    plain[0].received[0] === plain[1].received[0],
    "plain recipients share one buffer",
  );
  assertOk(
    timed[0].received[0] === timed[1].received[0],
    "server-time recipients share one buffer",
  );
  assertEquals(plain[0].text(), [":sender!sender@h PRIVMSG #c hola\r\n"]);
  assertEquals(timed[0].text(), [
    "@time=2026-01-02T03:04:05.006Z :sender!sender@h PRIVMSG #c hola\r\n",
  ]);
});

Deno.test("client tags and msgid reach only message-tags recipients", () => {
  const state = createChatState();
  const tagged = recorder(state, "tagged", ["message-tags"]);
  const plain = recorder(state, "plain");
  const relay = createRelay("a!a@h", "PRIVMSG", ["#c", "x"], {
    clientTags: { "+draft/react": "👍" },
    msgid: "id1",
    time: 0,
  });
  assertEquals(
    decoder.decode(relayBytes(relay, tagged.user)),
    "@msgid=id1;+draft/react=👍 :a!a@h PRIVMSG #c x\r\n",
  );
  assertEquals(
    decoder.decode(relayBytes(relay, plain.user)),
    ":a!a@h PRIVMSG #c x\r\n",
  );
});

Deno.test("sendToNeighbours reaches each user sharing a channel exactly once", () => {
  const state = createChatState();
  const quitter = recorder(state, "quitter");
  const both = recorder(state, "both");
  const one = recorder(state, "one");
  const stranger = recorder(state, "stranger");
  joinChannel(state, quitter.user, "#a", undefined, 0);
  joinChannel(state, quitter.user, "#b", undefined, 0);
  joinChannel(state, both.user, "#a", undefined, 0);
  joinChannel(state, both.user, "#b", undefined, 0);
  joinChannel(state, one.user, "#b", undefined, 0);
  joinChannel(state, stranger.user, "#z", undefined, 0);
  sendToNeighbours(
    quitter.user,
    createRelay("quitter!q@h", "QUIT", ["Quit: bye"]),
    false,
  );
  assertEquals(both.text(), [":quitter!q@h QUIT :Quit: bye\r\n"]);
  assertEquals(one.received.length, 1);
  assertEquals(stranger.received.length, 0);
  assertEquals(quitter.received.length, 0);
  sendToNeighbours(
    quitter.user,
    createRelay("quitter!q@h", "NICK", ["new"]),
    true,
  );
  assertEquals(quitter.received.length, 1);
  assertEquals(both.received.length, 2);
});

Deno.test("fitBody cuts an overlong last parameter to fit 512 bytes without splitting characters", () => {
  const text = "ñ".repeat(400);
  const body = fitBody("someone!user@host.example", "PRIVMSG", [
    "#channel",
    text,
  ]);
  assertOk(new TextEncoder().encode(body).length <= 510);
  assertOk(body.startsWith(":someone!user@host.example PRIVMSG #channel ñ"));
  assertOk(!body.includes("\ufffd"));
  assertEquals(truncateUtf8("aé", 2), "a");
  assertEquals(truncateUtf8("abc", 5), "abc");
});
