/**
 * The history store's writer thread: a Worker that owns the write
 * connection, so SQLite's inserts, commits (and their disk syncs) and
 * pruning run beside the chat instead of on its thread. It takes the
 * messages of {@link WriterRequest} in order and reports each batch in the
 * shared {@link WriterControl} block, which the store reads when it next
 * writes or reads; a batch that failed is also posted back, so the store
 * logs it at once.
 *
 * @module
 */

import {
  WriterControl,
  type WriterReply,
  type WriterRequest,
  WriterState,
} from "./history_control.ts";
import { reason } from "./history_sql.ts";
import { HistoryWriter } from "./history_writer.ts";

/** The parts of the worker's global scope this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply): void;
}

const scope = self as unknown as WorkerScope;

let writer: HistoryWriter | undefined;
let control: WriterControl | undefined;
let closed = false;
/** Prune requests waiting their turn: one runs at a time. */
const prunes: { request: number; olderThan: number }[] = [];
let pruning = false;

function open(path: string, maxBytes: number | undefined): void {
  if (control === undefined) return;
  try {
    writer = new HistoryWriter(path, maxBytes);
    control.setState(WriterState.Ready);
  } catch (error) {
    control.setReason(reason(error));
    control.setState(WriterState.Failed);
  }
}

async function runPrunes(): Promise<void> {
  if (pruning) return;
  pruning = true;
  for (let next = prunes.shift(); next !== undefined; next = prunes.shift()) {
    const { request, olderThan } = next;
    try {
      if (writer === undefined || closed) {
        scope.postMessage({ kind: "pruned", request, count: 0 });
        continue;
      }
      control?.setPruning(request, 0);
      const count = await writer.prune(
        olderThan,
        (count) => control?.setPruning(request, count),
        () => closed,
      );
      scope.postMessage({ kind: "pruned", request, count });
    } catch (error) {
      scope.postMessage({
        kind: "pruneFailed",
        request,
        reason: reason(error),
      });
    }
  }
  pruning = false;
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.kind) {
    case "open":
      control = new WriterControl(message.control);
      open(message.path, message.maxBytes);
      break;
    case "write": {
      if (writer === undefined || control === undefined || closed) break;
      const { seq, postedAt } = message.batch;
      const started = performance.now();
      try {
        writer.commit(message.batch);
        control.addCommit((performance.now() - started) / 1000);
        control.finish(seq, postedAt, true);
      } catch (error) {
        control.setReason(reason(error));
        control.finish(seq, postedAt, false);
        // So the store logs it now, not at its next write or read.
        scope.postMessage({ kind: "failed" });
      }
      break;
    }
    case "prune":
      prunes.push(message);
      runPrunes();
      break;
    case "close":
      closed = true;
      try {
        writer?.close();
      } finally {
        control?.setState(WriterState.Closed);
      }
      break;
  }
};
