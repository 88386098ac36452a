/**
 * Assertions for the test suite, on top of `node:assert/strict` (JSR's
 * `@std/assert` is not reachable here).
 *
 * @module
 */

import assert from "node:assert/strict";

/** Asserts deep, strict equality of `actual` and `expected`. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `value` is truthy. */
export function assertOk(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}

/** Asserts that `text` contains `part`. */
export function assertIncludes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp): void {
  assert.match(text, pattern);
}

/** Asserts that `fn` throws an instance of `type`, and returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any -- a constructor of any signature.
  type: new (...args: any[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${String(error)}`,
    );
    return error;
  }
  throw new assert.AssertionError({
    message: `expected ${type.name} to be thrown`,
  });
}

/** Asserts that `promise` rejects with an instance of `type`, and returns the error. */
export async function assertRejects<E extends Error>(
  promise: Promise<unknown>,
  // deno-lint-ignore no-explicit-any -- a constructor of any signature.
  type: new (...args: any[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${String(error)}`,
    );
    return error;
  }
  throw new assert.AssertionError({
    message: `expected ${type.name} rejection`,
  });
}
