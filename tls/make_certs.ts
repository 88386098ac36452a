/**
 * `deno task certs`: (re)creates the development certificate authority and
 * server certificate, replacing any that exist.
 *
 * Usage: `deno run -A tls/make_certs.ts [--dir DIR] [--name NAME]...`
 *
 * @module
 */

import { parseFlags, UsageError, usageText } from "../settings/flags.ts";
import type { Setting } from "../settings/setting.ts";
import { DEV_SERVER_NAMES } from "./certificates.ts";
import {
  DEFAULT_CERTS_DIR,
  describeDevCertificates,
  ensureDevCertificates,
} from "./dev_certs.ts";

/** The command's settings table (see `settings/setting.ts`). */
const CERTS_SETTINGS = [
  {
    section: "Options",
    name: "dir",
    kind: "path",
    arg: "DIR",
    default: DEFAULT_CERTS_DIR,
    help: "directory to write to",
    live: false,
  },
  {
    section: "Options",
    name: "name",
    kind: "list",
    arg: "NAME",
    default: DEV_SERVER_NAMES,
    help:
      "DNS names or IP addresses the server certificate covers (repeatable)",
    live: false,
  },
  {
    section: "Options",
    name: "help",
    short: "h",
    kind: "boolean",
    place: "flags",
    help: "show this help",
    live: false,
  },
] as const satisfies readonly Setting[];

/** The usage text printed for `--help` and after a bad flag. */
export const USAGE = usageText(CERTS_SETTINGS, {
  usage: "Usage: deno task certs [--dir DIR] [--name NAME]...",
  description:
    "Creates a new development certificate authority and a server certificate it\nsigns, replacing any that exist. Private keys are readable by their owner only.",
}).trimEnd();

/** Runs the command with `args`; gives the process exit code. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseFlags(CERTS_SETTINGS, args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const certs = await ensureDevCertificates({
    dir: values.dir ?? DEFAULT_CERTS_DIR,
    names: values.name ?? [...DEV_SERVER_NAMES],
    force: true,
  });
  for (const line of describeDevCertificates(certs)) console.log(line);
  console.log(`Server certificate: ${certs.certFile}, key: ${certs.keyFile}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
