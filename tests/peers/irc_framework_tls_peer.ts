/**
 * An irc-framework bot that connects with TLS and verifies the server's
 * certificate. It runs in its own process because irc-framework takes no CA
 * option: the test passes the CA with `deno run --cert`.
 *
 * Usage: `deno run -A --cert CA.pem irc_framework_tls_peer.ts PORT NICK PARTNER`
 *
 * Connects to 127.0.0.1:PORT as NICK, says "hello over TLS" to PARTNER, and
 * quits once PARTNER answers. Reports what irc-framework raises as JSON lines
 * on stdout (`registered`, `privmsg`, `error`) and exits 0 after a clean
 * close, 1 after a connection error, 2 on bad usage.
 *
 * @module
 */

import { Client } from "irc-framework";

/** Writes one JSON event line to stdout. */
function report(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

const [port, nick, partner] = Deno.args;
if (partner === undefined || !/^\d+$/.test(port)) {
  console.error("Usage: irc_framework_tls_peer.ts PORT NICK PARTNER");
  Deno.exit(2);
}

// irc-framework ships no types; only the calls below are used.
// deno-lint-ignore no-explicit-any
const bot: any = new Client();
let failed = false;
bot.on("registered", () => {
  report({ event: "registered" });
  bot.say(partner, "hello over TLS");
});
bot.on("privmsg", (event: { nick: string; message: string }) => {
  if (event.nick !== partner) return;
  report({ event: "privmsg", nick: event.nick, message: event.message });
  bot.quit("done");
});
bot.on("socket close", (error?: Error & { code?: string }) => {
  if (!error) return;
  failed = true;
  report({ event: "error", message: error.message, code: error.code });
});
bot.on("close", () => Deno.exit(failed ? 1 : 0));
bot.connect({
  host: "127.0.0.1",
  port: Number(port),
  nick,
  username: nick.toLowerCase(),
  gecos: `${nick} (irc-framework over TLS)`,
  tls: true,
  rejectUnauthorized: true,
  auto_reconnect: false,
});
