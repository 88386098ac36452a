/**
 * The page's script: web/app/ (TypeScript sharing protocol/ with the server)
 * bundled for the browser with `deno bundle --platform browser`, which works
 * offline. Built on first use and cached in web/dist/, rebuilt only when a
 * source file is newer than the cached bundle; `deno task web:bundle` builds
 * it ahead of time.
 *
 * @module
 */

/** The page script's entry point. */
export const APP_ENTRY = new URL("./app/main.ts", import.meta.url);
/** Where the built bundle is cached. */
export const BUNDLE_FILE = new URL("./dist/app.js", import.meta.url);
/** Folders whose TypeScript goes into the bundle, checked for changes. */
const SOURCE_DIRS = [
  new URL("./app/", import.meta.url),
  new URL("../protocol/", import.meta.url),
  new URL("../client/", import.meta.url),
];

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const dir of SOURCE_DIRS) {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const { mtime } = await Deno.stat(new URL(entry.name, dir));
      newest = Math.max(newest, mtime?.getTime() ?? 0);
    }
  }
  return newest;
}

async function bundleTime(): Promise<number | undefined> {
  try {
    return (await Deno.stat(BUNDLE_FILE)).mtime?.getTime();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Runs `deno bundle` into a temporary file, then renames it into place (atomic, so concurrent servers never read half a bundle). */
async function build(): Promise<void> {
  const dir = new URL(".", BUNDLE_FILE);
  await Deno.mkdir(dir, { recursive: true });
  const temp = await Deno.makeTempFile({
    dir: dir.pathname,
    prefix: ".app-",
    suffix: ".js",
  });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--minify",
        "-o",
        temp,
        APP_ENTRY.pathname,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(
        `deno bundle failed: ${new TextDecoder().decode(stderr).trim()}`,
      );
    }
    await Deno.chmod(temp, 0o644);
    await Deno.rename(temp, BUNDLE_FILE);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * The bundled page script, building it first if it is missing or older than
 * its sources. Without its sources (a `deno task compile` binary, which
 * carries only the built bundle) the bundle is served as it is.
 */
export async function loadBundle(): Promise<Uint8Array> {
  const built = await bundleTime();
  const sources = await newestSource().catch(() => undefined);
  if (sources === undefined) {
    if (built === undefined) {
      throw new Error(
        "the page script is neither built nor buildable here (run deno task web:bundle)",
      );
    }
  } else if (built === undefined || built < sources) await build();
  return await Deno.readFile(BUNDLE_FILE);
}

if (import.meta.main) {
  await build();
  console.log(`bundled ${APP_ENTRY.pathname} into ${BUNDLE_FILE.pathname}`);
}
