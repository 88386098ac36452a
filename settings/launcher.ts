/**
 * How the user started this program, so messages that tell them what to run
 * name a command that works for them: on a machine with only Node.js and
 * npm, "start it with `deno task server`" would be wrong.
 *
 * @module
 */

/** How a program was started. */
export type Launcher =
  /** `npx --yes deno@VERSION task ...` (npm sets `npm_command=exec`). */
  | "npx"
  /** `deno task ...` (Deno sets `INIT_CWD` for tasks). */
  | "task"
  /** `deno run ...` or a compiled binary. */
  | "run";

/** The environment variables {@link detectLauncher} reads. */
export interface Environment {
  /** The variable's value, or undefined when unset. */
  get(name: string): string | undefined;
}

/** How the process running this code was started, judged from `env` (default: this process's). */
export function detectLauncher(env: Environment = Deno.env): Launcher {
  if (
    env.get("npm_command") === "exec" ||
    env.get("npm_lifecycle_event") === "npx"
  ) {
    return "npx";
  }
  if (env.get("INIT_CWD") !== undefined) return "task";
  return "run";
}

/**
 * The command that runs `program` the way this process was started:
 * `npx --yes deno@2.9.6 task server`, `deno task server` or
 * `deno run -A server.ts`.
 */
export function commandFor(
  program: "server" | "client",
  launcher: Launcher = detectLauncher(),
): string {
  switch (launcher) {
    case "npx":
      return `npx --yes deno@${Deno.version.deno} task ${program}`;
    case "task":
      return `deno task ${program}`;
    case "run":
      return `deno run -A ${program}.ts`;
  }
}
