/**
 * What a network keeps in Redis besides its log, for nodes that were not
 * running when it happened: accounts (a hash) and the newest channel lines
 * (a capped stream). Each node still answers from its own SQLite; these only
 * fill it in.
 *
 * @module
 */

import type { ServerContext } from "../server/context.ts";
import type { HistoryLine } from "../server/history.ts";
import { decodeAccount, encodeAccount } from "./accounts.ts";
import type { RedisLog } from "./redis_log.ts";

/**
 * Stores every account the network kept that this node lacks, and from now
 * on keeps those made here and tells the running nodes (`announce`).
 */
export async function shareAccounts(
  server: ServerContext,
  log: RedisLog,
  announce: (account: string) => Promise<unknown>,
): Promise<void> {
  const store = server.accounts?.store;
  if (store === undefined) return;
  for (const json of await log.accounts()) store.insert(decodeAccount(json));
  store.onCreated = async (account) => {
    const json = encodeAccount(account);
    try {
      await log.keepAccount(account.name, json);
      await announce(json);
    } catch (error) {
      server.log(
        `cluster: account ${account.name} is not shared yet (${error}); other nodes get it when they start`,
        "warn",
      );
    }
  };
}

/**
 * Stores the channel lines this node missed while it was away (by msgid,
 * once each), and from now on keeps the lines its own users send
 * (`fromHere` tells, for the line being recorded).
 */
export async function shareHistory(
  server: ServerContext,
  log: RedisLog,
  fromHere: () => boolean,
): Promise<void> {
  const hook = server.history;
  if (hook === undefined) return;
  const { store } = hook;
  const lines = (await log.history()).map((json) =>
    JSON.parse(json) as HistoryLine
  );
  // Lines this node already has, committed or still queued, are skipped.
  const missing = lines.filter((line) =>
    store.around(line.target, { msgid: line.msgid }, 1).length === 0
  );
  for (const line of missing) store.record(line);
  if (missing.length > 0) {
    server.log(
      `cluster: stored ${missing.length} history lines sent while this node was away`,
    );
  }
  hook.onRecorded = (line) => {
    if (fromHere()) log.keepHistory(JSON.stringify(line)).catch(() => {});
  };
}
