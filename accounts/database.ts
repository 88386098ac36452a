/**
 * The accounts feature's own connection to the server's SQLite file (the
 * history file, or memory when the server keeps no history). Its tables have
 * their own schema-version table, `tertulia_schema`, keyed by component, so
 * they never fight the history store's `PRAGMA user_version` migrations, and
 * its connection is separate from the history store's (which may live in a
 * worker).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** The component name this module's migrations are versioned under. */
export const COMPONENT = "accounts";

/**
 * The schema, one entry per version: entry `i` takes the component from
 * version `i` to `i + 1`. Append, never edit.
 */
export const ACCOUNT_MIGRATIONS: readonly string[] = [
  // 1: lifetimes of channels that were private (+s, +k or +i), whose lines
  // later incarnations of the channel may not read.
  `CREATE TABLE private_channel_periods (
     channel TEXT NOT NULL,
     started INTEGER NOT NULL,
     private_since INTEGER NOT NULL,
     ended INTEGER,
     PRIMARY KEY (channel, started)
   );`,
  // 2: accounts (argon2id hash and SCRAM-SHA-256 keys, never a password),
  // server-wide bans, and registered channels.
  `CREATE TABLE accounts (
     name_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     scram_salt BLOB NOT NULL,
     scram_iterations INTEGER NOT NULL,
     scram_stored_key BLOB NOT NULL,
     scram_server_key BLOB NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE server_bans (
     mask TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     set_by TEXT NOT NULL,
     set_at INTEGER NOT NULL
   );
   CREATE TABLE registered_channels (
     channel TEXT PRIMARY KEY,
     founder TEXT NOT NULL,
     state TEXT NOT NULL
   );`,
];

/** Longest a write waits for another connection writing the same file, in ms. */
const BUSY_TIMEOUT_MS = 1000;

/**
 * Opens `path` (`:memory:` when undefined) and brings the accounts tables up
 * to date. The caller closes it.
 */
export function openAccountsDatabase(path: string | undefined): DatabaseSync {
  const db = new DatabaseSync(path ?? ":memory:");
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A process crash loses nothing in WAL mode with NORMAL; only a power
    // cut can, and it costs no fsync per channel creation.
    db.exec("PRAGMA synchronous = NORMAL");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function migrate(db: DatabaseSync): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS tertulia_schema (
       component TEXT PRIMARY KEY,
       version INTEGER NOT NULL
     )`,
  );
  const row = db.prepare(
    "SELECT version FROM tertulia_schema WHERE component = ?",
  ).get(COMPONENT) as { version: number } | undefined;
  const version = row?.version ?? 0;
  if (version > ACCOUNT_MIGRATIONS.length) {
    throw new Error(
      `the accounts tables are at schema version ${version}, newer than this server's ${ACCOUNT_MIGRATIONS.length}; upgrade tertulia`,
    );
  }
  if (version === ACCOUNT_MIGRATIONS.length) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const step of ACCOUNT_MIGRATIONS.slice(version)) db.exec(step);
    db.prepare(
      `INSERT INTO tertulia_schema (component, version) VALUES (?, ?)
       ON CONFLICT (component) DO UPDATE SET version = excluded.version`,
    ).run(COMPONENT, ACCOUNT_MIGRATIONS.length);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
