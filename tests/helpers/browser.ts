/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven by
 * `playwright-core` (no browser download), `--no-sandbox` because tests run
 * as root. Tests skip, saying why, when the browser is not installed.
 *
 * @module
 */

import {
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where browser tests write screenshots (gitignored). */
export const SCREENSHOT_DIR = new URL("../screenshots/", import.meta.url);

/** Why browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  try {
    Deno.statSync(CHROMIUM);
    return undefined;
  } catch {
    return `${CHROMIUM} is not installed (apt-get install chromium)`;
  }
}

/** Longest a browser test waits for something to appear, in ms. */
const WAIT_MS = 10_000;

/** Opens a page in its own context (its own storage, like another person's browser). */
export type OpenPage = (options?: BrowserContextOptions) => Promise<Page>;

/**
 * Runs `fn` with a fresh headless browser, closed afterwards. Each page it
 * opens has its own context and waits at most {@link WAIT_MS} for anything.
 */
export async function withBrowser(
  fn: (openPage: OpenPage) => Promise<void>,
): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const openPage: OpenPage = async (options) => {
    const context = await browser.newContext(options);
    context.setDefaultTimeout(WAIT_MS);
    return await context.newPage();
  };
  try {
    await fn(openPage);
  } finally {
    await browser.close();
  }
}

/** Saves a screenshot of `page` as `name`.png in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname,
  });
}
