import { assertEquals, assertOk } from "./helpers/assert.ts";
import {
  createLineSplitter,
  DEFAULT_MAX_LINE_BYTES,
  type FramedLine,
  LineFramerStream,
} from "../protocol.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function split(chunks: Uint8Array[], maxLineBytes?: number): FramedLine[] {
  const events: FramedLine[] = [];
  const push = createLineSplitter({
    maxLineBytes,
    onLine: (line) => events.push({ kind: "line", line }),
    onOverflow: () => events.push({ kind: "overflow" }),
  });
  for (const chunk of chunks) push(chunk);
  return events;
}

const line = (text: string): FramedLine => ({ kind: "line", line: text });
const overflow: FramedLine = { kind: "overflow" };

Deno.test("splitter frames CRLF, bare LF and lines split across chunks", () => {
  assertEquals(
    split([
      bytes("PING a\r\nPI"),
      bytes("NG b\nPING c\r"),
      bytes("\n\r\n\nrest"),
    ]),
    [line("PING a"), line("PING b"), line("PING c")],
  );
});

Deno.test("splitter decodes invalid UTF-8 leniently and says so", () => {
  const invalid = new Uint8Array([0x50, 0xff, 0xc3, 0x28, 0x0a]);
  assertEquals(split([invalid]), [line("P\ufffd\ufffd(")]);
  const flags: boolean[] = [];
  const push = createLineSplitter({
    onLine: (_, invalidUtf8) => flags.push(invalidUtf8),
    onOverflow: () => {},
  });
  push(invalid);
  push(bytes("P\ufffd ok\n"));
  assertEquals(flags, [true, false]);
});

Deno.test("splitter keeps a UTF-8 character split across chunks whole", () => {
  const text = bytes("é\n");
  assertEquals(split([text.subarray(0, 1), text.subarray(1)]), [line("é")]);
});

Deno.test("an overlong line is reported once and skipped; the next line is fine", () => {
  assertEquals(
    split([bytes("x".repeat(20)), bytes("y".repeat(20) + "\nOK\n")], 16),
    [overflow, line("OK")],
  );
  assertEquals(split([bytes("x".repeat(17) + "\r\nOK\n")], 16), [
    overflow,
    line("OK"),
  ]);
  assertEquals(split([bytes("x".repeat(16) + "\r"), bytes("\n")], 16), [
    line("x".repeat(16)),
  ]);
});

Deno.test("splitter never buffers an endless line", () => {
  const events: FramedLine[] = [];
  const push = createLineSplitter({
    onLine: (text) => events.push(line(text)),
    onOverflow: () => events.push(overflow),
  });
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  const before = Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
  for (let i = 0; i < 3200; i++) push(chunk); // 200 MiB without a newline
  const after = Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
  push(bytes("\nPING\n"));
  assertEquals(events, [overflow, line("PING")]);
  assertOk(after - before < 16 * 1024 * 1024, `grew ${after - before} bytes`);
});

/** The framing rules applied to the whole input at once: the reference model. */
function reference(input: Uint8Array, max: number): FramedLine[] {
  const events: FramedLine[] = [];
  const decoder = new TextDecoder();
  let start = 0;
  for (;;) {
    const end = input.indexOf(0x0a, start);
    if (end === -1) {
      if (input.length - start > max + 1) events.push(overflow);
      return events;
    }
    let content = input.subarray(start, end);
    if (content.at(-1) === 0x0d) content = content.subarray(0, -1);
    if (content.length > max) events.push(overflow);
    else if (content.length > 0) events.push(line(decoder.decode(content)));
    start = end + 1;
  }
}

Deno.test("property: any chunking of random bytes frames like the reference", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = [0x0a, 0x0d, 0x20, 0x3a, 0x40, 0x41, 0xc3, 0xa9, 0xff, 0x00];
  for (let run = 0; run < 3000; run++) {
    const max = 1 + Math.floor(random() * 40);
    const input = new Uint8Array(Math.floor(random() * 200));
    for (let i = 0; i < input.length; i++) {
      input[i] = random() < 0.7
        ? alphabet[Math.floor(random() * alphabet.length)]
        : Math.floor(random() * 256);
    }
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < input.length;) {
      const size = 1 + Math.floor(random() * 30);
      chunks.push(input.slice(at, at + size));
      at += size;
    }
    const events = split(chunks, max);
    assertEquals(events, reference(input, max), `run ${run}`);
    for (const event of events) {
      if (event.kind === "line") {
        assertOk(new TextEncoder().encode(event.line).length <= max * 3);
      }
    }
  }
});

Deno.test("LineFramerStream frames a ReadableStream", async () => {
  const source = ReadableStream.from([bytes("A b\r\nC"), bytes(" d\n")]);
  const events = await Array.fromAsync(
    source.pipeThrough(new LineFramerStream()),
  );
  assertEquals(events, [line("A b"), line("C d")]);
});

Deno.test("default limit admits a full tags section plus a full body", () => {
  const full = "@" + "a".repeat(8189) + " " + "P".repeat(510);
  assertEquals(new TextEncoder().encode(full).length, DEFAULT_MAX_LINE_BYTES);
  assertEquals(split([bytes(full + "\r\n")]), [line(full)]);
  assertEquals(split([bytes(full + "x\r\n")]), [overflow]);
});
