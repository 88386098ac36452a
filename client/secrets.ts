/**
 * Where the client gets an account password: never from its command line
 * (anyone can read that in `ps`). In order: the file named by
 * `--account-password-file`, the {@link PASSWORD_ENV} environment
 * variable, or, at a terminal, a question whose answer is not echoed.
 *
 * @module
 */

import type { Terminal } from "./terminal.ts";

/** The environment variable that may hold the account password. */
export const PASSWORD_ENV = "TERTULIA_ACCOUNT_PASSWORD";

/** Where {@link readSecret} may look. */
export interface SecretSources {
  /** A file holding the password (its first line is used). */
  file?: string;
  /** Reads an environment variable. Default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** The terminal, asked without echo when it can hide what is typed. */
  terminal: Terminal;
}

/** The password, or a sentence saying why there is none. */
export type SecretResult =
  | { ok: true; secret: string }
  | { ok: false; error: string };

/** Reads the account password from the first source that has one. */
export async function readSecret(
  sources: SecretSources,
  question: string,
): Promise<SecretResult> {
  if (sources.file !== undefined) {
    try {
      const text = await Deno.readTextFile(sources.file);
      const secret = text.split(/\r?\n/)[0];
      if (secret !== "") return { ok: true, secret };
      return { ok: false, error: `${sources.file} is empty.` };
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "no such file"
        : (error as Error).message;
      return {
        ok: false,
        error: `Cannot read the password file ${sources.file}: ${reason}.`,
      };
    }
  }
  const fromEnv = (sources.env ?? ((name) => Deno.env.get(name)))(
    PASSWORD_ENV,
  );
  if (fromEnv !== undefined && fromEnv !== "") {
    return { ok: true, secret: fromEnv };
  }
  const answer = await sources.terminal.askSecret?.(question);
  if (answer !== undefined && answer !== null && answer !== "") {
    return { ok: true, secret: answer };
  }
  return {
    ok: false,
    error:
      `No password: set ${PASSWORD_ENV}, use --account-password-file FILE, or run at a terminal.`,
  };
}
