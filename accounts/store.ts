/**
 * The account store: one row per account, keyed by the case-folded name,
 * holding the argon2id hash and the SCRAM-SHA-256 keys (never the
 * password). Reads are synchronous SQLite lookups; creating an account
 * hashes first (async) and then inserts.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { casefold } from "../protocol/names.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { deriveScramCredentials, type ScramCredentials } from "./scram.ts";

/** One stored account. */
export interface Account {
  /** The name as registered. */
  name: string;
  /** argon2id PHC string. */
  passwordHash: string;
  /** SCRAM-SHA-256 keys. */
  scram: ScramCredentials;
  /** When it was registered, ms since the epoch. */
  createdAt: number;
}

interface AccountRow {
  name: string;
  password_hash: string;
  scram_salt: Uint8Array;
  scram_iterations: number;
  scram_stored_key: Uint8Array;
  scram_server_key: Uint8Array;
  created_at: number;
}

/** Accounts in the server's database. */
export class AccountStore {
  /** Told of each account created here (a network node shares it with the others). */
  onCreated: ((account: Account) => void) | undefined = undefined;
  #get: StatementSync;
  #insert: StatementSync;

  /** Uses `db`, already migrated by `openAccountsDatabase`. */
  constructor(db: DatabaseSync) {
    this.#get = db.prepare("SELECT * FROM accounts WHERE name_key = ?");
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO accounts (name_key, name, password_hash,
         scram_salt, scram_iterations, scram_stored_key, scram_server_key,
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** The account called `name` (any case), if there is one. */
  get(name: string): Account | undefined {
    const row = this.#get.get(casefold(name)) as AccountRow | undefined;
    if (row === undefined) return undefined;
    return {
      name: row.name,
      passwordHash: row.password_hash,
      scram: {
        salt: new Uint8Array(row.scram_salt),
        iterations: row.scram_iterations,
        storedKey: new Uint8Array(row.scram_stored_key),
        serverKey: new Uint8Array(row.scram_server_key),
      },
      createdAt: row.created_at,
    };
  }

  /** Whether an account called `name` exists. */
  exists(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Creates account `name` with `password`; resolves to false when the name was taken meanwhile. */
  async create(name: string, password: string, now: number): Promise<boolean> {
    const account = {
      name,
      passwordHash: await hashPassword(password),
      scram: await deriveScramCredentials(password),
      createdAt: now,
    };
    if (!this.insert(account)) return false;
    this.onCreated?.(account);
    return true;
  }

  /** Stores `account` as it is (hashed elsewhere); false when its name is taken. */
  insert(account: Account): boolean {
    const { scram } = account;
    const result = this.#insert.run(
      casefold(account.name),
      account.name,
      account.passwordHash,
      scram.salt,
      scram.iterations,
      scram.storedKey,
      scram.serverKey,
      account.createdAt,
    );
    return result.changes === 1;
  }

  /** The account `name` when `password` is its password. */
  async check(name: string, password: string): Promise<Account | undefined> {
    const account = this.get(name);
    // An unknown name costs one hash too, so timing does not tell it apart.
    const hash = account?.passwordHash ?? await dummyHash();
    const ok = await verifyPassword(password, hash);
    return ok && account !== undefined ? account : undefined;
  }
}

let dummy: Promise<string> | undefined;

/** A valid hash of a random password, verified against when an account does not exist. */
function dummyHash(): Promise<string> {
  return dummy ??= hashPassword(crypto.randomUUID());
}
