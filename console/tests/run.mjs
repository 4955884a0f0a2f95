// The console's browser tests, in order, against the stack at CONSOLE_API. Each step prints its
// result; the last line is "N passed, N failed".
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { OUT } from "./lib.mjs";
import { e2e } from "./e2e.mjs";
import { roles } from "./roles.mjs";
import { a11y } from "./a11y.mjs";
import { screenshots } from "./screenshots.mjs";
import { lighthouse } from "./lighthouse.mjs";

/** On a failure, what every open page looked like, for the person reading the log. */
async function snapshotOpenPages(label) {
  let i = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      const file = `${OUT}/failures/${label}-${i++}.png`;
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.log(`      screenshot of the failure: ${file} (${page.url()})`);
    }
  }
}

const SUITES = { e2e, roles, a11y, screenshots, lighthouse };
const chosen = (process.env.CONSOLE_TESTS ?? "").split(/\s+/).filter(Boolean);
const order = chosen.length ? chosen : Object.keys(SUITES);

mkdirSync(`${OUT}/screenshots`, { recursive: true });
mkdirSync(`${OUT}/failures`, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
// What the suites share: the tenant with data in it and the ids the scenario created.
const ctx = { browser, tenant: `console-${Date.now().toString(36)}` };
let passed = 0;
let failed = 0;
const started = Date.now();
try {
  for (const name of order) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`unknown suite ${name}`);
    for (const [title, fn] of suite(ctx)) {
      const t0 = Date.now();
      try {
        await fn();
        passed++;
        console.log(`ok    ${name}: ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        failed++;
        await snapshotOpenPages(`${name}-${passed + failed}`);
        console.log(`FAIL  ${name}: ${title} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${e?.stack ?? e}`);
      }
    }
  }
} finally {
  await browser.close();
}
console.log(`console tests took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
