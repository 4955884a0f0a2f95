// Issue 12, test 1: the end-to-end scenario, as a person does it in the browser.
import assert from "node:assert/strict";
import { CONSOLE, go, localInputIn, signIn, startReceiver, watchConsole } from "./lib.mjs";

export function e2e(ctx) {
  let page, receiver, errors;
  return [
    [
      "an admin signs in locally",
      async () => {
        ctx.e2eStarted = Date.now();
        receiver = await startReceiver();
        const context = await ctx.browser.newContext({
          viewport: { width: 1280, height: 800 },
          timezoneId: "Europe/Berlin",
        });
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(CONSOLE).origin });
        page = await context.newPage();
        errors = watchConsole(page);
        await signIn(page, ctx.tenant, "admin", "/console/channels");
        await page.getByRole("heading", { level: 1, name: "Channels" }).waitFor();
        // The page is never reloaded from here on: this marker would be gone.
        await page.evaluate(() => (window.__sameDocument = true));
      },
    ],
    [
      "creates a channel to a local receiver, sees its secret once, copies it, and tests it",
      async () => {
        await page.getByLabel("Name").fill("e2e receiver");
        await page.getByLabel("Webhook URL").fill(receiver.url);
        await page.getByRole("button", { name: "Create channel" }).click();
        const secret = await page.getByTestId("secret-value").textContent();
        assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
        await page.getByText("this is the only time it is shown").waitFor();
        await page.getByRole("button", { name: "Copy secret" }).click();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
        await page.getByRole("button", { name: "I have stored it" }).click();
        assert.equal((await page.content()).includes(secret), false, "the secret is gone once dismissed");
        const channel = page.getByTestId("channel").filter({ hasText: "e2e receiver" });
        await channel.getByRole("button", { name: "Send test" }).click();
        await channel.getByTestId("test-result").filter({ hasText: "Delivered · HTTP 200" }).waitFor();
        assert.ok(
          receiver.received.some((r) => r.body.includes("channel.test")),
          "the receiver got the test message",
        );
      },
    ],
    [
      "schedules a post 70 s ahead and watches its badge turn published without reloading",
      async () => {
        await go(page, "Posts");
        await page.getByLabel("Content").fill("Hello from the console e2e test");
        const when = await localInputIn(page, 70_000);
        await page.getByLabel(/^Publish at/).fill(when);
        // The UTC shown is the instant picked in Europe/Berlin, not the wall time itself.
        const expectedUtc = await page.evaluate((v) => new Date(v).toISOString().slice(0, 16).replace("T", " "), when);
        await page.getByTestId("utc-preview").filter({ hasText: expectedUtc }).waitFor();
        await page.getByRole("button", { name: "Schedule post" }).click();
        await page
          .getByRole("status")
          .filter({ hasText: "Post scheduled" })
          .getByRole("link", { name: "Open it" })
          .click();
        const details = page.getByTestId("post-details");
        // Waiting for its time: `scheduled`, or already claimed by the dispatcher (`publishing`).
        const first = await details.locator(".badge").first().getAttribute("data-status", { timeout: 15_000 });
        assert.ok(["scheduled", "publishing"].includes(first), `a post 70 s ahead is ${first}`);
        ctx.postId = new URL(page.url()).pathname.split("/").pop();
        await details.locator(".badge[data-status=published]").waitFor({ timeout: 130_000 });
        await details.getByTestId("attempts").filter({ hasText: "HTTP 200" }).waitFor({ timeout: 10_000 });
        assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
        assert.ok(
          receiver.received.some((r) => r.body.includes("post.publish")),
          "the receiver got the post",
        );
      },
    ],
    [
      "builds a cron automation whose preview marks the next DST change, runs it now, and sees the run",
      async () => {
        await go(page, "Automations");
        await page.getByRole("link", { name: "New automation" }).click();
        await page.getByLabel("Name").fill("Sunday 02:30 in March");
        await page.getByLabel(/^Cron/).fill("30 2 * 3 SUN");
        await page.getByLabel("Time zone").selectOption("Europe/Berlin");
        // 2027-03-28 is the day Berlin springs forward: 02:30 does not exist, so the run is at
        // the first minute after the gap, 03:00 CEST (+02:00), which is 01:00 UTC.
        const dstRow = page.locator('[data-testid=preview] tr[data-at^="2027-03-28T01:00:00"]');
        await dstRow.waitFor();
        assert.equal(await dstRow.getAttribute("data-dst"), "yes");
        const cells = await dstRow.locator("td").allTextContents();
        assert.match(cells[0], /2027-03-28 03:00/);
        assert.equal(cells[1], "+02:00");
        assert.match(cells[3], /DST \+01:00 → \+02:00/);
        const before = page.locator('[data-testid=preview] tr[data-at^="2027-03-21T01:30:00"]');
        assert.equal(await before.getAttribute("data-dst"), "no");
        assert.equal((await before.locator("td").allTextContents())[1], "+01:00");
        assert.equal(await page.locator("[data-testid=preview] tbody tr").count(), 10);

        await page.getByRole("button", { name: "Create automation" }).click();
        await page.getByRole("button", { name: "Run now" }).click();
        const run = page.getByTestId("runs").locator("tr", { hasText: "manual" });
        await run.locator(".badge[data-status=succeeded]").waitFor({ timeout: 60_000 });
        ctx.automationId = new URL(page.url()).pathname.split("/").pop();
        assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
        assert.deepEqual(errors, [], "no console errors");
        ctx.e2eSeconds = (Date.now() - ctx.e2eStarted) / 1000;
        console.log(`      end-to-end scenario took ${ctx.e2eSeconds.toFixed(1)} s`);
        await page.context().close();
        receiver.close();
      },
    ],
  ];
}
