/**
 * The one colour a nick is drawn in, wherever it appears (message list,
 * users-online list), whatever its case: a hue from the nick, at the
 * lightness the page's colour scheme sets (`--nick-lightness` in style.css).
 *
 * @module
 */

import { casefold } from "../../protocol.ts";

/** Hues nicks are drawn in: 24 steps of 15°, far enough apart to tell apart. */
const HUE_STEPS = 24;

/** Hue (0–359) of `nick`; nicks equal under IRC casefolding share it. */
export function nickHue(nick: string): number {
  // FNV-1a, then Murmur3's final mix: short, similar nicks spread widely.
  let hash = 0x811c9dc5;
  for (const char of casefold(nick)) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash = (hash ^ (hash >>> 16)) >>> 0;
  return (hash % HUE_STEPS) * (360 / HUE_STEPS);
}

/** CSS colour of `nick`. */
export function nickColor(nick: string): string {
  return `hsl(${nickHue(nick)} 55% var(--nick-lightness, 42%))`;
}
