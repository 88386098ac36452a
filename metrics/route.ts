/**
 * `GET /metrics` on the web listener: Prometheus text for loopback peers
 * (a collector on the same machine) and for anyone presenting the
 * `metrics-token` as `Authorization: Bearer <token>`. Behind a trusted proxy
 * the proxy's client address is the one checked, so a reverse proxy on the
 * same machine does not open metrics to the world.
 *
 * @module
 */

import { type Route, textResponse } from "../web/routes.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";

/** Whether `hostname` is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopback(hostname: string): boolean {
  const address = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (address === "::1") return true;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Compares two strings in time that depends only on their lengths. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i] ?? 0) ^ b[i];
  return difference === 0;
}

/** What {@link mayReadMetrics} decides. */
export type MetricsAccess = "allowed" | "needs-token" | "forbidden";

/**
 * Who may read the metrics: loopback peers always; others with the right
 * bearer token when one is set; nobody else.
 */
export function mayReadMetrics(
  remote: Deno.NetAddr,
  authorization: string | null,
  token: string | undefined,
): MetricsAccess {
  if (isLoopback(remote.hostname)) return "allowed";
  if (token === undefined || token === "") return "forbidden";
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
  return given !== undefined && sameSecret(given, token)
    ? "allowed"
    : "needs-token";
}

/** What {@link metricsRoute} needs. */
export interface MetricsRouteOptions {
  /** The exposition text, made when asked. */
  render(): string;
  /** The `metrics-token` in force (read per request, so a reload applies at once). */
  token(): string | undefined;
}

/** The `GET /metrics` route. */
export function metricsRoute(options: MetricsRouteOptions): Route {
  return {
    method: "GET",
    path: "/metrics",
    handle({ request, remote }) {
      const access = mayReadMetrics(
        remote,
        request.headers.get("authorization"),
        options.token(),
      );
      if (access === "forbidden") {
        return textResponse(
          403,
          "metrics are served to loopback addresses only (set metrics-token to allow others)",
        );
      }
      if (access === "needs-token") {
        const response = textResponse(401, "metrics need a bearer token");
        response.headers.set("www-authenticate", 'Bearer realm="metrics"');
        return response;
      }
      return new Response(options.render(), {
        headers: {
          "content-type": PROMETHEUS_CONTENT_TYPE,
          "cache-control": "no-store",
        },
      });
    },
  };
}
