// Issue 12, test 5: every page at desktop (1280x800) and phone (390x844) widths, as PNGs under
// target/console/screenshots/.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { CONSOLE, OUT, directUrl, pages, seedEvents } from "./lib.mjs";

const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

export function screenshots(ctx) {
  return Object.entries(SIZES).map(([size, viewport]) => [
    `screenshots of every page at ${size} width`,
    async () => {
      await seedEvents(ctx);
      const context = await ctx.browser.newContext({
        viewport,
        deviceScaleFactor: 1,
        isMobile: size === "phone",
        hasTouch: size === "phone",
      });
      const page = await context.newPage();
      for (const [name, path] of pages(ctx)) {
        await page.goto(path ? directUrl(ctx.tenant, "admin", path) : `${CONSOLE}sign-in`);
        await page.locator("h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        await page.waitForTimeout(300); // the chart draws after its chunk loads
        const file = `${OUT}/screenshots/${name}-${size}.png`;
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(statSync(file).size > 5000, `${file} has content`);
      }
      await context.close();
    },
  ]);
}
