import { assertEquals, assertOk } from "./helpers/assert.ts";
import { MAX_WRITE_BYTES, WriteBuffers } from "../server/write_buffers.ts";

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
