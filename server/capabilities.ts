/**
 * The IRCv3 capability table: every capability the server can offer, with
 * when it is offered and the value CAP LS 302 shows. CAP (in
 * handlers/registration.ts) reads only this table, so adding a capability is
 * one row here plus the behaviour it names.
 *
 * @module
 */

import { MECHANISMS } from "../accounts/sasl.ts";
import type { ServerContext } from "./context.ts";

/** One row of the capability table. */
export interface CapabilitySpec {
  /** Whether `server` offers it now; default always. */
  offered?: (server: ServerContext) => boolean;
  /** The value shown after `=` in CAP LS 302, if any. */
  value?: (server: ServerContext) => string | undefined;
}

/** Every capability, in the order CAP LS lists them. */
export const CAPABILITIES: ReadonlyMap<string, CapabilitySpec> = new Map<
  string,
  CapabilitySpec
>([
  ["away-notify", {}],
  ["batch", {}],
  ["cap-notify", {}],
  // Offered for clients that track hosts; no host changes while connected yet.
  ["chghost", {}],
  ["echo-message", {}],
  ["extended-monitor", {}],
  ["invite-notify", {}],
  ["labeled-response", {}],
  ["message-tags", {}],
  ["multi-prefix", {}],
  ["server-time", {}],
  ["setname", {}],
  ["userhost-in-names", {}],
  ["draft/chathistory", { offered: (server) => server.history !== undefined }],
  ["draft/message-redaction", {}],
  ["draft/read-marker", {}],
  ["account-notify", { offered: (server) => server.accounts !== undefined }],
  ["account-tag", { offered: (server) => server.accounts !== undefined }],
  ["extended-join", {}],
  ["sasl", {
    offered: (server) => server.accounts !== undefined,
    value: () => MECHANISMS.join(","),
  }],
  ["draft/account-registration", {
    offered: (server) => server.accounts !== undefined,
    value: (server) =>
      server.options.registerBeforeConnect ? "before-connect" : undefined,
  }],
]);

/** Whether `server` offers capability `name`. */
export function isOffered(server: ServerContext, name: string): boolean {
  const spec = CAPABILITIES.get(name);
  return spec !== undefined && (spec.offered?.(server) ?? true);
}

/** The CAP LS tokens: names, with `=value` for CAP LS 302 and later. */
export function capLsTokens(
  server: ServerContext,
  withValues: boolean,
): string[] {
  const tokens: string[] = [];
  for (const [name, spec] of CAPABILITIES) {
    if (!(spec.offered?.(server) ?? true)) continue;
    const value = withValues ? spec.value?.(server) : undefined;
    tokens.push(value === undefined ? name : `${name}=${value}`);
  }
  return tokens;
}

/**
 * Splits CAP LS/LIST tokens into lines of at most `room` bytes of tokens
 * each (all on one line when they fit), as CAP LS 302 allows.
 */
export function capLines(tokens: readonly string[], room: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const token of tokens) {
    if (line !== "" && line.length + 1 + token.length > room) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? token : `${line} ${token}`;
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines;
}
