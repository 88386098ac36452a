/**
 * Certificate generation over WebCrypto: a local certificate authority and
 * the server certificates it signs, as PEM text, plus SHA-256 fingerprints.
 * No files are touched here; see `dev_certs.ts` for that.
 *
 * @module
 */

// @peculiar/x509 resolves its services through tsyringe, which needs the
// Reflect metadata API to be installed before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { DEV_SERVER_NAMES } from "./names.ts";

/** A PEM certificate and its PEM (PKCS #8) private key. */
export interface CertificatePair {
  /** The certificate, `-----BEGIN CERTIFICATE-----`. */
  cert: string;
  /** Its private key, `-----BEGIN PRIVATE KEY-----`. */
  key: string;
}

export { DEV_SERVER_NAMES };

/** Common name of the development certificate authority. */
export const DEV_CA_NAME = "tertulia development CA";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdating of `notBefore`, so a peer whose clock is a little behind still accepts a new certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** Validity period of a certificate; both ends are optional. */
export interface ValidityOptions {
  /** Start of validity. Defaults to one hour ago. */
  notBefore?: Date;
  /** End of validity. Defaults to `notBefore` plus the kind's default lifetime. */
  notAfter?: Date;
}

/** Options for {@link createCertificateAuthority}. */
export interface AuthorityOptions extends ValidityOptions {
  /** Subject common name. Defaults to {@link DEV_CA_NAME}. */
  commonName?: string;
}

/** Options for {@link issueServerCertificate}. */
export interface ServerCertificateOptions extends ValidityOptions {
  /** DNS names and IP addresses the certificate is valid for. Defaults to {@link DEV_SERVER_NAMES}. */
  names?: readonly string[];
}

/** Default lifetime of a certificate authority: ten years. */
export const AUTHORITY_LIFETIME_DAYS = 3650;
/** Default lifetime of a server certificate: 397 days, the most browsers accept. */
export const SERVER_LIFETIME_DAYS = 397;

x509.cryptoProvider.set(crypto);

function validity(options: ValidityOptions, lifetimeDays: number) {
  const notBefore = options.notBefore ??
    new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = options.notAfter ??
    new Date(notBefore.getTime() + lifetimeDays * DAY_MS);
  return { notBefore, notAfter };
}

function isIpAddress(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(":");
}

function commonName(name: string): string {
  return `CN=${name.replace(/[,+="\\<>;#]/g, "\\$&")}`;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

function generateKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
}

/** Creates a self-signed ECDSA P-256 certificate authority that can sign server certificates. */
export async function createCertificateAuthority(
  options: AuthorityOptions = {},
): Promise<CertificatePair> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: commonName(options.commonName ?? DEV_CA_NAME),
    ...validity(options, AUTHORITY_LIFETIME_DAYS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: certificate.toString("pem"),
    key: await exportKey(keys.privateKey),
  };
}

/**
 * Issues an ECDSA P-256 server certificate signed by `authority`, valid for
 * TLS server authentication under each of `names` (DNS names or IP
 * addresses). Throws when `authority.key` is not an ECDSA P-256 PKCS #8 key.
 */
export async function issueServerCertificate(
  authority: CertificatePair,
  options: ServerCertificateOptions = {},
): Promise<CertificatePair> {
  const names = options.names ?? DEV_SERVER_NAMES;
  if (names.length === 0) {
    throw new RangeError("A server certificate needs at least one name");
  }
  const issuer = new x509.X509Certificate(authority.cert);
  const signingKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(authority.key),
    ALGORITHM,
    false,
    ["sign"],
  );
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject: commonName(names[0]),
    issuer: issuer.subject,
    ...validity(options, SERVER_LIFETIME_DAYS),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((name): x509.JsonGeneralName => ({
          type: isIpAddress(name) ? "ip" : "dns",
          value: name,
        })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: certificate.toString("pem"),
    key: await exportKey(keys.privateKey),
  };
}

/** What {@link inspectCertificate} reads from a certificate. */
export interface CertificateInfo {
  /** Subject distinguished name, e.g. `CN=localhost`. */
  subject: string;
  /** DNS names and IP addresses from the subject alternative name extension. */
  names: string[];
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** SHA-256 of the DER encoding, as colon-separated upper-case hex pairs (the `openssl x509 -fingerprint -sha256` form). */
  fingerprint: string;
}

/** Reads the subject, names, validity and SHA-256 fingerprint of the first certificate in `pem`. Throws when `pem` holds no certificate. */
export async function inspectCertificate(
  pem: string,
): Promise<CertificateInfo> {
  const certificate = new x509.X509Certificate(pem);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const digest = await crypto.subtle.digest("SHA-256", certificate.rawData);
  return {
    subject: certificate.subject,
    names: san?.names.items.map((name) => name.value) ?? [],
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    fingerprint: Array.from(
      new Uint8Array(digest),
      (byte) => byte.toString(16).padStart(2, "0").toUpperCase(),
    ).join(":"),
  };
}
