/** WebSocket framing (web/frames.ts) and the HTTP/1.1 request head parser, without sockets. */

import { assertEquals, assertOk } from "./helpers/assert.ts";
import { clientTextFrame } from "./helpers/websocket.ts";
import {
  acceptKey,
  CloseCode,
  closeFrame,
  encodeFrames,
  framedSize,
  frameLines,
  FrameParser,
  Opcode,
} from "../web/frames.ts";
import { parseRequestHead } from "../web/http1.ts";

function collect(max = 1024) {
  const events: string[] = [];
  const parser = new FrameParser({
    onMessage: (opcode, payload) =>
      events.push(
        `${opcode === Opcode.text ? "text" : "binary"} ${
          new TextDecoder().decode(payload)
        }`,
      ),
    onPing: (payload) =>
      events.push(`ping ${new TextDecoder().decode(payload)}`),
    onClose: (code) => events.push(`close ${code}`),
    onError: (code, reason) => events.push(`error ${code} ${reason}`),
  }, max);
  return { events, parser };
}

/** A masked client frame with any opcode and FIN bit. */
function frame(
  opcode: number,
  payload: string,
  fin = true,
  masked = true,
): Uint8Array {
  const bytes = new TextEncoder().encode(payload);
  const out = new Uint8Array(2 + (masked ? 4 : 0) + bytes.length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = (masked ? 0x80 : 0) | bytes.length;
  const mask = [1, 2, 3, 4];
  if (masked) out.set(mask, 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 + (masked ? 4 : 0) + i] = masked ? bytes[i] ^ mask[i % 4] : bytes[i];
  }
  return out;
}

Deno.test("the accept key is RFC 6455's example", async () => {
  assertEquals(
    await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("masked frames parse however the bytes are split", () => {
  const bytes = new Uint8Array([
    ...clientTextFrame("NICK ana"),
    ...clientTextFrame("x".repeat(300)),
    ...frame(Opcode.ping, "hi"),
  ]);
  for (const step of [1, 3, 7, bytes.length]) {
    const { events, parser } = collect();
    for (let at = 0; at < bytes.length; at += step) {
      parser.push(bytes.subarray(at, at + step));
    }
    assertEquals(events, [
      "text NICK ana",
      `text ${"x".repeat(300)}`,
      "ping hi",
    ], `step ${step}`);
  }
});

Deno.test("fragments join into one message; control frames may come between", () => {
  const { events, parser } = collect();
  parser.push(frame(Opcode.text, "PRIV", false));
  parser.push(frame(Opcode.ping, "p"));
  parser.push(frame(Opcode.continuation, "MSG #a :", false));
  parser.push(frame(Opcode.continuation, "hola"));
  assertEquals(events, ["ping p", "text PRIVMSG #a :hola"]);
});

Deno.test("protocol errors: unmasked, stray continuation, too big, unknown opcode", () => {
  const cases: [Uint8Array, string][] = [
    [
      frame(Opcode.text, "x", true, false),
      `error ${CloseCode.protocolError} client frames must be masked`,
    ],
    [
      frame(Opcode.continuation, "x"),
      `error ${CloseCode.protocolError} continuation of nothing`,
    ],
    [
      clientTextFrame("y".repeat(2000)),
      `error ${CloseCode.tooBig} message too big`,
    ],
    [frame(0x3, "x"), `error ${CloseCode.protocolError} unknown opcode 3`],
    [
      frame(Opcode.ping, "x", false),
      `error ${CloseCode.protocolError} bad control frame`,
    ],
  ];
  for (const [bytes, expected] of cases) {
    const { events, parser } = collect();
    parser.push(bytes);
    parser.push(clientTextFrame("ignored after an error"));
    assertEquals(events, [expected]);
  }
});

Deno.test("a close frame reports its code and ends parsing", () => {
  const { events, parser } = collect();
  const close = new Uint8Array([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
  parser.push(close);
  parser.push(clientTextFrame("late"));
  assertEquals(events, ["close 1000"]);
});

Deno.test("server frames: one per payload, unmasked, with 7, 16 and 64-bit lengths", () => {
  const sizes = [5, 300, 70000];
  const out = encodeFrames(Opcode.text, sizes.map((n) => new Uint8Array(n)));
  assertEquals(out.length, 2 + 5 + 4 + 300 + 10 + 70000);
  assertEquals([out[0], out[1]], [0x81, 5]);
  assertEquals([out[7], out[8], out[9], out[10]], [
    0x81,
    126,
    300 >> 8,
    300 & 0xff,
  ]);
  assertEquals([out[311], out[312]], [0x81, 127]);
  assertEquals([...closeFrame(1000, "bye")], [
    0x88,
    5,
    0x03,
    0xe8,
    98,
    121,
    101,
  ]);
});

Deno.test("parseRequestHead: request line, headers, and what is refused", () => {
  const head = parseRequestHead(
    "GET /?nick=ana HTTP/1.1\r\nHost: 127.0.0.1:59480\r\nUpgrade: websocket",
  );
  assertOk(head);
  assertEquals([head.method, head.target, head.version], [
    "GET",
    "/?nick=ana",
    "HTTP/1.1",
  ]);
  assertEquals(head.headers.get("upgrade"), "websocket");
  for (
    const bad of [
      "GET http://evil/ HTTP/1.1",
      "GET / HTTP/2.0",
      "get / HTTP/1.1",
      "GET / HTTP/1.1\r\nno colon here",
      "GET /a b HTTP/1.1",
    ]
  ) {
    assertEquals(parseRequestHead(bad), undefined, bad);
  }
});

Deno.test("frameLines: one frame per line of a batch, CR LF or LF, empty lines skipped; masked frames parse back", () => {
  const batch = new TextEncoder().encode(
    `PING :a\r\n\r\nPRIVMSG #c :${"z".repeat(200)}\r\nPONG :b\n`,
  );
  for (const masked of [false, true]) {
    const size = framedSize(batch, masked);
    const frames = frameLines(
      Opcode.text,
      batch,
      new Uint8Array(size + 8),
      masked,
    );
    assertEquals(frames.length, size);
    const events: string[] = [];
    const parser = new FrameParser(
      {
        onMessage: (_, payload) =>
          events.push(new TextDecoder().decode(payload)),
        onPing: () => {},
        onClose: () => {},
        onError: (code, reason) => events.push(`error ${code} ${reason}`),
      },
      1024,
      masked,
    );
    parser.push(frames);
    assertEquals(events, [
      "PING :a",
      `PRIVMSG #c :${"z".repeat(200)}`,
      "PONG :b",
    ]);
  }
});
