/**
 * The history store's writes, on a connection of their own: a batch of
 * lines, topics and deleted lines in one transaction, and pruning in small
 * steps. `server/history_worker.ts` runs it off the main thread; the main
 * thread's store keeps a separate connection for reads.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { casefold } from "../protocol/names.ts";
import { TOPIC_FIELDS, type WriteBatch } from "./history_control.ts";
import { BUSY_TIMEOUT_MS, firstIdFrom, type Row } from "./history_sql.ts";

/** Lines inserted per statement: one native call per chunk rather than per line. */
const INSERT_CHUNK = 64;
/** Rows deleted per step while pruning, so one step never holds the file for long. */
const PRUNE_STEP_ROWS = 500;
/** Values bound per inserted row: id, msgid, channel, target, time, source, command, text. */
const ROW_VALUES = 8;

/** Prepares every statement the writer runs, once per connection. */
function prepareStatements(db: DatabaseSync) {
  const insertSql = (rows: number) =>
    `INSERT OR IGNORE INTO messages
         (id, msgid, channel, target, time, source, command, text)
       VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
  return {
    insertOne: db.prepare(insertSql(1)),
    insertChunk: db.prepare(insertSql(INSERT_CHUNK)),
    upsertTopic: db.prepare(
      `INSERT INTO topics (channel, text, set_by, set_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET
           text = excluded.text, set_by = excluded.set_by, set_at = excluded.set_at`,
    ),
    deleteTopic: db.prepare("DELETE FROM topics WHERE channel = ?"),
    deleteLine: db.prepare(
      "DELETE FROM messages WHERE channel = ? AND msgid = ?",
    ),
    idRange: db.prepare(
      "SELECT min(id) AS low, max(id) AS high FROM messages",
    ),
    firstFrom: db.prepare(
      "SELECT id, time FROM messages WHERE id >= ? ORDER BY id LIMIT 1",
    ),
    pruneStep: db.prepare(
      `DELETE FROM messages WHERE id IN
         (SELECT id FROM messages WHERE id < ? ORDER BY id LIMIT ?)`,
    ),
  };
}

/**
 * Writes to one history file. Opened on a file whose schema the store has
 * already brought up to date; durability comes from WAL with
 * `synchronous=FULL`, so a commit that returned is on disk.
 */
export class HistoryWriter {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepareStatements>;
  /** Insert arguments, reused from batch to batch. */
  #row: (string | number)[] = new Array(ROW_VALUES * INSERT_CHUNK);

  /**
   * Opens `path` for writing; `maxBytes` caps the file's size (past it
   * writes fail as on a full disk). Throws SQLite's error if it cannot.
   */
  constructor(path: string, maxBytes?: number) {
    this.#db = new DatabaseSync(path);
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.#db.exec("PRAGMA synchronous = FULL");
      if (maxBytes !== undefined) {
        const pageSize = Number(
          (this.#db.prepare("PRAGMA page_size").get() as Row).page_size,
        );
        const pages = Math.max(1, Math.floor(maxBytes / pageSize));
        this.#db.exec(`PRAGMA max_page_count = ${pages}`);
      }
      this.#sql = prepareStatements(this.#db);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** Writes `batch` in one transaction; throws (having rolled back) if it cannot. */
  commit(batch: WriteBatch): void {
    this.#db.exec("BEGIN");
    try {
      this.#insertLines(batch);
      const { topics, forgets } = batch;
      for (let at = 0; at < topics.length; at += TOPIC_FIELDS) {
        const [key, text, setBy, setAt] = topics.slice(at, at + TOPIC_FIELDS);
        if (text === null) this.#sql.deleteTopic.run(key);
        else this.#sql.upsertTopic.run(key, text, setBy, setAt);
      }
      for (let at = 0; at < forgets.length; at += 2) {
        this.#sql.deleteLine.run(forgets[at], forgets[at + 1]);
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#rollback();
      throw error;
    }
  }

  /** Inserts the batch's lines, a chunk of rows per statement. */
  #insertLines(batch: WriteBatch): void {
    const { strings, lengths, times, firstId } = batch;
    const row = this.#row;
    let filled = 0;
    let field = 0;
    let offset = 0;
    const next = () => strings.slice(offset, offset += lengths[field++]);
    for (let index = 0; index < times.length; index++) {
      const msgid = next();
      const target = next();
      row[filled++] = firstId + index;
      row[filled++] = msgid;
      row[filled++] = casefold(target);
      row[filled++] = target;
      row[filled++] = times[index];
      row[filled++] = next(); // source
      row[filled++] = next(); // command
      row[filled++] = next(); // text
      if (filled === row.length) {
        this.#sql.insertChunk.run(...row);
        filled = 0;
      }
    }
    for (let at = 0; at < filled; at += ROW_VALUES) {
      this.#sql.insertOne.run(...row.slice(at, at + ROW_VALUES));
    }
  }

  #rollback(): void {
    try {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
    } catch {
      // SQLite already rolled back (as it does on a full disk).
    }
  }

  /**
   * Deletes lines older than `olderThan` (ms since the epoch), in steps of
   * {@link PRUNE_STEP_ROWS} rows with a pause between them so batches posted
   * meanwhile are committed; `progress` hears the running count, `stopped`
   * ends it early. Resolves to the count.
   */
  async prune(
    olderThan: number,
    progress: (count: number) => void,
    stopped: () => boolean,
  ): Promise<number> {
    // A line stamped out of order by a clock step waits for a later pass.
    const boundary = firstIdFrom(
      this.#sql.idRange,
      this.#sql.firstFrom,
      olderThan,
    ) ?? Number.MAX_SAFE_INTEGER;
    let total = 0;
    while (!stopped()) {
      const changes = Number(
        this.#sql.pruneStep.run(boundary, PRUNE_STEP_ROWS).changes,
      );
      total += changes;
      progress(total);
      if (changes < PRUNE_STEP_ROWS) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return total;
  }

  /** Closes the connection. */
  close(): void {
    this.#db.close();
  }
}
