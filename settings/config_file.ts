/**
 * The YAML config file of a settings table: keys are the long flag names,
 * values are checked by the same rules as flags, and every error names the
 * file, the line and the key. Also writes the fully commented default file
 * (`--write-config`), and merges file values under command-line ones.
 *
 * @module
 */

import { UsageError } from "./flags.ts";
import {
  inConfigFile,
  type Setting,
  type SettingValue,
  type SettingValues,
} from "./setting.ts";
import { fromData, SettingProblem } from "./values.ts";

/** A bad config file: the message names the file, the line and the key. */
export class ConfigError extends UsageError {
  /** Creates the error with a one-line explanation. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Loads the YAML library on first use rather than at startup: most servers
 * run without a config file, and the parser costs about 5 MB of memory in
 * every process that imports it.
 */
async function loadYaml(): Promise<typeof import("yaml")> {
  return await import("yaml");
}

/** The first line of a YAML library message, without its "at line N, column M" tail. */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Reads the config file text `text` (named `file` in messages) against
 * `table`, and resolves to its values. A key given no value (`motd:`)
 * counts as not given. Rejects with {@link UsageError} for a YAML syntax
 * error, an unknown key, a wrong type or a value out of range, naming the
 * file and the line.
 */
export async function parseConfigText<T extends readonly Setting[]>(
  table: T,
  text: string,
  file: string,
): Promise<SettingValues<T>> {
  const { isMap, isScalar, LineCounter, parseDocument } = await loadYaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const line = syntax.linePos?.[0].line ?? 1;
    throw new ConfigError(
      `${file}, line ${line}: YAML syntax error: ${firstLine(syntax.message)}`,
    );
  }
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return {} as SettingValues<T>;
  }
  if (!isMap(root)) {
    throw new ConfigError(
      `${file}, line 1: expected settings as "key: value" lines`,
    );
  }
  const rows = new Map(
    table.filter(inConfigFile).map((row) => [row.name, row]),
  );
  const values: Record<string, SettingValue> = {};
  for (const pair of root.items) {
    const offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ??
      0;
    const where = `${file}, line ${lineCounter.linePos(offset).line}`;
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const row = rows.get(key);
    if (row === undefined) {
      const flagOnly = table.some((r) => r.name === key);
      throw new ConfigError(
        flagOnly
          ? `${where}: ${key} can only be given on the command line (--${key})`
          : `${where}: unknown setting "${key}"${
            suggestion(key, [...rows.keys()])
          } (see --help or docs/config.md)`,
      );
    }
    const data: unknown = (pair.value as { toJSON?: () => unknown } | null)
      ?.toJSON?.() ?? null;
    if (data === null) continue;
    try {
      values[key] = fromData(row, data);
    } catch (error) {
      if (!(error instanceof SettingProblem)) throw error;
      throw new ConfigError(`${where}: ${key} ${error.problem}`);
    }
  }
  return values as SettingValues<T>;
}

/** Edit distance between two short strings (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j] + 1,
        row[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length];
}

/** `, did you mean "port"?` for a key a typo away from a known one, else nothing. */
function suggestion(key: string, known: string[]): string {
  const best = known.map((name) => ({ name, d: distance(key, name) }))
    .sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= 2 && best.d < key.length
    ? `, did you mean "${best.name}"?`
    : "";
}

/**
 * Reads and checks the config file at `path`, resolving to its values as
 * {@link parseConfigText} does; a file that cannot be read rejects naming it.
 */
export async function readConfigFile<T extends readonly Setting[]>(
  table: T,
  path: string,
): Promise<SettingValues<T>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ConfigError(`--config ${path}: cannot read it (${reason})`);
  }
  return await parseConfigText(table, text, path);
}

/**
 * Puts command-line `flags` over config-file `file` values. A flag also
 * drops the file's settings it `excludes` (and those that exclude it), so
 * `--no-history` wins over a file's `db:` instead of conflicting with it.
 */
export function mergeValues<T extends readonly Setting[]>(
  table: T,
  file: SettingValues<T>,
  flags: SettingValues<T>,
): SettingValues<T> {
  const merged: Record<string, unknown> = { ...file };
  for (const name of Object.keys(flags)) {
    for (const row of table) {
      const excluded = row.name === name
        ? row.excludes ?? []
        : row.excludes?.includes(name)
        ? [row.name]
        : [];
      for (const other of excluded) delete merged[other];
    }
  }
  return { ...merged, ...flags } as SettingValues<T>;
}

/** What the default file says at its top. */
export interface ConfigFileHeader {
  /** First comment line, e.g. `tertulia server configuration`. */
  title: string;
  /** Further comment lines (how to use and reload it). */
  notes: string[];
}

function comment(text: string): string {
  return text.split("\n").map((line) => `# ${line}`.trimEnd()).join("\n");
}

/** The commented-out example lines of one row: its default, or a placeholder. */
function exampleLines(
  row: Setting,
  stringify: typeof import("yaml").stringify,
): string {
  if (row.kind === "records") {
    const fields = Object.entries(row.fields ?? {});
    const width = Math.max(...fields.map(([name]) => name.length * 2 + 2));
    return [
      `# ${row.name}:`,
      ...fields.map(([name, field], index) =>
        `#   ${index === 0 ? "- " : "  "}${
          `${name}: ${name.toUpperCase()}`.padEnd(width)
        }  # ${field.required ? "" : "(optional) "}${field.help}`
      ),
    ].join("\n");
  }
  const shown = row.default ?? (row.kind === "boolean" ? false : undefined);
  if (shown === undefined) return `# ${row.name}:`;
  const value = stringify(shown, { collectionStyle: "flow" }).trim();
  return `# ${row.name}: ${value}`;
}

/**
 * Resolves to the fully commented default config file for `table`: every
 * file setting under its section, with its help, whether a reload applies
 * it, and its default commented out. It loads as "all defaults".
 */
export async function defaultConfigText(
  table: readonly Setting[],
  header: ConfigFileHeader,
): Promise<string> {
  const { stringify } = await loadYaml();
  const out = [comment([header.title, "", ...header.notes].join("\n"))];
  let section: string | undefined;
  for (const row of table.filter(inConfigFile)) {
    if (row.section !== section) {
      section = row.section;
      out.push("", `# ---- ${section} ----`);
    }
    const reload = row.live ? "changes on reload" : "needs a restart";
    out.push(
      "",
      comment(`${row.help} (${reload})`),
      exampleLines(row, stringify),
    );
  }
  return out.join("\n") + "\n";
}

/** Which settings differ between two sets of values, split by whether a reload may apply them. */
export interface SettingChanges {
  /** Changed settings a reload applies. */
  live: string[];
  /** Changed settings that need a restart. */
  restart: string[];
}

/** Compares `before` and `after` row by row (a setting not given counts as its default). */
export function changedSettings<T extends readonly Setting[]>(
  table: T,
  before: SettingValues<T>,
  after: SettingValues<T>,
): SettingChanges {
  const old = before as Record<string, unknown>;
  const next = after as Record<string, unknown>;
  const changes: SettingChanges = { live: [], restart: [] };
  for (const row of table.filter(inConfigFile)) {
    const a = JSON.stringify(old[row.name] ?? row.default ?? null);
    const b = JSON.stringify(next[row.name] ?? row.default ?? null);
    if (a !== b) changes[row.live ? "live" : "restart"].push(row.name);
  }
  return changes;
}
