/**
 * The page's static files, served from a fixed table built from one folder
 * (web/page/) plus the bundled script: a request names an entry of that
 * table or gets 404, so no path (`/../`, `%2e%2e%2f`, `..%5c`, NUL) can ever
 * reach a file outside it.
 *
 * @module
 */

/** One servable file. */
export interface Asset {
  /** Content-Type header value. */
  type: string;
  /** The body. */
  body: () => Promise<Uint8Array>;
}

/** Content types by file extension; files of other kinds are not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  webmanifest: "application/manifest+json",
};

/** Where the page's files live. */
export const PAGE_DIR = new URL("./page/", import.meta.url);

/**
 * The asset name a request path asks for (`/style.css` → `style.css`), or
 * undefined for anything that is not one plain file name once decoded:
 * traversal, separators, encoded or not, and control characters.
 */
export function assetName(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const name = decoded.replace(/^\/+/, "");
  // deno-lint-ignore no-control-regex
  if (name === "" || /[\/\\\x00-\x1f]/.test(name) || name.startsWith(".")) {
    return undefined;
  }
  return name;
}

/** The content type of a file name, or undefined if such files are not served. */
export function contentTypeOf(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot === -1 ? undefined : CONTENT_TYPES[name.slice(dot + 1)];
}

/** Lists the files of {@link PAGE_DIR} that may be served, as a name → asset table. */
export async function loadPageAssets(
  dir: URL = PAGE_DIR,
): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for await (const entry of Deno.readDir(dir)) {
    const type = contentTypeOf(entry.name);
    if (!entry.isFile || type === undefined || entry.name.startsWith(".")) {
      continue;
    }
    const url = new URL(entry.name, dir);
    assets.set(entry.name, { type, body: () => Deno.readFile(url) });
  }
  return assets;
}
