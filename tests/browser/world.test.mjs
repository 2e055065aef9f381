// The explorer on the world network (17,232 cities, 24,891 twinnings): a server started
// with `--dataset both` (POBRATIM_WORLD_URL). It measures what a researcher waits for —
// the first paint, a search result, a hub's ego network and its map — and prints the
// timings; the test itself fails only when the page does not get there at all.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.POBRATIM_WORLD_URL;
const SHOTS = process.env.POBRATIM_ARTIFACTS ?? "artifacts/browser";
mkdirSync(SHOTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => browser?.close());

test("the world network: first paint, a search, a hub's ego network and map", { skip: !BASE }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  const failures = [];
  p.on("pageerror", (e) => failures.push(e.message));

  const started = Date.now();
  await p.goto(BASE + "/");
  const paint = await p.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? performance.now(),
  );
  await p.locator("#top li").first().waitFor();
  const topListed = Date.now() - started;

  const typed = Date.now();
  await p.fill("#search", "Vladivostok");
  const result = p.locator('#results button[data-id="city:ru:vladivostok"]');
  await result.waitFor();
  const searched = Date.now() - typed;

  const opened = Date.now();
  await result.click();
  await p.locator('#partners li[data-id="city:jp:niigata"]').waitFor();
  const ego = Date.now() - opened;
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.cities) > 10);
  const mapped = Date.now() - opened;
  const partners = await p.locator("#partners li").count();
  await p.screenshot({ path: `${SHOTS}/world-vladivostok.png`, fullPage: true });

  console.log(
    `world explorer: first paint ${Math.round(paint)} ms; top list ${topListed} ms; ` +
      `search result ${searched} ms; Vladivostok's partners (${partners}) ${ego} ms; map ${mapped} ms`,
  );
  assert.ok(partners > 15, `Vladivostok has ${partners} partners listed`);
  assert.deepEqual(failures, []);
});
