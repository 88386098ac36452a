/**
 * The tertulia wire format: IRC (RFC 1459/2812 as modern.ircdocs.horse
 * describes them) with IRCv3 message tags. `server.ts` and `client.ts` both
 * speak through this module.
 *
 * @module
 */

export * from "./protocol/message.ts";
export * from "./protocol/framer.ts";
export * from "./protocol/names.ts";
export * from "./protocol/numerics.ts";
