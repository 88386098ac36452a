/**
 * The names development certificates cover, apart from the certificate code
 * itself, so the option parser can name them without loading the X.509
 * library (about 20 MB of memory) on every server start.
 *
 * @module
 */

/** Names a development server certificate covers by default. */
export const DEV_SERVER_NAMES: readonly string[] = ["localhost", "127.0.0.1"];
