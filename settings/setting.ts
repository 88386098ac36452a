/**
 * The shape of one row of a settings table, and the value type each row
 * yields. A program (server, client) declares its settings ONCE as an array
 * of {@link Setting} rows; `settings/flags.ts` derives the `parseArgs` spec,
 * the validation and `--help` from it, `settings/config_file.ts` the YAML
 * config schema and the commented default file, `settings/docs.ts` the
 * Markdown reference.
 *
 * To add a setting: add one row to the program's table (`server/settings.ts`
 * or `client/settings.ts`) and, unless the row names an `option` field that
 * takes the value as it is, read it where the program turns values into its
 * options. Then run `deno task docs` to refresh `docs/config.md`.
 *
 * @module
 */

/** What a row accepts, on the command line and in a config file. */
export type SettingKind =
  /** Any text (the row's `check` may narrow it). */
  | "string"
  /** Non-empty text without spaces (a host, a name). */
  | "word"
  /** A file or directory path (non-empty). */
  | "path"
  /** A whole number in the row's range. */
  | "integer"
  /** A number in the row's range. */
  | "number"
  /** A switch: `--flag` on the command line, `flag: true` in a file. */
  | "boolean"
  /** Strings: a repeatable, comma-separated flag; a YAML list (or one string) in a file. */
  | "list"
  /** A YAML list of maps with the row's `fields` (file only: e.g. operators and their password hashes). */
  | "records";

/** Where a setting may be given. */
export type SettingPlace =
  /** On the command line and in the config file. */
  | "both"
  /** Only on the command line (`--help`, `--config`). */
  | "flags"
  /** Only in the config file (secrets and structured lists never go on a command line). */
  | "file";

/** One field of a `records` row's entries. */
export interface RecordField {
  /** Whether each entry must have it. */
  required: boolean;
  /** One line saying what it is (for the docs and the default file). */
  help: string;
}

/** One declared setting: its name is both the long flag (`--max-clients`) and the config key (`max-clients:`). */
export interface Setting {
  /** The long flag without `--`, and the config file key. */
  name: string;
  /** What it accepts. */
  kind: SettingKind;
  /** One line for `--help`, the docs and the default file. */
  help: string;
  /** Whether a reload (SIGHUP) applies a changed value; otherwise it needs a restart. */
  live: boolean;
  /** Heading it is grouped under in `--help`, the docs and the default file. */
  section: string;
  /** Where it may be given. Default `"both"`. */
  place?: SettingPlace;
  /** The value when it is not given, for the docs and help (the program applies it). */
  default?: string | number | boolean | readonly string[];
  /** How to describe the default when no literal says it (e.g. "none", "keep all"). */
  defaultText?: string;
  /** Placeholder for the value in `--help` (`N`, `FILE`, `ADDR`). Default from the kind. */
  arg?: string;
  /** One-letter alias (`h` for `-h`). */
  short?: string;
  /** Smallest allowed value of an integer or number. */
  min?: number;
  /** Largest allowed value of an integer or number. */
  max?: number;
  /** Extra check of a string, word, path or list entry: a sentence saying what is wrong (e.g. `must be an IP address`), or undefined. */
  check?: (value: string) => string | undefined;
  /** The fields of a `records` row's entries. */
  fields?: Readonly<Record<string, RecordField>>;
  /** Settings that cannot be combined with this one: a flag of either kind drops the other from the config file. */
  excludes?: readonly string[];
  /** The field of the program's options that takes the value as it is, if any. */
  option?: string;
}

/** An entry of a `records` setting. */
export type SettingRecord = Record<string, string>;

/** The value type a row of kind `K` yields. */
export type ValueOfKind<K extends SettingKind> = K extends "integer" | "number"
  ? number
  : K extends "boolean" ? boolean
  : K extends "list" ? string[]
  : K extends "records" ? SettingRecord[]
  : string;

/** Any setting's value. */
export type SettingValue = ValueOfKind<SettingKind>;

/** The values given for a table `T` (a row's key is absent when it was not given). */
export type SettingValues<T extends readonly Setting[]> = {
  [S in T[number] as S["name"]]?: ValueOfKind<S["kind"]>;
};

/** Whether `row` may be given on the command line. */
export function onCommandLine(row: Setting): boolean {
  return (row.place ?? "both") !== "file";
}

/** Whether `row` may be given in a config file. */
export function inConfigFile(row: Setting): boolean {
  return (row.place ?? "both") !== "flags";
}

/** How `--help` and the docs describe `row`'s default. */
export function describeDefault(row: Setting): string | undefined {
  if (row.defaultText !== undefined) return row.defaultText;
  const value = row.default;
  if (value === undefined || value === false) return undefined;
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value.join(",");
  }
  return String(value);
}

/** The placeholder for `row`'s value in `--help`. */
export function placeholder(row: Setting): string {
  if (row.arg !== undefined) return row.arg;
  switch (row.kind) {
    case "integer":
    case "number":
      return "N";
    case "path":
      return "FILE";
    case "boolean":
    case "records":
      return "";
    default:
      return "TEXT";
  }
}
