/**
 * The well-known TLS port, shared by the server's listener and the client's
 * default.
 *
 * @module
 */

/** The port tertulia serves TLS on when TLS is on and no `--tls-port` is given; the client's default with `--tls`. */
export const DEFAULT_TLS_PORT = 59421;
