// Helpers shared by the browser tests: the stack's URLs, signing in the way a person does,
// a loopback webhook receiver, axe-core, and keyboard-only navigation.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

export const API = process.env.CONSOLE_API ?? "http://127.0.0.1:3000";
export const CONSOLE = `${API}/console/`;
export const OUT = process.env.CONSOLE_OUT ?? "target/console";

/** Opens the sign-in page, fills it in and submits, as a person would. */
export async function signIn(page, tenant, role, next = "/console/events") {
  await page.goto(`${CONSOLE}sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Tenant").fill(tenant);
  await page.getByLabel(role, { exact: true }).check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("role").filter({ hasText: role }).waitFor();
}

/** A URL that signs in locally on open and lands on `next` (what Lighthouse loads). */
export const directUrl = (tenant, role, next) =>
  `${CONSOLE}sign-in?tenant=${encodeURIComponent(tenant)}&role=${role}&next=${encodeURIComponent(next)}`;

/** Moves to another page of the app without a reload (the token lives in memory only). */
export async function go(page, linkName) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: linkName }).click();
  await page.getByRole("heading", { level: 1, name: linkName }).waitFor();
}

/** A webhook receiver on 127.0.0.1 answering 200; it counts what it got. */
export async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hooks`, received, close: () => server.close() };
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core in the page (evaluated over the DevTools protocol, so the page's CSP, which
 * allows no injected script, stays as it is) and fails on any violation. */
export async function assertNoAxeViolations(page, where) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }),
  );
  const v = result.violations.map(
    (x) =>
      `${x.id} (${x.impact}): ${x.help} — ${x.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 3)
        .join(", ")}`,
  );
  assert.deepEqual(v, [], `axe violations on ${where}`);
  return result.passes.length;
}

/** Presses Tab until the focused element matches `selector`; fails if it never gets focus. */
export async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`${selector} never got the focus by Tab`);
}

/** Browser console errors and CSP violations fail the page they happen on. */
export function watchConsole(page) {
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

/** A local-time value for a datetime-local input, `ms` from now, in the page's time zone. */
export const localInputIn = (page, ms) =>
  page.evaluate((ms) => {
    const d = new Date(Date.now() + ms);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, ms);

/** Moves the app to `path` without a reload, as its own links do. */
export async function spaGo(page, path) {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
  await page.waitForLoadState("networkidle");
}

/** Every page of the console, for the tenant the scenario filled. */
export function pages(ctx) {
  return [
    ["sign-in", null],
    ["events", "/console/events"],
    ["event", `/console/events/${ctx.eventId}`],
    ["channels", "/console/channels"],
    ["posts", "/console/posts"],
    ["post", `/console/posts/${ctx.postId}`],
    ["automations", "/console/automations"],
    ["automation-new", "/console/automations/new"],
    ["automation", `/console/automations/${ctx.automationId}`],
  ];
}

/** Gives the tenant some events of a few types, so the list and the chart have something to
 * show; asks for a token the way the sign-in page does. */
export async function seedEvents(ctx) {
  if (ctx.eventId) return;
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${CONSOLE}sign-in`);
  ctx.eventId = await page.evaluate(async (tenant) => {
    const r = await fetch("/console/local-sign-in", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant, role: "editor" }),
    });
    const { token } = await r.json();
    let id;
    const types = ["user.signup", "user.signup", "order.paid", "page.view", "page.view", "page.view"];
    for (const [i, type] of types.entries()) {
      const at = new Date(Date.now() - i * 3 * 3600e3).toISOString().replace(/\.\d{3}Z$/, "Z");
      const res = await fetch("/v1/events", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          type,
          occurred_at: at,
          source: "console-test",
          properties: { plan: i % 2 ? "pro" : "free" },
        }),
      });
      if (res.status !== 201) throw new Error(`seeding an event answered ${res.status}`);
      id ??= (await res.json()).id;
    }
    return id;
  }, ctx.tenant);
  await context.close();
}
