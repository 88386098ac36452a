/**
 * Log lines: levels, and the two formats of `--log-format` (`text`, an ISO
 * time and the sentence, as always; `json`, one object per line for log
 * collectors). The logger reads the format and level from the running
 * options on every line, so a reload changes them at once.
 *
 * @module
 */

/** How important a log line is; `--log-level` drops the lines below it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Every {@link LogLevel}, least important first. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "warn",
  "error",
];

/** Every `--log-format`. */
export const LOG_FORMATS = ["text", "json"] as const;

/** How log lines are written. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Writes one log line: a sentence and its level (default `info`). */
export type Log = (line: string, level?: LogLevel) => void;

/** The options a logger reads on every line. */
export interface LogSettings {
  /** How lines are written. */
  logFormat: LogFormat;
  /** The least important level written. */
  logLevel: LogLevel;
}

/** Whether a line of `level` is written when `threshold` is the least important level wanted. */
export function isLogged(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/**
 * One line as `format` writes it: `text` is `<ISO time> <line>` (with
 * `warn:`/`error:`/`debug:` before lines not at `info`), `json` is
 * `{"time":…,"level":…,"msg":…}`.
 */
export function formatLogLine(
  format: LogFormat,
  level: LogLevel,
  time: Date,
  line: string,
): string {
  const iso = time.toISOString();
  if (format === "json") {
    return JSON.stringify({ time: iso, level, msg: line });
  }
  return level === "info" ? `${iso} ${line}` : `${iso} ${level}: ${line}`;
}

/**
 * A logger that writes lines at or above `settings.logLevel` to `sink`
 * unformatted (an embedder's or a test's), or, without a sink, to stderr
 * in `settings.logFormat`.
 */
export function createLog(
  settings: Readonly<LogSettings>,
  sink?: Log,
): Log {
  if (sink !== undefined) {
    return (line, level = "info") => {
      if (isLogged(level, settings.logLevel)) sink(line, level);
    };
  }
  return (line, level = "info") => {
    if (!isLogged(level, settings.logLevel)) return;
    console.error(formatLogLine(settings.logFormat, level, new Date(), line));
  };
}
