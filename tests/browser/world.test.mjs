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
  // The map shows the whole network before a city is chosen: every linked city, in clusters.
  const places = await (await fetch(`${BASE}/api/v1/places?limit=1`)).json();
  await p.waitForFunction((n) => Number(document.querySelector("#map").dataset.cities) === n, Math.min(places.total, 20000));
  const worldMapped = Date.now() - started;
  const clusters = Number(await p.getAttribute("#map", "data-clusters"));
  assert.ok(places.total > 15000 && clusters > 300, `${places.total} places in ${clusters} clusters`);

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
      `map of ${places.total} cities in ${clusters} clusters ${worldMapped} ms; ` +
      `search result ${searched} ms; Vladivostok's partners (${partners}) ${ego} ms; map ${mapped} ms`,
  );
  assert.ok(partners > 15, `Vladivostok has ${partners} partners listed`);
  assert.deepEqual(failures, []);
});

test("the world network drawn whole: time to interactive and frame times", { skip: !BASE }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await context.newPage();
  const failures = [];
  p.on("pageerror", (e) => failures.push(e.message));
  let bytes = 0;
  p.on("requestfinished", async (r) => {
    bytes += (await r.sizes()).responseBodySize;
  });

  const started = Date.now();
  await p.goto(BASE + "/#view=network");
  await p.waitForFunction(
    () => window.explorerNetwork?.ready || document.querySelector("#network-status").textContent.startsWith("The whole network cannot"),
    null,
    { timeout: 240_000 },
  );
  const interactive = Date.now() - started;
  const sent = bytes;
  assert.ok(await p.evaluate(() => window.explorerNetwork?.ready), await p.textContent("#network-status"));
  const drawn = await p.evaluate(() => ({ nodes: window.explorerNetwork.nodes, edges: window.explorerNetwork.edges }));
  assert.ok(drawn.nodes > 15_000 && drawn.edges > 20_000, JSON.stringify(drawn));

  // Frame times while the camera zooms in and back out over two seconds.
  const frames = await p.evaluate(async () => {
    const camera = window.explorerNetwork.sigma.getCamera();
    const times = [];
    let last = performance.now();
    let running = true;
    const tick = (now) => {
      times.push(now - last);
      last = now;
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    await camera.animate({ ratio: 0.25 }, { duration: 1000 });
    await camera.animate({ ratio: 1 }, { duration: 1000 });
    running = false;
    return times.slice(1).sort((a, b) => a - b);
  });
  const at = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
  await p.screenshot({ path: `${SHOTS}/world-network.png` });

  // Zoomed to Vladivostok, pointing at it greys out all but its partners.
  const hub = "city:ru:vladivostok";
  // As `pointAt` in explorer.test.mjs: the move, two frames, then the pointer.
  const point = await p.evaluate(async (hub) => {
    const { sigma } = window.explorerNetwork;
    const at = sigma.getNodeDisplayData(hub);
    await sigma.getCamera().animate({ x: at.x, y: at.y, ratio: 0.03 }, { duration: 300 });
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    await frame();
    await frame();
    const box = document.querySelector("#network").getBoundingClientRect();
    return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
  }, hub);
  await p.mouse.move(point.x - 40, point.y - 40);
  await p.mouse.move(point.x, point.y, { steps: 4 });
  await p.waitForFunction((hub) => {
    const { sigma } = window.explorerNetwork;
    const graph = sigma.getGraph();
    const far = graph.findNode((n) => n !== hub && !graph.areNeighbors(n, hub));
    return sigma.getNodeDisplayData(far).color === "#e4e8ee" && sigma.getNodeDisplayData("city:jp:niigata").color !== "#e4e8ee";
  }, hub);
  await p.screenshot({ path: `${SHOTS}/world-network-vladivostok.png` });

  // Another year is redrawn in place (the cities keep their places): how long it takes.
  await p.evaluate(() => {
    const slider = document.querySelector("#year");
    slider.value = "2000";
    slider.dispatchEvent(new Event("input"));
    slider.dispatchEvent(new Event("change"));
  });
  await p.waitForFunction(() => window.explorerNetwork.cut?.includes("as_of=2000"), null, { timeout: 120_000 });
  const year = await p.evaluate(() => ({ how: window.explorerNetwork.how, ms: window.explorerNetwork.ms }));
  assert.equal(year.how, "redrawn");

  console.log(
    `world network: ${drawn.nodes} nodes, ${drawn.edges} links interactive in ${interactive} ms ` +
      `(${(sent / 1e6).toFixed(2)} MB sent); frames over ${frames.length}: median ${at(0.5).toFixed(1)} ms, ` +
      `p95 ${at(0.95).toFixed(1)} ms, max ${frames[frames.length - 1].toFixed(1)} ms; another year redrawn in ${year.ms} ms`,
  );
  assert.deepEqual(failures, []);
});
