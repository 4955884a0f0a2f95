// Issue 12, test 3: axe-core finds nothing on any page, and every form works by keyboard alone.
import assert from "node:assert/strict";
import {
  assertNoAxeViolations,
  directUrl,
  pages,
  seedEvents,
  startReceiver,
  tabTo,
  watchConsole,
  CONSOLE,
} from "./lib.mjs";

async function open(ctx, path, role = "admin") {
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(path ? directUrl(ctx.tenant, role, path) : `${CONSOLE}sign-in`);
  await page.locator("h1").first().waitFor();
  await page.waitForLoadState("networkidle");
  return { page, errors, close: () => context.close() };
}

/** Opens a page, runs `fn` on it and closes it whatever happens. */
async function withPage(ctx, path, fn) {
  const { page, errors, close } = await open(ctx, path);
  try {
    return await fn(page, errors);
  } finally {
    await close();
  }
}

export function a11y(ctx) {
  const tests = pages(ctx).map(([name, path]) => [
    `axe-core: no violations on ${name}`,
    async () => {
      await seedEvents(ctx);
      await withPage(ctx, path, async (page, errors) => {
        await assertNoAxeViolations(page, name);
        assert.deepEqual(errors, [], `console errors on ${name}`);
      });
    },
  ]);
  return [
    ...tests,
    [
      "keyboard: sign in with Tab, arrows and Enter",
      async () => {
        await withPage(ctx, null, async (page) => {
          await tabTo(page, "#tenant");
          await page.keyboard.press("ControlOrMeta+a");
          await page.keyboard.type(ctx.tenant);
          await page.keyboard.press("Tab");
          assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("value")), "admin");
          await page.keyboard.press("ArrowDown");
          await tabTo(page, "button[type=submit]", 3);
          await page.keyboard.press("Enter");
          await page.getByTestId("role").filter({ hasText: "editor" }).waitFor();
        });
      },
    ],
    [
      "keyboard: filter events with Enter",
      async () => {
        await withPage(ctx, "/console/events", async (page) => {
          await tabTo(page, "#f-type");
          await page.keyboard.type("order.paid");
          await page.keyboard.press("Enter");
          // The list reloads after the submit: poll it for up to 10 s. (A wait for "networkidle"
          // returns at once here, the page having been idle before.)
          const cells = page.locator("section[aria-labelledby=events-h] tbody tr td:nth-child(2)");
          const filtered = (types) => types.length > 0 && types.every((t) => t === "order.paid");
          const deadline = Date.now() + 10_000;
          let types = await cells.allTextContents();
          while (!filtered(types) && Date.now() < deadline) {
            await page.waitForTimeout(100);
            types = await cells.allTextContents();
          }
          assert.ok(filtered(types), `filtered: ${types}`);
        });
      },
    ],
    [
      "keyboard: create a channel with Tab and Enter",
      async () => {
        const receiver = await startReceiver();
        await withPage(ctx, "/console/channels", async (page) => {
          await tabTo(page, "#ch-name");
          await page.keyboard.type("keyboard channel");
          await page.keyboard.press("Tab");
          await page.keyboard.type(receiver.url);
          await page.keyboard.press("Enter");
          await page.getByTestId("secret-value").waitFor();
        });
        receiver.close();
      },
    ],
    [
      "keyboard: compose a post with Tab and Enter on the button",
      async () => {
        await withPage(ctx, "/console/posts", async (page) => {
          await tabTo(page, "#p-content");
          await page.keyboard.type("Typed without a mouse");
          // The date-time input takes one Tab per part (day, month, year, hours, minutes, seconds).
          await tabTo(page, "form button[type=submit]", 15);
          await page.keyboard.press("Enter");
          await page.getByRole("status").filter({ hasText: "Post scheduled" }).waitFor();
        });
      },
    ],
    [
      // The picker renders the chosen zone alone until it is about to be used (useZoneOptions in
      // pages/automations.tsx): the rest must be there by the time a key or a click reaches it.
      "keyboard and pointer: the time-zone picker offers every zone once it is used",
      async () => {
        await withPage(ctx, "/console/automations/new", async (page) => {
          const picker = page.locator("#a-tz");
          const count = () => picker.locator("option").count();
          assert.equal(await count(), 1, "before use, the chosen zone alone");
          const first = await picker.inputValue();
          await tabTo(page, "#a-tz");
          const zones = await picker.locator("option").evaluateAll((os) => os.map((o) => o.value));
          assert.ok(zones.length > 300, `every zone after focus: ${zones.length}`);
          // Towards a neighbour that exists: the chosen zone may be the list's last (UTC).
          const at = zones.indexOf(first);
          const [key, next] = at > 0 ? ["ArrowUp", zones[at - 1]] : ["ArrowDown", zones[at + 1]];
          await page.keyboard.press(key);
          assert.equal(await picker.inputValue(), next, `${key} moved to the neighbouring zone`);
        });
        await withPage(ctx, "/console/automations/new", async (page) => {
          const picker = page.locator("#a-tz");
          await picker.click();
          await page.keyboard.press("Escape");
          const n = await picker.locator("option").count();
          assert.ok(n > 300, `every zone after a click: ${n}`);
        });
      },
    ],
    [
      "keyboard: build an automation with Tab, arrows and Enter",
      async () => {
        await withPage(ctx, "/console/automations/new", async (page) => {
          await tabTo(page, "#a-name");
          await page.keyboard.type("Keyboard rate");
          await page.keyboard.press("Tab");
          await page.keyboard.press("ArrowDown"); // trigger kind: rate
          await tabTo(page, "#a-every", 3);
          await page.keyboard.press("ControlOrMeta+a");
          await page.keyboard.type("15");
          await page.locator("[data-testid=preview] tbody tr").first().waitFor();
          await page.keyboard.press("Enter");
          await page.getByRole("heading", { level: 1, name: "Keyboard rate" }).waitFor();
        });
      },
    ],
  ];
}
