import { assertEquals, assertOk } from "./helpers/assert.ts";
import { openConnection, type Transport } from "../server/connection.ts";
import type { ServerContext } from "../server/context.ts";
import { createTrafficCounts } from "../metrics/traffic.ts";
import { resolveOptions } from "../server/options.ts";
import { createChatState } from "../server/state.ts";

/** A transport fed by the test: `push` delivers bytes to the server's reads; writes are recorded. */
function fakeTransport() {
  const chunks: (Uint8Array | null)[] = [];
  const writes: Uint8Array[] = [];
  let waiting: (() => void) | undefined;
  let wrote: (() => void) | undefined;
  let closed = false;
  const transport: Transport = {
    async read(buffer) {
      while (chunks.length === 0 && !closed) {
        await new Promise<void>((resolve) => waiting = resolve);
      }
      const chunk = closed ? null : chunks.shift()!;
      if (chunk === null) return null;
      buffer.set(chunk);
      return chunk.length;
    },
    write(bytes) {
      writes.push(bytes.slice());
      wrote?.();
      return Promise.resolve(bytes.length);
    },
    close() {
      closed = true;
      waiting?.();
    },
  };
  return {
    transport,
    writes,
    /** Resolves once `count` writes have been made. */
    async writesMade(count: number): Promise<void> {
      while (writes.length < count) {
        await new Promise<void>((resolve) => wrote = resolve);
      }
    },
    push(text: string) {
      chunks.push(new TextEncoder().encode(text));
      waiting?.();
    },
  };
}

function context(): ServerContext {
  return {
    options: resolveOptions({ log: () => {} }),
    state: createChatState(),
    motd: undefined,
    startedAt: new Date(),
    version: "test",
    counts: { unregistered: 0, registered: 0, invisible: 0, peak: 0 },
    output: { queuedBytes: 0, peakQueuedBytes: 0 },
    traffic: createTrafficCounts(),
    history: undefined,
    now: Date.now,
    log: () => {},
  };
}

Deno.test("the replies to one read go out in one write: the whole welcome burst is a single batch", async () => {
  const server = context();
  const fake = fakeTransport();
  const connection = openConnection(server, {
    transport: fake.transport,
    remote: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    secure: false,
    rejectTls: true,
    onClosed: () => {},
  });
  fake.push("NICK ana\r\nUSER ana 0 * :Ana\r\nJOIN #c\r\n");
  await fake.writesMade(1);
  fake.push("PING after\r\n");
  await fake.writesMade(2);
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assertEquals(
    decode(fake.writes[1]),
    ":tertulia.local PONG tertulia.local after\r\n",
    "the burst was one write",
  );
  const text = decode(fake.writes[0]);
  const lines = text.split("\r\n").filter(Boolean);
  assertOk(lines.length >= 12, `${lines.length} lines`);
  assertOk(lines[0].includes(" 001 ana "));
  assertOk(lines.at(-1)!.includes(" 366 ana #c "));
  connection.end("done");
  await connection.closed;
  assertEquals(server.counts.registered, 0);
  assertEquals(server.state.channels.size, 0);
});
