/**
 * The Prometheus text exposition format (version 0.0.4): metric families
 * with HELP and TYPE lines, samples with escaped labels. Pure: it formats
 * what it is given.
 *
 * @module
 */

/** The `Content-Type` of the text format. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

/** One sample of a family: optional labels and a value. */
export interface Sample {
  /** Label names and values, e.g. `{ transport: "tls" }`. */
  labels?: Readonly<Record<string, string>>;
  /** Suffix of the sample's name (`_sum`, `_count` of a summary). */
  suffix?: string;
  /** The value. */
  value: number;
}

/** A metric family: one name, one type, its samples. */
export interface MetricFamily {
  /** Metric name (`tertulia_lines_in_total`). */
  name: string;
  /** One line saying what it measures. */
  help: string;
  /** Prometheus type. */
  type: "counter" | "gauge" | "summary";
  /** Its samples (one for an unlabelled metric). */
  samples: readonly Sample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(
    /"/g,
    '\\"',
  );
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The families as exposition text, one HELP and TYPE line before each family's samples. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(
      `# HELP ${family.name} ${
        family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
      }`,
    );
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      const labelText = labels.length === 0
        ? ""
        : `{${
          labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(
            ",",
          )
        }}`;
      lines.push(
        `${family.name}${sample.suffix ?? ""}${labelText} ${
          formatValue(sample.value)
        }`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
