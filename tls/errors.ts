/**
 * Turns the errors Deno's TLS stack (rustls) throws into sentences a user can
 * act on: one set for the client, one for the server's log.
 *
 * @module
 */

import { DEFAULT_TLS_PORT } from "./port.ts";

/** Where the client was connecting, for the sentences. */
export interface TlsTarget {
  /** Host name or address the client connected to. */
  host: string;
  /** Port it connected to. */
  port: number;
  /** The file given with `--ca`, if any. */
  caFile?: string;
}

/** The sentence for an unknown CA, also the start of the longer explanation. */
export const UNKNOWN_CA_SENTENCE =
  "the server's certificate is not signed by a CA you trust: pass --ca certs/ca.crt";

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unixDate(seconds: string | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(
    /\.\d+Z$/,
    "Z",
  );
}

/** Names rustls lists after "certificate is only valid for", e.g. `DnsName("a")` or `IpAddress(1.2.3.4)`. */
function validNames(message: string): string[] {
  const list = message.split("only valid for")[1] ?? "";
  return Array.from(
    list.matchAll(/(?:DnsName|IpAddress)\(\s*"?([^")]+)"?\s*\)/g),
    (match) => match[1],
  );
}

/**
 * Explains a failed TLS connection to `target` in one sentence, meant to
 * follow a prefix that names the host and port, or gives `null` when `error`
 * is not a TLS problem (for example a refused connection), so the caller
 * reports it its own way.
 */
export function explainClientTlsError(
  error: unknown,
  target: TlsTarget,
): string | null {
  const message = messageOf(error);
  const tlsPort =
    `connect to the server's TLS port (${DEFAULT_TLS_PORT} by default)`;
  if (message.includes("UnknownIssuer")) {
    const given = target.caFile === undefined
      ? ""
      : `; ${target.caFile} is not the CA that signed it`;
    return `${UNKNOWN_CA_SENTENCE} (the CA file the server prints when it starts)${given}.`;
  }
  if (/not valid for name|NotValidForName/.test(message)) {
    const names = validNames(message);
    const covers = names.length === 0
      ? ""
      : ` (it is only valid for ${names.join(", ")})`;
    return `the server's certificate is not valid for the name "${target.host}"${covers}: connect using a name the certificate covers, or have the server use a certificate issued for "${target.host}".`;
  }
  if (/certificate expired|Expired/.test(message)) {
    const after = unixDate(message.match(/not valid after (\d+)/)?.[1]);
    const when = after === undefined ? "" : ` on ${after}`;
    return `the server's certificate expired${when}: its operator must renew it (for development certificates, run deno task certs and restart the server), or this computer's clock is wrong.`;
  }
  if (/not valid yet|NotValidYet/.test(message)) {
    return "the server's certificate is not valid yet: check the clock on this computer and on the server.";
  }
  if (/InvalidContentType|corrupt message/.test(message)) {
    return `this port does not speak TLS (the server answered in plain text): drop --tls, or ${tlsPort}.`;
  }
  if (error instanceof Deno.errors.UnexpectedEof) {
    return `the server closed the connection during the TLS handshake, so this port probably does not speak TLS: drop --tls, or ${tlsPort}.`;
  }
  if (message.includes("invalid peer certificate")) {
    const reason = message.replace(/^.*invalid peer certificate:\s*/, "");
    return `the server's certificate was rejected (${reason}): ask its operator for a valid certificate.`;
  }
  if (message.includes("received fatal alert")) {
    const alert = message.replace(/^.*received fatal alert:\s*/, "");
    return `the server refused the TLS handshake (${alert}): check that this is a tertulia TLS port.`;
  }
  return null;
}

/**
 * The sentence for a plain-text client that reached a TLS port, recognised by
 * the TLS alert the server sends back (see `looksLikeTls`).
 */
export function explainPlainClientOnTlsPort(target: TlsTarget): string {
  return `The server at ${target.host}:${target.port} expects TLS: add --tls (and --ca certs/ca.crt when it uses development certificates).`;
}

/**
 * Describes, for the server's log, why a client's TLS handshake failed.
 * Recognises plain-text clients and the alerts clients send when they
 * reject the server's certificate.
 */
export function describeHandshakeFailure(error: unknown): string {
  const message = messageOf(error);
  if (/InvalidContentType|corrupt message/.test(message)) {
    return "plain-text client on the TLS port (it did not start a TLS handshake)";
  }
  if (
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.Interrupted
  ) {
    return "client closed the connection during the TLS handshake";
  }
  const alert = message.match(/received fatal alert: (\w+)/)?.[1];
  switch (alert) {
    case undefined:
      return message;
    case "UnknownCA":
      return "client does not trust the CA that signed our certificate (UnknownCA); give it the CA file with --ca";
    case "BadCertificate":
      return "client rejected our certificate (BadCertificate), usually because it connected by a name the certificate does not cover";
    case "CertificateExpired":
      return "client rejected our certificate as expired (CertificateExpired); renew it";
    default:
      return `client aborted the TLS handshake (${alert})`;
  }
}

/**
 * The QUIT reason other users see when reading from or writing to a
 * connection failed: a plain sentence, never the TLS library's message (a
 * client that vanishes without TLS `close_notify` is simply "Connection
 * closed"). `null` when the error is not a recognised way for a peer to go,
 * so the caller can report it in its own words.
 */
export function plainQuitReason(error: unknown): string | null {
  if (
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.BrokenPipe ||
    /close_notify|unexpected eof/i.test(messageOf(error))
  ) {
    return "Connection closed";
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return "Connection reset by peer";
  }
  return null;
}
