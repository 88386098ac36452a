/**
 * Validation shared by the command line and the config file: a value of the
 * wrong type or out of range becomes a sentence naming what was expected
 * (`must be an integer 0-65535, got "x"`); callers prefix the flag or key
 * and say where it came from.
 *
 * @module
 */

import type { Setting, SettingRecord, SettingValue } from "./setting.ts";

/** A value that breaks its row's rules: `problem` reads after the setting's name. */
export class SettingProblem extends Error {
  /** Creates it from the sentence that follows the setting's name. */
  constructor(readonly problem: string) {
    super(problem);
    this.name = "SettingProblem";
  }
}

/** What `row` expects, for messages: `an integer 0-65535`, `a number >= 0.001`. */
export function expected(row: Setting): string {
  switch (row.kind) {
    case "integer":
    case "number": {
      const kind = row.kind === "integer" ? "an integer" : "a number";
      const min = row.min ?? -Infinity;
      const range = row.max === undefined ? `>= ${min}` : `${min}-${row.max}`;
      return `${kind} ${range}`;
    }
    case "boolean":
      return "true or false";
    case "list":
      return "a list of strings";
    case "records":
      return "a list of maps";
    case "word":
      return "a non-empty word";
    case "path":
      return "a path";
    default:
      return "a string";
  }
}

function checkNumber(row: Setting, value: number, shown: string): number {
  if (
    !Number.isFinite(value) ||
    (row.kind === "integer" && !Number.isInteger(value)) ||
    value < (row.min ?? -Infinity) || value > (row.max ?? Infinity)
  ) {
    throw new SettingProblem(`must be ${expected(row)}, got ${shown}`);
  }
  return value;
}

function checkText(row: Setting, text: string): string {
  if (row.kind === "word" && (text === "" || /\s/.test(text))) {
    throw new SettingProblem("must be a non-empty word");
  }
  if (row.kind === "path" && text === "") {
    throw new SettingProblem("needs a path");
  }
  const problem = row.check?.(text);
  if (problem !== undefined) {
    throw new SettingProblem(`${problem}, got "${text}"`);
  }
  return text;
}

/** Splits list text (`a, b,c`) into its non-empty entries. */
export function splitList(text: string): string[] {
  return text.split(",").map((entry) => entry.trim()).filter((entry) =>
    entry !== ""
  );
}

/**
 * The value of `row` written as command-line text (`texts` holds every
 * occurrence of a repeatable flag). Throws {@link SettingProblem}.
 */
export function fromText(row: Setting, texts: string[]): SettingValue {
  const text = texts[texts.length - 1];
  switch (row.kind) {
    case "integer":
    case "number":
      if (text.trim() === "") {
        throw new SettingProblem(`must be ${expected(row)}, got "${text}"`);
      }
      return checkNumber(row, Number(text), `"${text}"`);
    case "list":
      return texts.flatMap(splitList).map((entry) => checkText(row, entry));
    case "boolean":
    case "records":
      throw new SettingProblem("takes no value");
    default:
      return checkText(row, text);
  }
}

/** The value of `row` as a YAML document gave it (any JSON-like value). Throws {@link SettingProblem}. */
export function fromData(row: Setting, data: unknown): SettingValue {
  const shown = JSON.stringify(data) ?? String(data);
  const wrong = () =>
    new SettingProblem(`must be ${expected(row)}, got ${shown}`);
  switch (row.kind) {
    case "integer":
    case "number":
      if (typeof data !== "number") throw wrong();
      return checkNumber(row, data, shown);
    case "boolean":
      if (typeof data !== "boolean") throw wrong();
      return data;
    case "list": {
      const entries = typeof data === "string"
        ? splitList(data)
        : Array.isArray(data) && data.every((e) => typeof e === "string")
        ? data
        : undefined;
      if (entries === undefined) throw wrong();
      return entries.map((entry) => checkText(row, entry));
    }
    case "records":
      if (!Array.isArray(data)) throw wrong();
      return data.map((entry, index) => checkRecord(row, entry, index));
    default:
      if (typeof data === "number") return checkText(row, String(data));
      if (typeof data !== "string") throw wrong();
      return checkText(row, data);
  }
}

function checkRecord(
  row: Setting,
  entry: unknown,
  index: number,
): SettingRecord {
  const fields = row.fields ?? {};
  const where = `entry ${index + 1}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new SettingProblem(
      `${where} must be a map with ${Object.keys(fields).join(", ")}`,
    );
  }
  const record: SettingRecord = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!(key in fields)) {
      throw new SettingProblem(
        `${where} has unknown field "${key}" (known: ${
          Object.keys(fields).join(", ")
        })`,
      );
    }
    if (typeof value !== "string" || value === "") {
      throw new SettingProblem(`${where}: ${key} must be a non-empty string`);
    }
    record[key] = value;
  }
  for (const [key, field] of Object.entries(fields)) {
    if (field.required && !(key in record)) {
      throw new SettingProblem(`${where} needs ${key}`);
    }
  }
  return record;
}
