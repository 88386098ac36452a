/**
 * Commands run by the user's own node alone. They still pass through the
 * log, so they are answered after the user's earlier commands (JOIN then
 * NAMES sees the JOIN). Most only read the chat state; the account commands
 * check passwords (slow, and each node would finish at another point of the
 * log), so their effects on others reach the other nodes as entries of their
 * own: a login, `+o`, a GHOSTed user's departure, a new account.
 *
 * @module
 */

/** Verbs that only read the state: still answered while Redis is unreachable. */
export const READ_ONLY: ReadonlySet<string> = new Set([
  "PING",
  "PONG",
  "NAMES",
  "LIST",
  "WHO",
  "WHOIS",
  "WHOWAS",
  "ISON",
  "USERHOST",
  "LUSERS",
  "MOTD",
  "VERSION",
  "TIME",
  "INFO",
  "LINKS",
  "HELP",
  "HELPOP",
  "CHATHISTORY",
  // Only the watcher's own node has a socket to tell.
  "MONITOR",
  // Each node reloads its own configuration.
  "REHASH",
]);

/**
 * Verbs that may check a password, answering later: the user's next lines
 * wait for the answer, as they do on a single server.
 */
export const PASSWORD_CHECKS: ReadonlySet<string> = new Set([
  "REGISTER",
  "AUTHENTICATE",
  "NICKSERV",
  "NS",
  "OPER",
]);

/** Verbs run by the origin node alone; everything else runs on every node. */
export const ORIGIN_ONLY: ReadonlySet<string> = new Set([
  ...READ_ONLY,
  ...PASSWORD_CHECKS,
]);

/** The upper-case verb of a raw IRC line (its tags and source skipped), or `""`. */
export function verbOf(line: string): string {
  let start = 0;
  for (let pass = 0; pass < 2; pass++) {
    while (line[start] === " ") start++;
    const first = line[start];
    if (first !== "@" && first !== ":") break;
    const space = line.indexOf(" ", start);
    if (space < 0) return "";
    start = space;
  }
  while (line[start] === " ") start++;
  const end = line.indexOf(" ", start);
  return line.slice(start, end < 0 ? undefined : end).toUpperCase();
}
