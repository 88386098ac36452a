/**
 * The page's account handshake, run during capability negotiation: log in
 * with SASL PLAIN, or create the account with `REGISTER`
 * (draft/account-registration) and continue logged in. The password is kept
 * here, in memory only, so a reconnection logs in again; nothing stores it.
 * No DOM and no socket: the model feeds it and says what it answered.
 *
 * @module
 */

import { type Message, Numeric } from "../../protocol.ts";
import { plainPayload } from "../../client/handlers/accounts.ts";

/** What the user chose to do with the password on the name picker. */
export type AccountMode = "login" | "register";

/** A password typed on the name picker, and what to do with it. */
export interface Credentials {
  /** The account: the nick at the time it was typed. */
  account: string;
  /** Kept in memory only, for reconnections. */
  password: string;
  /** Log in to an existing account, or create it first. */
  mode: AccountMode;
}

/** What the handshake made of one message. */
export interface AccountStep {
  /** Lines to send back. */
  send: string[];
  /** Set when logging in or creating the account failed before registration: what to tell the user. */
  failed?: string;
  /** A sentence to show in the chat (a failure after registration). */
  note?: string;
}

const ENDS_NEGOTIATION = "CAP END";

/** Whether a 433 says the nick belongs to an account (strict nick protection), not that someone holds it. */
export function isReservedNick(message: Message): boolean {
  return message.command === Numeric.ERR_NICKNAMEINUSE &&
    /reserved|regist/i.test(message.params.at(-1) ?? "");
}

function registerFailure(code: string, account: string, text: string): string {
  switch (code) {
    case "ACCOUNT_EXISTS":
      return `The name "${account}" already has an account. If it is yours, choose "Log in" with its password; otherwise pick another name.`;
    case "WEAK_PASSWORD":
      return `Please choose a stronger password: ${text}`;
    default:
      return `The account could not be created: ${text}`;
  }
}

/** One page's account state across its connections. */
export class AccountSession {
  #credentials: Credentials | null = null;
  #account: string | undefined = undefined;
  #exchanging = false;
  #registerAfterWelcome = false;

  /** The credentials used on every connection, or null to connect without an account. */
  get credentials(): Credentials | null {
    return this.#credentials;
  }

  set credentials(credentials: Credentials | null) {
    this.#credentials = credentials;
  }

  /** The account this connection is logged in to, if any. */
  get account(): string | undefined {
    return this.#account;
  }

  /** A new connection: not logged in yet; the credentials are kept. */
  beginConnection(): void {
    this.#account = undefined;
    this.#exchanging = false;
    this.#registerAfterWelcome = false;
  }

  /**
   * Handles `message` if it belongs to the handshake, saying what to send;
   * undefined when it is not the handshake's (the model handles it).
   */
  handle(message: Message, registered: boolean): AccountStep | undefined {
    const p = message.params;
    const credentials = this.#credentials;
    switch (message.command) {
      case "CAP": {
        if (registered || !/^(ACK|NAK)$/.test(p[1] ?? "")) return undefined;
        if (credentials === null) return { send: [ENDS_NEGOTIATION] };
        this.#exchanging = true;
        if (credentials.mode === "register") {
          return { send: [`REGISTER * * :${credentials.password}`] };
        }
        const acked = p[1] === "ACK" &&
          (p.at(-1) ?? "").split(" ").includes("sasl");
        if (!acked) {
          this.#exchanging = false;
          return {
            send: [],
            failed: "This server does not offer logging in (SASL).",
          };
        }
        return { send: ["AUTHENTICATE PLAIN"] };
      }
      case "AUTHENTICATE":
        if (p[0] !== "+" || !this.#exchanging || credentials === null) {
          return { send: [] };
        }
        return {
          send: plainPayload(credentials.account, credentials.password).map((
            piece,
          ) => `AUTHENTICATE ${piece}`),
        };
      case Numeric.RPL_LOGGEDIN:
        this.#account = p[2] ?? p[1];
        return { send: [] };
      case Numeric.RPL_LOGGEDOUT:
        this.#account = undefined;
        return { send: [] };
      case Numeric.RPL_SASLSUCCESS:
        return this.#finish(registered);
      case Numeric.ERR_SASLFAIL:
      case Numeric.ERR_SASLTOOLONG:
      case Numeric.ERR_NICKLOCKED: {
        if (registered) return undefined;
        this.#exchanging = false;
        const text = p.at(-1) ?? "";
        return {
          send: [],
          failed: /too many/i.test(text)
            ? `Too many wrong passwords for "${credentials?.account}". Please wait a few minutes and try again.`
            : `Could not log in as "${credentials?.account}": wrong password, or no account has that name. Check the password and try again, or choose "Create account".`,
        };
      }
      case Numeric.ERR_SASLABORTED:
      case Numeric.ERR_SASLALREADY:
      case Numeric.RPL_SASLMECHS:
        return { send: [] };
      case Numeric.RPL_WELCOME:
        if (!this.#registerAfterWelcome || credentials === null) {
          return undefined;
        }
        this.#registerAfterWelcome = false;
        return { send: [`REGISTER * * :${credentials.password}`] };
      case "REGISTER":
        if (credentials !== null && p[0] === "SUCCESS") {
          // From now on (reconnections too) the account exists: log in.
          this.#credentials = {
            ...credentials,
            account: p[1] ?? credentials.account,
            mode: "login",
          };
        }
        return this.#finish(registered);
      case "FAIL": {
        if (p[0] !== "REGISTER") return undefined;
        const [, code = "", account = "", text = ""] = p;
        if (code === "COMPLETE_CONNECTION_REQUIRED" && !registered) {
          // This server registers accounts only after connecting.
          this.#exchanging = false;
          this.#registerAfterWelcome = true;
          return { send: [ENDS_NEGOTIATION] };
        }
        const why = registerFailure(code, account, text);
        this.#exchanging = false;
        return registered ? { send: [], note: why } : { send: [], failed: why };
      }
    }
    return undefined;
  }

  #finish(registered: boolean): AccountStep {
    const ends = this.#exchanging && !registered;
    this.#exchanging = false;
    return { send: ends ? [ENDS_NEGOTIATION] : [] };
  }
}
