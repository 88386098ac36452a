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

function where(row: Setting): string {
  if (!inConfigFile(row)) return "flag only";
  if (!onCommandLine(row)) return "file only";
  return row.live ? "live" : "restart";
}

/** One Markdown table per section of `table`: setting, value, default, reload, description. */
export function settingsMarkdown(table: readonly Setting[]): string {
  const out: string[] = [];
  let section: string | undefined;
  for (const row of table) {
    if (row.section !== section) {
      section = row.section;
      out.push(
        "",
        `### ${section}`,
        "",
        "| Setting | Value | Default | Reload | Description |",
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
      } | ${where(row)} | ${cell(row.help)} |`,
    );
  }
  return out.join("\n").trimStart() + "\n";
}
