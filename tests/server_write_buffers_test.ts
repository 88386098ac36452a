import { assertEquals, assertOk } from "./helpers/assert.ts";
import { LineQueue } from "../server/line_queue.ts";
import { MAX_WRITE_BYTES, WriteBuffers } from "../server/write_buffers.ts";

function queueOf(...lines: Uint8Array[]): LineQueue {
  const queue = new LineQueue();
  for (const line of lines) queue.push(line);
  return queue;
}

Deno.test("write buffers: the smallest size that fits, reused once released (also via a subarray), foreign bytes never kept", () => {
  assertEquals(WriteBuffers.take(100).length, 2048);
  assertEquals(WriteBuffers.take(3000).length, 4096);
  assertEquals(WriteBuffers.take(MAX_WRITE_BYTES).length, MAX_WRITE_BYTES);

  const first = WriteBuffers.take(1500);
  WriteBuffers.release(first.subarray(0, 1500));
  const again = WriteBuffers.take(700);
  assertOk(again.buffer === first.buffer, "the released buffer is reused");
  assertEquals(again.length, 2048, "whole, not the subarray");

  const foreign = new Uint8Array(2048);
  WriteBuffers.release(foreign);
  assertOk(
    WriteBuffers.take(10).buffer !== foreign.buffer,
    "bytes the pool did not make (a shared relay line) are never handed out",
  );

  let error: unknown;
  try {
    WriteBuffers.take(MAX_WRITE_BYTES + 1);
  } catch (caught) {
    error = caught;
  }
  assertOk(error instanceof RangeError);
});

Deno.test("write buffers: the same queued lines joined for two connections share one buffer, kept until both writes are done", () => {
  const encoder = new TextEncoder();
  const hello = encoder.encode(":a PRIVMSG #c :hello\r\n");
  const bye = encoder.encode(":a PRIVMSG #c :bye\r\n");
  const total = hello.length + bye.length;
  const first = WriteBuffers.join(queueOf(hello, bye), 2, total);
  assertEquals(
    new TextDecoder().decode(first),
    ":a PRIVMSG #c :hello\r\n:a PRIVMSG #c :bye\r\n",
  );
  const second = WriteBuffers.join(
    queueOf(hello, bye, encoder.encode("x")),
    2,
    total,
  );
  assertOk(second === first, "the same lines share the joined bytes");
  const other = WriteBuffers.join(queueOf(bye, hello), 2, total);
  assertOk(other.buffer !== first.buffer, "other lines get their own buffer");
  assertEquals(
    new TextDecoder().decode(other),
    ":a PRIVMSG #c :bye\r\n:a PRIVMSG #c :hello\r\n",
  );

  WriteBuffers.release(first);
  assertOk(
    WriteBuffers.take(total).buffer !== first.buffer,
    "still in use by the second write",
  );
  WriteBuffers.release(second);
  assertOk(
    WriteBuffers.take(total).buffer === first.buffer,
    "reused once every write of it is done",
  );
});
