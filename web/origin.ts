/**
 * Which pages may open a WebSocket to the server: its own (same origin), any
 * in the `--web-origin` list, and non-browser clients (no `Origin` header).
 * A cross-origin page could otherwise chat as whoever visits it.
 *
 * @module
 */

/** Normalises an origin (`https://Chat.Example.org:443` → `https://chat.example.org`); undefined if it is not one. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === "null" ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether an upgrade with this `Origin` header may proceed: none at all,
 * one whose host is the request's `Host` (same origin), or one listed in
 * `allowed` (normalised origins; `*` allows every origin).
 */
export function isOriginAllowed(
  origin: string | null,
  host: string | null,
  allowed: readonly string[],
): boolean {
  if (origin === null) return true;
  if (allowed.includes("*")) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  if (host !== null && new URL(normalized).host === host.toLowerCase()) {
    return true;
  }
  return allowed.some((entry) => normalizeOrigin(entry) === normalized);
}
