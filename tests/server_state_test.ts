import { assertEquals, assertOk } from "./helpers/assert.ts";
import {
  applyModeChange,
  canSetTopic,
  canSpeak,
  channelModeParams,
  claimNick,
  createChatState,
  createUser,
  findChannel,
  findUser,
  formatModeChanges,
  joinChannel,
  leaveChannel,
  memberPrefix,
  parseModeChanges,
  removeUser,
  type User,
} from "../server/state.ts";

function user(state = createChatState(), nick?: string): User {
  const created = createUser({
    host: "127.0.0.1",
    secure: false,
    outbox: { send: () => {} },
    now: 0,
  });
  if (nick !== undefined) {
    assertEquals(claimNick(state, created, nick), "changed");
    created.registered = true;
  }
  return created;
}

Deno.test("claimNick: validity, collisions under ascii casefolding, case-only change", () => {
  const state = createChatState();
  const alice = user(state, "Alice");
  const other = user(state);
  assertEquals(claimNick(state, other, "alice"), "in-use");
  assertEquals(claimNick(state, other, "ALICE"), "in-use");
  assertEquals(claimNick(state, other, "1bad"), "invalid");
  assertEquals(claimNick(state, other, "a".repeat(31)), "invalid");
  assertEquals(claimNick(state, alice, "Alice"), "unchanged");
  assertEquals(claimNick(state, alice, "ALICE"), "changed");
  assertEquals(findUser(state, "alice"), alice);
  assertEquals(claimNick(state, alice, "carol"), "changed");
  assertEquals(findUser(state, "alice"), undefined);
  assertEquals(claimNick(state, other, "alice"), "changed");
  assertEquals(
    findUser(state, "alice"),
    undefined,
    "unregistered users are not found",
  );
});

Deno.test("joinChannel: creator is operator with +nt, others plain members; empty channel is deleted", () => {
  const state = createChatState();
  const alice = user(state, "alice");
  const bob = user(state, "bob");
  const first = joinChannel(state, alice, "#Plaza", undefined, 1000);
  assertEquals(first.kind, "joined");
  assertOk(first.kind === "joined" && first.created);
  const channel = findChannel(state, "#plaza")!;
  assertEquals(channel.members.get(alice), { op: true, voice: false });
  assertEquals(channelModeParams(channel, true), ["+nt"]);
  assertEquals(
    joinChannel(state, alice, "#plaza", undefined, 0).kind,
    "already",
  );
  const second = joinChannel(state, bob, "#PLAZA", undefined, 0);
  assertOk(second.kind === "joined" && !second.created);
  assertEquals(channel.members.get(bob), { op: false, voice: false });
  assertEquals(joinChannel(state, bob, "nochan", undefined, 0).kind, "invalid");
  assertEquals(joinChannel(state, bob, "#a b", undefined, 0).kind, "invalid");
  assertOk(leaveChannel(state, alice, channel));
  assertOk(!leaveChannel(state, alice, channel));
  assertOk(findChannel(state, "#plaza"));
  removeUser(state, bob);
  assertEquals(findChannel(state, "#plaza"), undefined);
  assertEquals(bob.channels.size, 0);
  assertEquals(findUser(state, "bob"), undefined);
});

Deno.test("joinChannel enforces +k, +l and +i; an invite gets past +i once", () => {
  const state = createChatState();
  const op = user(state, "op");
  const bob = user(state, "bob");
  const carol = user(state, "carol");
  joinChannel(state, op, "#c", undefined, 0);
  const channel = findChannel(state, "#c")!;
  applyModeChange(state, channel, { add: true, mode: "k", param: "secret" });
  assertEquals(joinChannel(state, bob, "#c", undefined, 0).kind, "bad-key");
  assertEquals(joinChannel(state, bob, "#c", "wrong", 0).kind, "bad-key");
  assertEquals(joinChannel(state, bob, "#c", "secret", 0).kind, "joined");
  applyModeChange(state, channel, { add: false, mode: "k" });
  applyModeChange(state, channel, { add: true, mode: "l", param: "2" });
  assertEquals(joinChannel(state, carol, "#c", undefined, 0).kind, "full");
  applyModeChange(state, channel, { add: false, mode: "l" });
  applyModeChange(state, channel, { add: true, mode: "i" });
  assertEquals(
    joinChannel(state, carol, "#c", undefined, 0).kind,
    "invite-only",
  );
  channel.invites.add(carol.key);
  assertEquals(joinChannel(state, carol, "#c", undefined, 0).kind, "joined");
  assertEquals(channel.invites.size, 0);
  leaveChannel(state, carol, channel);
  assertEquals(
    joinChannel(state, carol, "#c", undefined, 0).kind,
    "invite-only",
  );
});

Deno.test("parseModeChanges splits letters and parameters, drops changes missing a parameter", () => {
  assertEquals(parseModeChanges("+o-v+kl", ["alice", "bob", "key", "5"]), {
    changes: [
      { add: true, mode: "o", param: "alice" },
      { add: false, mode: "v", param: "bob" },
      { add: true, mode: "k", param: "key" },
      { add: true, mode: "l", param: "5" },
    ],
    unknown: [],
    missing: [],
    listQueries: [],
  });
  assertEquals(parseModeChanges("-kl+mX", []), {
    changes: [
      { add: false, mode: "k" },
      { add: false, mode: "l" },
      { add: true, mode: "m" },
    ],
    unknown: ["X"],
    missing: [],
    listQueries: [],
  });
  assertEquals(parseModeChanges("+o", []).changes, []);
  assertEquals(parseModeChanges("+o+l", []).missing, ["o", "l"]);
  assertEquals(parseModeChanges("b", []).listQueries, ["b"]);
  assertEquals(parseModeChanges("+eIb", []).listQueries, ["e", "I", "b"]);
  assertEquals(parseModeChanges("-b", ["bob"]).changes, [
    { add: false, mode: "b", param: "bob" },
  ]);
  assertEquals(parseModeChanges("-k+l", ["old", "5"]).changes, [
    { add: false, mode: "k" },
    { add: true, mode: "l", param: "5" },
  ]);
});

Deno.test("applyModeChange reports what changed, no-ops and errors", () => {
  const state = createChatState();
  const op = user(state, "op");
  const bob = user(state, "bob");
  const outsider = user(state, "outsider");
  joinChannel(state, op, "#c", undefined, 0);
  joinChannel(state, bob, "#c", undefined, 0);
  const channel = findChannel(state, "#c")!;
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "o", param: "BOB" }),
    {
      add: true,
      mode: "o",
      param: "bob",
    },
  );
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "o", param: "bob" }),
    null,
  );
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "v", param: "nobody" }),
    "no-such-nick",
  );
  assertEquals(
    applyModeChange(state, channel, {
      add: true,
      mode: "o",
      param: "outsider",
    }),
    "not-on-channel",
  );
  assertOk(outsider);
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "l", param: "x" }),
    "bad-param",
  );
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "l", param: "0" }),
    "bad-param",
  );
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "k", param: "a,b" }),
    "bad-param",
  );
  assertEquals(applyModeChange(state, channel, { add: true, mode: "t" }), null);
  assertEquals(applyModeChange(state, channel, { add: false, mode: "t" }), {
    add: false,
    mode: "t",
  });
  assertEquals(applyModeChange(state, channel, { add: true, mode: "m" }), {
    add: true,
    mode: "m",
  });
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "k", param: "pw" }),
    {
      add: true,
      mode: "k",
      param: "pw",
    },
  );
  assertEquals(
    applyModeChange(state, channel, { add: true, mode: "l", param: "9" }),
    {
      add: true,
      mode: "l",
      param: "9",
    },
  );
  assertEquals(channelModeParams(channel, true), ["+mnkl", "pw", "9"]);
  assertEquals(channelModeParams(channel, false), ["+mnkl", "*", "9"]);
  assertEquals(
    formatModeChanges([
      { add: true, mode: "o", param: "bob" },
      { add: true, mode: "m" },
      { add: false, mode: "k", param: "*" },
    ]),
    ["+om-k", "bob", "*"],
  );
});

Deno.test("canSpeak and canSetTopic follow +n, +m and +t", () => {
  const state = createChatState();
  const op = user(state, "op");
  const bob = user(state, "bob");
  const outsider = user(state, "outsider");
  joinChannel(state, op, "#c", undefined, 0);
  joinChannel(state, bob, "#c", undefined, 0);
  const channel = findChannel(state, "#c")!;
  assertOk(canSpeak(channel, bob));
  assertOk(!canSpeak(channel, outsider));
  channel.modes.noExternal = false;
  assertOk(canSpeak(channel, outsider));
  channel.modes.moderated = true;
  assertOk(!canSpeak(channel, bob));
  assertOk(canSpeak(channel, op));
  channel.members.get(bob)!.voice = true;
  assertOk(canSpeak(channel, bob));
  assertOk(canSetTopic(channel, op));
  assertOk(!canSetTopic(channel, bob));
  assertOk(!canSetTopic(channel, outsider));
  channel.modes.topicLocked = false;
  assertOk(canSetTopic(channel, bob));
  assertOk(!canSetTopic(channel, outsider));
});

Deno.test("memberPrefix shows all prefixes only with multi-prefix", () => {
  assertEquals(memberPrefix({ op: true, voice: true }, true), "@+");
  assertEquals(memberPrefix({ op: true, voice: true }, false), "@");
  assertEquals(memberPrefix({ op: false, voice: true }, false), "+");
  assertEquals(memberPrefix({ op: false, voice: false }, true), "");
});
