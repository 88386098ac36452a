import { assertEquals } from "./helpers/assert.ts";
import { LineQueue } from "../server/line_queue.ts";

const line = (n: number) => new Uint8Array([n]);
const contents = (queue: LineQueue) =>
  Array.from({ length: queue.length }, (_, i) => queue.at(i)[0]);

Deno.test("line queue: first in, first out across wrap-around and growth", () => {
  const queue = new LineQueue();
  let next = 0;
  let expected: number[] = [];
  // Fill and drain unevenly so the head wraps round the ring, then grow it
  // while wrapped.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 7 + round % 5; i++) {
      queue.push(line(next % 256));
      expected.push(next++ % 256);
    }
    const taken = Math.min(queue.length, 5 + round % 3);
    assertEquals(
      queue.first(taken).map((bytes) => bytes[0]),
      expected.slice(0, taken),
    );
    queue.drop(taken);
    expected = expected.slice(taken);
    assertEquals(contents(queue), expected);
  }
  for (let i = 0; i < 100; i++) {
    queue.push(line(i));
    expected.push(i);
  }
  assertEquals(contents(queue), expected);
});

Deno.test("line queue: release never drops a line", () => {
  const queue = new LineQueue();
  queue.push(line(1));
  queue.release();
  queue.release();
  assertEquals(contents(queue), [1], "a queue with lines keeps them");
  queue.drop(1);
  queue.release();
  queue.release();
  assertEquals(queue.length, 0);
  queue.push(line(2));
  queue.push(line(3));
  assertEquals(contents(queue), [2, 3]);
  queue.clear();
  assertEquals(queue.length, 0);
});
