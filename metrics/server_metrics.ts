/**
 * The server's metrics as Prometheus families, all named `tertulia_*`: read
 * from the context's counters, chat state, history store, the event-loop
 * sampler and the process's memory when `GET /metrics` asks.
 *
 * @module
 */

import type { ServerContext } from "../server/context.ts";
import type { EventLoopLag } from "./event_loop.ts";
import type { MetricFamily } from "./prometheus.ts";
import { DISCONNECT_CAUSES, TRANSPORT_KINDS } from "./traffic.ts";

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "gauge", samples: [{ value }] };
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "counter", samples: [{ value }] };
}

/** Every metric of one server, now. */
export function serverMetrics(
  context: ServerContext,
  lag: EventLoopLag,
): MetricFamily[] {
  const { traffic, counts, state } = context;
  const families: MetricFamily[] = [
    {
      name: "tertulia_info",
      help: "Always 1; the version label names the running software.",
      type: "gauge",
      samples: [{ labels: { version: context.version }, value: 1 }],
    },
    gauge(
      "tertulia_start_time_seconds",
      "When the server started, in seconds since the Unix epoch.",
      context.startedAt.getTime() / 1000,
    ),
    {
      name: "tertulia_connections",
      help: "Open client connections, by transport.",
      type: "gauge",
      samples: TRANSPORT_KINDS.map((transport) => ({
        labels: { transport },
        value: traffic.open[transport],
      })),
    },
    {
      name: "tertulia_connections_accepted_total",
      help: "Client connections admitted since start, by transport.",
      type: "counter",
      samples: TRANSPORT_KINDS.map((transport) => ({
        labels: { transport },
        value: traffic.accepted[transport],
      })),
    },
    counter(
      "tertulia_connections_refused_total",
      "Connections refused by max-clients or max-per-ip.",
      traffic.refused,
    ),
    {
      name: "tertulia_disconnects_total",
      help:
        "Connections ended since start, by reason (sendq, flood, ping, kill, ...).",
      type: "counter",
      samples: DISCONNECT_CAUSES.map((reason) => ({
        labels: { reason },
        value: traffic.disconnects[reason],
      })),
    },
    gauge(
      "tertulia_registered_users",
      "Users who finished registration.",
      counts.registered,
    ),
    gauge(
      "tertulia_unregistered_connections",
      "Connections that have not registered yet.",
      counts.unregistered,
    ),
    gauge("tertulia_channels", "Channels that exist.", state.channels.size),
    counter(
      "tertulia_lines_in_total",
      "Lines received from clients and run.",
      traffic.linesIn,
    ),
    counter(
      "tertulia_lines_out_total",
      "Lines queued to clients.",
      traffic.linesOut,
    ),
    counter(
      "tertulia_deliveries_total",
      "PRIVMSG, NOTICE and TAGMSG copies handed to recipients.",
      traffic.deliveries,
    ),
    gauge(
      "tertulia_send_queue_bytes",
      "Bytes waiting in clients' send queues.",
      context.output.queuedBytes,
    ),
    gauge(
      "tertulia_event_loop_lag_seconds",
      "How late the latest event-loop timer fired.",
      lag.lastSeconds,
    ),
    gauge(
      "tertulia_event_loop_lag_max_seconds",
      "The largest event-loop lag since start.",
      lag.maxSeconds,
    ),
    {
      name: "tertulia_event_loop_lag_samples_seconds",
      help: "Event-loop lag samples (every 0.5 s): their sum and count.",
      type: "summary",
      samples: [
        { suffix: "_sum", value: lag.sumSeconds },
        { suffix: "_count", value: lag.samples },
      ],
    },
  ];
  const memory = Deno.memoryUsage();
  families.push(
    gauge(
      "tertulia_resident_memory_bytes",
      "Resident set size of the server process.",
      memory.rss,
    ),
    gauge(
      "tertulia_heap_used_bytes",
      "JavaScript heap in use.",
      memory.heapUsed,
    ),
  );
  const { network } = context;
  if (network !== undefined) {
    families.push(
      gauge(
        "tertulia_cluster_online",
        "1 while the network's Redis is reachable, 0 while it is not.",
        network.online ? 1 : 0,
      ),
      gauge(
        "tertulia_cluster_nodes",
        "Nodes of the network with users, this one included.",
        network.nodeCount,
      ),
      gauge(
        "tertulia_cluster_remote_users",
        "Registered users connected to other nodes.",
        network.remoteUsers,
      ),
      counter(
        "tertulia_cluster_entries_applied_total",
        "Entries of the network's log applied by this node.",
        network.applied,
      ),
    );
  }
  const history = context.history?.store.stats();
  if (history !== undefined) {
    families.push(
      gauge(
        "tertulia_history_queue_depth",
        "History lines and topics waiting for the next commit.",
        history.queued,
      ),
      {
        name: "tertulia_history_commit_seconds",
        help: "Time history commits took: their sum and count.",
        type: "summary",
        samples: [
          { suffix: "_sum", value: history.commitSeconds },
          { suffix: "_count", value: history.commits },
        ],
      },
      gauge(
        "tertulia_history_last_commit_seconds",
        "Time the latest history commit took.",
        history.lastCommitSeconds,
      ),
    );
  }
  return families;
}
