/**
 * Routes serving the chat page: `GET /` (the page), the bundled script and
 * every other file of web/page/; anything else is 404.
 *
 * @module
 */

import { type Asset, assetName, loadPageAssets } from "./assets.ts";
import { loadBundle } from "./bundle.ts";
import { type Route, textResponse } from "./routes.ts";

/**
 * Everything the page loads comes from this server: the policy forbids any
 * other origin, so the page works with no internet and leaks nothing.
 */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function serve(asset: Asset, body: Uint8Array): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": asset.type,
      "cache-control": "no-cache",
    },
  });
}

/** The page's routes; the bundle is built (or read from its cache) once, on first request. */
export async function pageRoutes(
  log: (line: string) => void,
): Promise<Route[]> {
  const assets = await loadPageAssets();
  let bundle: Promise<Uint8Array> | undefined;
  const script: Asset = {
    type: "text/javascript; charset=utf-8",
    body: () => {
      bundle ??= loadBundle().catch((error) => {
        bundle = undefined;
        log(`cannot build the web page script: ${error.message}`);
        throw error;
      });
      return bundle;
    },
  };
  assets.set("app.js", script);
  const page = assets.get("index.html");
  if (page === undefined) throw new Error("web/page/index.html is missing");

  async function send(asset: Asset): Promise<Response> {
    try {
      return serve(asset, await asset.body());
    } catch {
      return textResponse(503, "The page is not available right now");
    }
  }

  return [
    { method: "GET", path: "/", handle: () => send(page) },
    {
      method: "GET",
      path: "*",
      handle: ({ url }) => {
        const name = assetName(url.pathname);
        const asset = name === undefined ? undefined : assets.get(name);
        return asset === undefined
          ? textResponse(404, "Not Found")
          : send(asset);
      },
    },
  ];
}
