/**
 * The software version both programs report: the server in 002, 004 and
 * VERSION, and `--version` of server and client.
 *
 * @module
 */

/** Software version string. */
export const VERSION = "tertulia-0.1.0";
