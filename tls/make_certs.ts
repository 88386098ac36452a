/**
 * `deno task certs`: (re)creates the development certificate authority and
 * server certificate, replacing any that exist.
 *
 * Usage: `deno run -A tls/make_certs.ts [--dir DIR] [--name NAME]...`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEV_SERVER_NAMES } from "./certificates.ts";
import {
  DEFAULT_CERTS_DIR,
  describeDevCertificates,
  ensureDevCertificates,
} from "./dev_certs.ts";

/** The usage text printed for `--help` and after a bad flag. */
export const USAGE = `Usage: deno task certs [--dir DIR] [--name NAME]...

Creates a new development certificate authority and a server certificate it
signs, replacing any that exist. Private keys are readable by their owner only.

  --dir DIR     directory to write to (default: ${DEFAULT_CERTS_DIR})
  --name NAME   a DNS name or IP address the server certificate covers; repeat
                for several (default: ${DEV_SERVER_NAMES.join(", ")})
  -h, --help    show this help`;

/** Runs the command with `args`; gives the process exit code. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: "string", default: DEFAULT_CERTS_DIR },
        name: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const certs = await ensureDevCertificates({
    dir: values.dir,
    names: values.name ?? DEV_SERVER_NAMES,
    force: true,
  });
  for (const line of describeDevCertificates(certs)) console.log(line);
  console.log(`Server certificate: ${certs.certFile}, key: ${certs.keyFile}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
