/**
 * The client side of SASL for tests: PLAIN and SCRAM-SHA-256 over a test
 * {@link IrcClient}, before registration, waiting on the server's replies.
 *
 * @module
 */

import type { Message } from "../../protocol.ts";
import {
  fromBase64,
  hmac,
  saltPassword,
  sha256,
  toBase64,
} from "../../accounts/scram.ts";
import type { IrcClient } from "./irc_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The numeric that ended an exchange (903 success, 904/905/906 failure) and everything seen. */
export interface SaslOutcome {
  /** 903, 904, 905, 906 or 907. */
  numeric: string;
  /** The 900 reply, if logged in. */
  loggedIn: Message | undefined;
}

const ENDINGS = ["903", "904", "905", "906", "907"];

async function outcome(client: IrcClient): Promise<SaslOutcome> {
  let loggedIn: Message | undefined;
  const end = await client.waitFor((m) => {
    if (m.command === "900") loggedIn = m;
    return ENDINGS.includes(m.command);
  }, { timeout: 30_000 });
  return { numeric: end.command, loggedIn };
}

/** Requests `sasl` (plus `caps`) without ending CAP negotiation. */
export async function requestSasl(
  client: IrcClient,
  caps: string[] = [],
): Promise<void> {
  await client.send("CAP LS 302");
  await client.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  await client.waitFor((m) => m.command === "CAP" && m.params[1] === "ACK");
}

/** Runs SASL PLAIN as `account` with `password`. */
export async function saslPlain(
  client: IrcClient,
  account: string,
  password: string,
): Promise<SaslOutcome> {
  await client.send("AUTHENTICATE PLAIN");
  await client.waitFor("AUTHENTICATE");
  const data = toBase64(encoder.encode(`\0${account}\0${password}`));
  await client.send(`AUTHENTICATE ${data}`);
  return await outcome(client);
}

/** Runs SASL SCRAM-SHA-256 as `account` with `password`, checking the server's signature. */
export async function saslScram(
  client: IrcClient,
  account: string,
  password: string,
): Promise<SaslOutcome & { serverVerified: boolean }> {
  await client.send("AUTHENTICATE SCRAM-SHA-256");
  await client.waitFor("AUTHENTICATE");
  const nonce = toBase64(crypto.getRandomValues(new Uint8Array(12)));
  const bare = `n=${account},r=${nonce}`;
  await client.send(`AUTHENTICATE ${toBase64(encoder.encode(`n,,${bare}`))}`);
  const challenge = await client.waitFor((m) =>
    m.command === "AUTHENTICATE" || ENDINGS.includes(m.command)
  );
  if (challenge.command !== "AUTHENTICATE") {
    return {
      numeric: challenge.command,
      loggedIn: undefined,
      serverVerified: false,
    };
  }
  const serverFirst = decoder.decode(fromBase64(challenge.params[0]));
  const fields = Object.fromEntries(
    serverFirst.split(",").map((field) => [field[0], field.slice(2)]),
  );
  const salted = await saltPassword(
    password,
    fromBase64(fields.s)!,
    Number(fields.i),
  );
  const clientKey = await hmac(salted, encoder.encode("Client Key"));
  const storedKey = await sha256(clientKey);
  const withoutProof = `c=biws,r=${fields.r}`;
  const authMessage = encoder.encode(`${bare},${serverFirst},${withoutProof}`);
  const signature = await hmac(storedKey, authMessage);
  const proof = clientKey.map((byte, index) => byte ^ signature[index]);
  await client.send(
    `AUTHENTICATE ${
      toBase64(encoder.encode(`${withoutProof},p=${toBase64(proof)}`))
    }`,
  );
  const final = await client.waitFor(
    (m) => m.command === "AUTHENTICATE" || ENDINGS.includes(m.command),
    { timeout: 30_000 },
  );
  if (final.command !== "AUTHENTICATE") {
    return {
      numeric: final.command,
      loggedIn: undefined,
      serverVerified: false,
    };
  }
  const serverKey = await hmac(salted, encoder.encode("Server Key"));
  const expected = `v=${toBase64(await hmac(serverKey, authMessage))}`;
  const serverVerified =
    decoder.decode(fromBase64(final.params[0])) === expected;
  await client.send("AUTHENTICATE +");
  return { ...await outcome(client), serverVerified };
}
