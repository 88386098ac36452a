/**
 * The command line of a settings table: the `parseArgs` spec, strict
 * parsing into typed values, and the `--help` text, all derived from the
 * table's rows.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  describeDefault,
  onCommandLine,
  placeholder,
  type Setting,
  type SettingValue,
  type SettingValues,
} from "./setting.ts";
import { fromText, SettingProblem } from "./values.ts";

/** A bad command line or config file: the message names the flag or key; callers print usage and exit 2. */
export class UsageError extends Error {
  /** Creates the error with a one-line explanation. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Spec = Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

/** The `parseArgs` options for the command-line rows of `table`. */
export function parseArgsSpec(table: readonly Setting[]): Spec {
  const spec: Spec = {};
  for (const row of table.filter(onCommandLine)) {
    spec[row.name] = {
      type: row.kind === "boolean" ? "boolean" : "string",
      ...(row.kind === "list" ? { multiple: true } : {}),
      ...(row.short === undefined ? {} : { short: row.short }),
    };
  }
  return spec;
}

/**
 * Joins `--flag -1` into `--flag=-1` for flags that take a value, so a
 * negative number meets the flag's range check instead of parseArgs'
 * "argument is ambiguous".
 */
export function joinNegativeValues(
  table: readonly Setting[],
  args: string[],
): string[] {
  const takesValue = new Set(
    table.filter((row) => onCommandLine(row) && row.kind !== "boolean")
      .map((row) => `--${row.name}`),
  );
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (
      takesValue.has(args[i]) && next !== undefined && /^-[\d.]/.test(next)
    ) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

/**
 * Parses `args` strictly against `table`: only the flags given appear in
 * the result, converted and checked. Throws {@link UsageError} naming the
 * flag for an unknown flag, a missing or bad value, or a stray argument.
 */
export function parseFlags<T extends readonly Setting[]>(
  table: T,
  args: string[],
): SettingValues<T> {
  let values: Record<
    string,
    string | boolean | (string | boolean)[] | undefined
  >;
  try {
    ({ values } = parseArgs({
      // `deno task server -- --port 1` (the npm habit) passes the `--` on.
      args: joinNegativeValues(table, args[0] === "--" ? args.slice(1) : args),
      strict: true,
      allowPositionals: false,
      options: parseArgsSpec(table),
    }));
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
  const result: Record<string, SettingValue> = {};
  for (const row of table) {
    const given = values[row.name];
    if (given === undefined) continue;
    if (row.kind === "boolean") {
      result[row.name] = given === true;
      continue;
    }
    const texts = (Array.isArray(given) ? given : [given]).map(String);
    try {
      result[row.name] = fromText(row, texts);
    } catch (error) {
      if (!(error instanceof SettingProblem)) throw error;
      throw new UsageError(`--${row.name} ${error.problem}`);
    }
  }
  return result as SettingValues<T>;
}

/**
 * Throws {@link UsageError} when `values` give a setting together with one
 * its row `excludes` (`--no-history` with `--db`).
 */
export function checkExclusions<T extends readonly Setting[]>(
  table: T,
  values: SettingValues<T>,
): void {
  const given = values as Record<string, SettingValue | undefined>;
  for (const row of table) {
    const value = given[row.name];
    if (value === undefined || value === false) continue;
    const other = row.excludes?.find((name) => given[name] !== undefined);
    if (other !== undefined) {
      throw new UsageError(`--${row.name} cannot be combined with --${other}`);
    }
  }
}

/** What `--help` prints around the options. */
export interface UsageText {
  /** First line, e.g. `Usage: deno run -A server.ts [options]`. */
  usage: string;
  /** One paragraph after it. */
  description: string;
  /** Text after the options, if any. */
  footer?: string;
}

/** Help column where descriptions start. */
const HELP_COLUMN = 32;

/** The `--help` text of `table`: one line per command-line flag, grouped by section. */
export function usageText(table: readonly Setting[], text: UsageText): string {
  const lines = [text.usage, "", text.description];
  let section: string | undefined;
  for (const row of table.filter(onCommandLine)) {
    if (row.section !== section) {
      section = row.section;
      lines.push("", `${section}:`);
    }
    const arg = placeholder(row);
    const short = row.short === undefined ? "" : `-${row.short}, `;
    const flag = `  ${short}--${row.name}${arg === "" ? "" : ` ${arg}`}`;
    const shownDefault = describeDefault(row);
    const help = shownDefault === undefined
      ? row.help
      : `${row.help} (default ${shownDefault})`;
    lines.push(
      flag.length < HELP_COLUMN
        ? flag.padEnd(HELP_COLUMN) + help
        : `${flag}\n${" ".repeat(HELP_COLUMN)}${help}`,
    );
  }
  if (text.footer !== undefined) lines.push("", text.footer);
  return lines.join("\n") + "\n";
}
