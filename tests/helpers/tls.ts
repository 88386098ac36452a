/**
 * TLS fixtures for tests: a throwaway CA with good, wrong-name and expired
 * server certificates, written to a temporary directory (never `certs/`),
 * and a one-shot handshake probe.
 *
 * @module
 */

import { join } from "node:path";
import {
  type CertificatePair,
  createCertificateAuthority,
  issueServerCertificate,
} from "../../tls/certificates.ts";
import type { TlsOptions } from "../../server/options.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A PEM pair and the files it was written to. */
export interface WrittenPair extends CertificatePair {
  /** Path of the certificate file. */
  certFile: string;
  /** Path of the key file. */
  keyFile: string;
}

/** Everything {@link createTestPki} makes. */
export interface TestPki {
  /** The temporary directory holding all files; remove it when done. */
  dir: string;
  /** The CA that signed every server certificate below. */
  ca: WrittenPair;
  /** Another CA, which signed nothing here: trusting it alone must fail. */
  otherCa: WrittenPair;
  /** Valid for `localhost` and `127.0.0.1`. */
  server: WrittenPair;
  /** Valid only for `wrong.example`. */
  wrongName: WrittenPair;
  /** Valid for `localhost` and `127.0.0.1`, but expired yesterday. */
  expired: WrittenPair;
}

async function write(
  dir: string,
  name: string,
  pair: CertificatePair,
): Promise<WrittenPair> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await Deno.writeTextFile(certFile, pair.cert);
  await Deno.writeTextFile(keyFile, pair.key, { mode: 0o600 });
  return { ...pair, certFile, keyFile };
}

/** Creates a CA and its server certificates in a new temporary directory. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "tertulia-tls-" });
  const ca = await createCertificateAuthority({ commonName: "test CA" });
  const otherCa = await createCertificateAuthority({ commonName: "other CA" });
  const now = Date.now();
  return {
    dir,
    ca: await write(dir, "ca", ca),
    otherCa: await write(dir, "other-ca", otherCa),
    server: await write(dir, "server", await issueServerCertificate(ca)),
    wrongName: await write(
      dir,
      "wrong-name",
      await issueServerCertificate(ca, { names: ["wrong.example"] }),
    ),
    expired: await write(
      dir,
      "expired",
      await issueServerCertificate(ca, {
        notBefore: new Date(now - 10 * DAY_MS),
        notAfter: new Date(now - DAY_MS),
      }),
    ),
  };
}

/** What each side of {@link probeHandshake} saw: `null` for success, else the error. */
export interface HandshakeOutcome {
  /** The client's handshake error, or `null`. */
  client: unknown;
  /** The server's handshake error, or `null`. */
  server: unknown;
}

/**
 * Listens for TLS with `pair` on an ephemeral port of 127.0.0.1 and serves
 * one handshake; `served` settles with `null` on success, else the server's
 * error. The caller closes the listener.
 */
export function serveOneHandshake(
  pair: CertificatePair,
): { listener: Deno.TlsListener; served: Promise<unknown> } {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await conn.handshake();
      return null;
    } catch (error) {
      return error;
    } finally {
      conn.close();
    }
  })();
  return { listener, served };
}

/**
 * Serves one TLS handshake with `pair` on an ephemeral port and connects to
 * it as `hostname` trusting `caCerts` (the system roots when omitted).
 */
export async function probeHandshake(
  pair: CertificatePair,
  hostname: string,
  caCerts?: string[],
): Promise<HandshakeOutcome> {
  const { listener, served } = serveOneHandshake(pair);
  const { port } = listener.addr;
  let client: unknown = null;
  try {
    const conn = await Deno.connectTls({ hostname, port, caCerts });
    try {
      await conn.handshake();
    } finally {
      conn.close();
    }
  } catch (error) {
    client = error;
  }
  const server = await served;
  listener.close();
  return { client, server };
}

/** Resolves once the peer has closed `conn` (reading and dropping what it sends); fails if it is still open after `ms`. */
export async function closedWithin(conn: Deno.Conn, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`socket still open after ${ms} ms`)),
      ms,
    );
  });
  try {
    const buffer = new Uint8Array(1024);
    while (
      await Promise.race([conn.read(buffer).catch(() => null), late]) !== null
    );
  } finally {
    clearTimeout(timer);
  }
}

/** TLS listener options for a test server: a free port and the PKI's `localhost` certificate. */
export function serverTlsOptions(pki: TestPki): TlsOptions {
  return {
    port: 0,
    certFile: pki.server.certFile,
    keyFile: pki.server.keyFile,
  };
}

/** Wraps a test body so it gets a fresh {@link TestPki}, removed afterwards. */
export function withPki(
  run: (pki: TestPki) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const pki = await createTestPki();
    try {
      await run(pki);
    } finally {
      await Deno.remove(pki.dir, { recursive: true });
    }
  };
}
