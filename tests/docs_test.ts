import { dirname, join } from "node:path";
import { assertEquals, assertOk } from "./helpers/assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The Markdown files a reader follows links through. */
async function markdownFiles(): Promise<string[]> {
  const files = ["README.md", "ARCHITECTURE.md", "bench/README.md"];
  for await (const entry of Deno.readDir(join(ROOT, "docs"))) {
    if (entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files;
}

Deno.test("README: the two commands come first, and it stays short", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const firstBlock = readme.split("```")[1];
  assertOk(firstBlock.includes("npx --yes deno@2.9.6 task server"), firstBlock);
  assertOk(firstBlock.includes("npx --yes deno@2.9.6 task test"), firstBlock);
  assertOk(readme.includes("http://127.0.0.1:59480/"), "the browser page");
  const lines = readme.split("\n").length;
  assertOk(lines <= 220, `README has ${lines} lines`);
});

Deno.test("docs: every relative link points at a file that exists", async () => {
  const broken: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
      const path = join(ROOT, dirname(file), target.split("#")[0]);
      try {
        await Deno.stat(path);
      } catch {
        broken.push(`${file}: ${target}`);
      }
    }
  }
  assertEquals(broken, []);
});
