// Fails the build when the first load needs more than 150 KB of compressed JavaScript: the
// entry script plus every chunk it imports statically (lazy chunks load only when used).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const LIMIT = 150 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const first = new Set([...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const all = readdirSync(join(dist, "assets"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => `assets/${f}`);
let firstTotal = 0;
for (const f of all) {
  const size = gz(f);
  if (first.has(f)) firstTotal += size;
  console.log(`${first.has(f) ? "first load" : "lazy      "}  ${(size / 1024).toFixed(1).padStart(6)} KB gz  ${f}`);
}
console.log(`first-load JavaScript: ${(firstTotal / 1024).toFixed(1)} KB gzip (limit ${LIMIT / 1024} KB)`);
if (!first.size) throw new Error("no script found in dist/index.html");
if (firstTotal > LIMIT) {
  console.error(`check-size: first-load JavaScript is over the ${LIMIT / 1024} KB limit`);
  process.exit(1);
}
