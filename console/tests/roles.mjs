// Issue 12, test 2: a viewer sees no write action anywhere, and a write forced by hand is
// refused by the API (403) and shown as a message.
import assert from "node:assert/strict";
import { API, go, pages, seedEvents, signIn, spaGo, watchConsole } from "./lib.mjs";

/** The only buttons a viewer may see: navigation, views, filters and paging. */
const READ_ONLY = new Set([
  "Sign out",
  "Apply filters",
  "Load more",
  "Hourly, 24 h",
  "Daily, 30 days",
  "List",
  "Week",
  "Previous week",
  "This week",
  "Next week",
  "Show the numbers",
]);

export function roles(ctx) {
  let page;
  return [
    [
      "a viewer sees no write action on any page",
      async () => {
        await seedEvents(ctx);
        const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 800 } });
        page = await context.newPage();
        watchConsole(page);
        await signIn(page, ctx.tenant, "viewer");
        for (const [name, path] of pages(ctx)) {
          if (!path) continue;
          await spaGo(page, path);
          await page.locator("h1").first().waitFor();
          const buttons = (await page.getByRole("button").allTextContents()).map((t) => t.trim());
          const writes = buttons.filter((b) => !READ_ONLY.has(b));
          assert.deepEqual(writes, [], `write buttons for a viewer on ${name}`);
          assert.equal(
            await page.getByRole("link", { name: "New automation" }).count(),
            0,
            `no builder link on ${name}`,
          );
          const forms = await page.locator("form:not(.filters)").count();
          assert.equal(forms, 0, `no write form on ${name}`);
        }
        // The builder's URL typed by hand shows the list, not the builder.
        await spaGo(page, "/console/automations/new");
        assert.equal(await page.getByRole("heading", { level: 1, name: "New automation" }).count(), 0);
      },
    ],
    [
      "a write forced by hand with the viewer's token gets 403, shown as a message",
      async () => {
        // The page's own request for the channel list is turned into a create: the token is the
        // viewer's, only the method and body are forced.
        await page.route(/\/v1\/channels\?limit=100$/, (route) =>
          route.continue({
            method: "POST",
            postData: JSON.stringify({ name: "forced", kind: "webhook", url: "http://127.0.0.1:9/x" }),
            headers: { ...route.request().headers(), "content-type": "application/json" },
          }),
        );
        await go(page, "Channels");
        const alert = page.getByRole("alert").filter({ hasText: "Not allowed (403)" });
        await alert.waitFor();
        await page.unroute(/\/v1\/channels\?limit=100$/);

        // And straight from the page with a viewer token, as someone at the devtools would.
        const status = await page.evaluate(
          async ({ api, tenant }) => {
            const r = await fetch("/console/local-sign-in", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ tenant, role: "viewer" }),
            });
            const { token } = await r.json();
            const res = await fetch(`${api}/v1/channels`, {
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: JSON.stringify({ name: "forced", kind: "webhook", url: "http://127.0.0.1:9/x" }),
            });
            return res.status;
          },
          { api: API, tenant: ctx.tenant },
        );
        assert.equal(status, 403);
        await page.context().close();
      },
    ],
  ];
}
