/**
 * Renders the bench chart as a self-contained SVG: deliveries per second,
 * p99 latency and server CPU per delivery per server and fan-out scenario
 * (CPU for the cluster runs too), bars at the median with min–max whiskers.
 *
 * @module
 */

import type { ServerKind } from "./peers.ts";
import {
  type BenchResults,
  type RunMetrics,
  SCENARIO_TITLES,
  type ScenarioId,
} from "./results.ts";
import type { Spread } from "./stats.ts";

const COLORS: Record<ServerKind, string> = {
  tertulia: "#2b6cb0",
  ngircd: "#dd6b20",
  inspircd: "#38a169",
};

const SCENARIOS: ScenarioId[] = ["fanout-small", "fanout-large", "history"];
/** The CPU panel's groups: the fan-outs and the same fan-out over a network of nodes. */
const CPU_SCENARIOS: ScenarioId[] = [
  ...SCENARIOS,
  "cluster-1",
  "cluster-2",
  "cluster-3",
];
const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 260;
const MARGIN = { top: 40, right: 20, bottom: 50, left: 60 };

/** Rounds a coordinate to one decimal, to keep the SVG small. */
function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tick step of 1, 2 or 5 × 10^n giving about five ticks up to `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/** Where a panel goes, how wide it is and which scenarios it groups. */
interface PanelPlace {
  x: number;
  y: number;
  width: number;
  scenarios: ScenarioId[];
}

function panel(
  results: BenchResults,
  servers: ServerKind[],
  metric: keyof RunMetrics,
  title: string,
  scale: number,
  place: PanelPlace,
): string {
  const groups = place.scenarios.map((scenario) => ({
    scenario,
    bars: servers.map((server) => ({
      server,
      spread: results.results.find((r) =>
        r.scenario === scenario && r.server === server &&
        r.skipped === undefined
      )?.summary[metric] as Spread | undefined,
    })).filter((bar) => bar.spread !== undefined),
  })).filter((group) => group.bars.length > 0);
  const plotWidth = place.width - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = Math.max(
    1e-9,
    ...groups.flatMap((g) => g.bars.map((b) => b.spread!.max / scale)),
  );
  const step = tickStep(top);
  const axisMax = Math.ceil(top / step) * step;
  const y = (value: number) =>
    round(MARGIN.top + plotHeight - (value / scale / axisMax) * plotHeight);
  const parts: string[] = [
    `<g transform="translate(${place.x},${place.y})">`,
    `<text x="${
      place.width / 2
    }" y="22" text-anchor="middle" font-size="14" font-weight="bold">${
      escapeXml(title)
    }</text>`,
  ];
  for (let tick = 0; tick <= axisMax + step / 2; tick += step) {
    const ty = y(tick * scale);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${
        place.width - MARGIN.right
      }" y1="${ty}" y2="${ty}" stroke="#e2e8f0"/>`,
      `<text x="${MARGIN.left - 6}" y="${
        ty + 4
      }" text-anchor="end" font-size="11">${
        Number(tick.toPrecision(6))
      }</text>`,
    );
  }
  const groupWidth = plotWidth / Math.max(1, groups.length);
  groups.forEach((group, g) => {
    const barWidth = round(
      Math.min(36, (groupWidth - 20) / group.bars.length),
    );
    const start = round(
      MARGIN.left + g * groupWidth +
        (groupWidth - barWidth * group.bars.length) / 2,
    );
    group.bars.forEach((bar, b) => {
      const s = bar.spread!;
      const x = round(start + b * barWidth);
      const center = round(x + barWidth / 2);
      parts.push(
        `<rect x="${x + 2}" y="${y(s.median)}" width="${
          barWidth - 4
        }" height="${y(0) - y(s.median)}" fill="${
          COLORS[bar.server]
        }"><title>${bar.server} ${
          escapeXml(SCENARIO_TITLES[group.scenario])
        }: ${Number((s.median / scale).toPrecision(3))}</title></rect>`,
        `<line x1="${center}" x2="${center}" y1="${y(s.min)}" y2="${
          y(s.max)
        }" stroke="#1a202c"/>`,
        `<line x1="${center - 4}" x2="${center + 4}" y1="${y(s.min)}" y2="${
          y(s.min)
        }" stroke="#1a202c"/>`,
        `<line x1="${center - 4}" x2="${center + 4}" y1="${y(s.max)}" y2="${
          y(s.max)
        }" stroke="#1a202c"/>`,
      );
    });
    parts.push(
      `<text x="${round(MARGIN.left + (g + 0.5) * groupWidth)}" y="${
        MARGIN.top + plotHeight + 18
      }" text-anchor="middle" font-size="12">${
        escapeXml(SCENARIO_TITLES[group.scenario])
      }</text>`,
    );
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${
      y(0)
    }" stroke="#4a5568"/>`,
    `<line x1="${MARGIN.left}" x2="${place.width - MARGIN.right}" y1="${
      y(0)
    }" y2="${y(0)}" stroke="#4a5568"/>`,
    "</g>",
  );
  return parts.join("\n");
}

/**
 * The chart for one run: deliveries per second and p99 latency side by
 * side, CPU per delivery (with the cluster runs) below, and a legend.
 */
export function renderChart(results: BenchResults): string {
  const servers = results.servers.filter((s) => s.skipped === undefined).map((
    s,
  ) => s.kind);
  const width = PANEL_WIDTH * 2;
  const height = PANEL_HEIGHT * 2 + 30;
  const top = { width: PANEL_WIDTH, scenarios: SCENARIOS };
  const legendY = PANEL_HEIGHT * 2;
  const legend = servers.map((server, i) => {
    const x = MARGIN.left + i * 130;
    return `<rect x="${x}" y="${legendY + 8}" width="12" height="12" fill="${
      COLORS[server]
    }"/><text x="${x + 18}" y="${
      legendY + 18
    }" font-size="12">${server}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(
      results,
      servers,
      "deliveriesPerSecond",
      "Deliveries per second (millions)",
      1e6,
      { x: 0, y: 0, ...top },
    ),
    panel(
      results,
      servers,
      "p99Ms",
      "p99 latency (ms)",
      1,
      { x: PANEL_WIDTH, y: 0, ...top },
    ),
    panel(
      results,
      servers,
      "cpuPerMillion",
      "Server CPU s per million deliveries (a cluster: all nodes and Redis)",
      1,
      { x: 0, y: PANEL_HEIGHT, width, scenarios: CPU_SCENARIOS },
    ),
    ...legend,
    `<text x="${width - 10}" y="${
      legendY + 18
    }" text-anchor="end" font-size="11" fill="#4a5568">median, whiskers min–max${
      results.quick ? " · quick run" : ""
    } · ${escapeXml(results.startedAt.slice(0, 10))}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
