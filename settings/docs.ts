/**
 * The Markdown reference of a settings table (`docs/config.md`), derived
 * from its rows so the docs cannot drift from the code.
 *
 * @module
 */

import {
  describeDefault,
  inConfigFile,
  onCommandLine,
  type Setting,
} from "./setting.ts";
import { expected } from "./values.ts";

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function where(row: Setting, reloads: boolean): string {
  if (!inConfigFile(row)) return "flag only";
  const reload = reloads ? (row.live ? "live" : "restart") : "";
  if (!onCommandLine(row)) {
    return reload === "" ? "file only" : `file only, ${reload}`;
  }
  return reload === "" ? "flag, file" : reload;
}

/**
 * One Markdown table per section of `table`: setting, value, default,
 * where it may be given (and, for a program that reloads its file, whether
 * a reload applies it), description.
 */
export function settingsMarkdown(
  table: readonly Setting[],
  options: { reloads: boolean } = { reloads: true },
): string {
  const out: string[] = [];
  let section: string | undefined;
  for (const row of table) {
    if (row.section !== section) {
      section = row.section;
      out.push(
        "",
        `### ${section}`,
        "",
        `| Setting | Value | Default | ${
          options.reloads ? "Reload" : "Where"
        } | Description |`,
        "| --- | --- | --- | --- | --- |",
      );
    }
    const fields = row.fields === undefined
      ? ""
      : ` (fields: ${
        Object.entries(row.fields).map(([name, field]) =>
          `${name}${field.required ? "" : "?"}`
        ).join(", ")
      })`;
    out.push(
      `| \`${row.name}\` | ${cell(expected(row))}${fields} | ${
        cell(describeDefault(row) ?? "")
      } | ${where(row, options.reloads)} | ${cell(row.help)} |`,
    );
  }
  return out.join("\n").trimStart() + "\n";
}
