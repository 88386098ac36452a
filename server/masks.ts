/**
 * IRC wildcard masks (`*` any run, `?` one character), matched without
 * regard to case under the server's casemapping. Used by bans, WHO and LIST.
 *
 * @module
 */

import { casefold } from "../protocol/names.ts";

/** Whether `text` contains a `*` or `?` wildcard. */
export function hasWildcards(text: string): boolean {
  return text.includes("*") || text.includes("?");
}

/** A predicate telling whether a string matches `mask`, case-insensitively. */
export function maskMatcher(mask: string): (text: string) => boolean {
  const pattern = casefold(mask).replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*").replace(/\?/g, ".");
  const regex = new RegExp(`^${pattern}$`, "s");
  return (text) => regex.test(casefold(text));
}

/** Completes a ban mask to `nick!user@host` form: `bob` → `bob!*@*`, `*@h` → `*!*@h`. */
export function normalizeBanMask(mask: string): string {
  const bang = mask.indexOf("!");
  const at = mask.indexOf("@", Math.max(bang, 0));
  if (bang === -1 && at === -1) return `${mask}!*@*`;
  if (bang === -1) return `*!${mask}`;
  if (at === -1) return `${mask}@*`;
  return mask;
}
