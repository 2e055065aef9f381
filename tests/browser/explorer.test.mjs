// The network explorer in a real browser: Debian's headless Chromium driven by
// playwright-core against a running server (POBRATIM_URL, seeded with the seed network).
// Screenshots go to $POBRATIM_ARTIFACTS (default artifacts/browser).
//
//   target/debug/pobratim serve --data /tmp/explorer-data --bind 127.0.0.1:18090 &
//   POBRATIM_URL=http://127.0.0.1:18090 node --test tests/browser/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const BASE = process.env.POBRATIM_URL ?? "http://127.0.0.1:18090";
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

async function page(viewport) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  const failures = [];
  p.on("pageerror", (e) => failures.push(e.message));
  p.on("requestfailed", (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
  p.on("request", (r) => {
    if (!r.url().startsWith(BASE)) failures.push(`left the server: ${r.url()}`);
  });
  // Every file the page asks for exists (the API's own refusals are answers, not failures).
  p.on("response", (r) => {
    if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith("/api/")) failures.push(`${r.status()} ${r.url()}`);
  });
  return { p, failures };
}

async function apiGet(path) {
  const response = await fetch(BASE + path, { headers: { Accept: "application/json" } });
  assert.equal(response.status, 200, path);
  return response.json();
}

const KINDS = "twinning,friendship,trilateral";

async function openBlagoveshchensk(p) {
  await p.goto(BASE + "/");
  await p.fill("#search", "Благовещенск");
  const result = p.locator('#results button[data-id="city:ru:blagoveshchensk"]');
  await result.waitFor();
  await result.click();
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor();
}

test("search, partners drawn, a link's source, the year slider, a path", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);
  assert.match(await p.textContent("#title"), /Blagoveshchensk/);
  const drawn = await p.evaluate(() => window.explorerGraph.nodes().map((n) => n.id()));
  for (const id of ["city:cn:heihe", "city:cn:wudalianchi", "city:jp:niigata"]) {
    assert.ok(drawn.includes(id), `${id} is drawn`);
  }
  // The map draws once the country outlines are loaded, after the partner list.
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.cities) > 5);
  assert.ok(Number(await p.getAttribute("#map", "data-cities")) > 5, "cities on the map");
  await p.screenshot({ path: `${SHOTS}/blagoveshchensk.png`, fullPage: true });

  // A link's kind, date and quoted source, opened right below the partner's line, its
  // edge marked on the graph.
  const tag = p.locator('#partners li[data-id="city:cn:wudalianchi"] button[data-link]').first();
  await tag.click();
  const detail = await p.textContent("#link-detail");
  const [tagBox, detailBox] = [await tag.boundingBox(), await p.locator("#link-detail").boundingBox()];
  assert.ok(
    detailBox.y >= tagBox.y && detailBox.y - (tagBox.y + tagBox.height) < 40,
    `the details open right below what was clicked: ${JSON.stringify([tagBox, detailBox])}`,
  );
  const marked = await p.evaluate(() => window.explorerGraph.edges(".chosen").map((e) => e.data("link")));
  assert.ok(marked.length > 0 && marked.every((l) => l.includes("wudalianchi")), `marked: ${marked}`);
  assert.match(detail, /twinning/);
  assert.match(detail, /2003-07-17/);
  assert.match(detail, /Удалянчи/);
  assert.match(detail, /stated by its document/);
  assert.match(detail, /Blagoveshchensk city administration/, "the full citation of the document");
  await p.screenshot({ path: `${SHOTS}/link-detail.png`, fullPage: true });

  // A line clicked on the graph opens its link right below the graph.
  await p.evaluate(() =>
    window.explorerGraph.edges().filter((e) => e.data("link").includes("heihe"))[0].emit("tap"),
  );
  await p.waitForFunction(() => /heihe/i.test(document.querySelector("#link-detail").textContent));
  const [graphBox, openBox] = [await p.locator("#graph").boundingBox(), await p.locator("#link-detail").boundingBox()];
  assert.ok(openBox.y - (graphBox.y + graphBox.height) < 40, "right below the graph");
  assert.match(await p.textContent("#legend"), /dotted: planned or negotiating/);

  // A tie read from the text, not stated by it, says so.
  await p.locator('#partners li[data-id="city:cn:dalian"] button[data-link]').first().click();
  assert.match(await p.textContent("#link-detail"), /inferred: the document shows this link without stating it/);

  // Back before 2003: Wudalianchi's twinning (17 July 2003) disappears.
  await p.locator("#year").fill("2002");
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor({ state: "detached" });
  assert.equal(await p.textContent("#year-label"), "2002");
  const before2003 = await p.evaluate(() => window.explorerGraph.nodes().map((n) => n.id()));
  assert.ok(!before2003.includes("city:cn:wudalianchi"), "Wudalianchi is gone in 2002");
  assert.ok(before2003.includes("city:cn:heihe"), "Heihe stays (undated trilateral links)");
  await p.screenshot({ path: `${SHOTS}/blagoveshchensk-2002.png`, fullPage: true });
  await p.locator("#year").fill("2026");
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor();

  // Follow a partner.
  await p.locator('#partners li[data-id="city:jp:niigata"] button[data-id]').click();
  await p.waitForFunction(() => document.querySelector("#title").textContent.includes("Niigata"));
  // Three nodes are drawn at a zoom that keeps labels readable, not fitted huge.
  await p.waitForFunction(() => window.explorerGraph.nodes().length <= 5);
  assert.ok(await p.evaluate(() => window.explorerGraph.zoom()) <= 1.5);

  // The address says what is shown, and Back and Forward step through it: Niigata,
  // then Blagoveshchensk today, then Blagoveshchensk in 2002, and forward again.
  assert.match(p.url(), /#city=city%3Ajp%3Aniigata$/);
  const title = (name) =>
    p.waitForFunction((n) => document.querySelector("#title").textContent.includes(n), name);
  await p.goBack();
  await title("Blagoveshchensk");
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor();
  assert.equal(await p.textContent("#year-label"), "today");
  await p.goBack();
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor({ state: "detached" });
  assert.equal(await p.textContent("#year-label"), "2002");
  assert.equal(await p.inputValue("#year"), "2002");
  assert.match(p.url(), /#city=city%3Aru%3Ablagoveshchensk&year=2002$/);
  await p.goForward();
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor();
  await p.goForward();
  await title("Niigata");

  // A shortest path between two cities: every hop, the middle ones included, as the API
  // answers it.
  await p.fill("#path-from", "Krasnoyarsk");
  await p.fill("#path-to", "Niigata");
  await p.click("#path-go");
  await p.locator("#path-result li").nth(1).waitFor();
  const hops = await p.locator("#path-result li > button").allTextContents();
  const path = await apiGet(
    `/api/v1/paths/shortest?from=city:ru:krasnoyarsk&to=city:jp:niigata&kinds=${KINDS}`,
  );
  assert.deepEqual(hops, path.paths[0].nodes.map((n) => n.name));
  assert.ok(hops.length >= 3, `a path with a middle: ${hops}`);
  // Each hop names the kind of link it follows, with the link's quoted source.
  const steps = await p.locator("#path-result .hop").allTextContents();
  assert.equal(steps.length, path.paths[0].steps.length);
  path.paths[0].steps.forEach((step, i) => assert.ok(steps[i].includes(step.links[0].kind), steps[i]));
  const quoted = path.paths[0].steps.find((s) => s.links[0].source?.quote);
  if (quoted) {
    await p.locator("#path-result .hop summary").first().click();
    assert.ok((await p.textContent("#path-result")).includes(quoted.links[0].source.quote.slice(0, 20)));
  }
  // Unconnected ends are named, not given as ids.
  await p.fill("#path-to", "Union of Russian Cities");
  await p.click("#path-go");
  await p.locator("#path-result li.error").waitFor();
  const unconnected = await p.textContent("#path-result li.error");
  assert.match(unconnected, /^No path between Krasnoyarsk and Union of Russian Cities/);
  assert.ok(!unconnected.includes("city:"), unconnected);
  // A name that matches several nodes offers them; the one chosen is used.
  await p.fill("#path-to", "Sh");
  await p.click("#path-go");
  await p.locator("#path-result li.choice button").first().waitFor();
  assert.match(await p.textContent("#path-result li.choice"), /Which “Sh”\?/);
  await p.locator('#path-result li.choice button[data-id="city:cn:shenyang"]').click();
  await p.waitForFunction(() => document.querySelector("#path-result li:last-child > button")?.textContent === "Shenyang");
  await p.locator("#top li").first().waitFor();
  await p.screenshot({ path: `${SHOTS}/path.png`, fullPage: true });
  assert.deepEqual(failures, []);
});

test("Chinese, Japanese and Korean names are drawn as glyphs, not boxes", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await p.goto(BASE + "/");
  // A private-use character has no glyph in any font: it is drawn as the missing-glyph
  // box. A name's characters must be drawn otherwise.
  const drawn = await p.evaluate(() => {
    const draw = (text) => {
      const canvas = document.createElement("canvas");
      canvas.width = 48;
      canvas.height = 48;
      const context = canvas.getContext("2d");
      context.font = "32px " + getComputedStyle(document.body).fontFamily;
      context.fillText(text, 4, 36);
      return canvas.toDataURL();
    };
    const box = draw("\uE000");
    return Object.fromEntries(["新", "潟", "上", "越", "한", "平"].map((c) => [c, draw(c) !== box]));
  });
  for (const [character, glyph] of Object.entries(drawn)) {
    assert.ok(glyph, `${character} is drawn as a box: install fonts-noto-cjk`);
  }
  assert.deepEqual(failures, []);
});

test("a shared address shows its city and year; editing the address follows it", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await p.goto(BASE + "/#city=city%3Aru%3Ablagoveshchensk&year=2002");
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor();
  assert.match(await p.textContent("#title"), /Blagoveshchensk/);
  assert.equal(await p.textContent("#year-label"), "2002");
  assert.equal(
    await p.locator('#partners li[data-id="city:cn:wudalianchi"]').count(),
    0,
    "no Wudalianchi before its 2003 twinning",
  );
  // Links with no signing date count at every year, and the page says how many there
  // are; the switch leaves them out of every panel, and the address keeps it.
  assert.match(await p.textContent("#undated-note"), /^\d+ of these links have no signing date/);
  assert.equal(await p.textContent("#top-year"), "as of 2002");
  const topWith = await p.textContent("#top");
  await p.uncheck("#undated");
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor({ state: "detached" });
  await p.locator("#undated-note").filter({ hasText: "left out" }).waitFor();
  assert.match(await p.textContent("#undated-note"), /^\d+ links with no signing date are left out\.$/);
  assert.match(p.url(), /&year=2002&undated=0$/);
  await p.waitForFunction((before) => document.querySelector("#top").textContent !== before, topWith);
  await p.goto(BASE + "/#city=city%3Aru%3Ablagoveshchensk&year=2002&undated=0");
  await p.reload();
  await p.waitForFunction(() => document.querySelector("#title").textContent.includes("Blagoveshchensk"));
  await p.locator("#undated-note").filter({ hasText: "left out" }).waitFor();
  assert.equal(await p.isChecked("#undated"), false);
  assert.equal(await p.locator('#partners li[data-id="city:cn:heihe"]').count(), 0);
  await p.evaluate(() => {
    location.hash = "#city=city%3Ajp%3Aniigata";
  });
  await p.waitForFunction(() => document.querySelector("#title").textContent.includes("Niigata"));
  assert.equal(await p.textContent("#year-label"), "today");
  // An address of a bare id, as earlier versions wrote them, still opens the city.
  await p.goto(BASE + "/#city:ru:blagoveshchensk");
  await p.locator('#partners li[data-id="city:cn:wudalianchi"]').waitFor();
  assert.deepEqual(failures, []);
});

test("suggestions, the measure switch and search in Latin and Japanese", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);

  // The suggestions panel lists the partner finder's first five, in its order.
  const suggested = await apiGet("/api/v1/nodes/city:ru:blagoveshchensk/partners?limit=5");
  assert.ok(suggested.items.length > 0, "the seed has suggestions for Blagoveshchensk");
  await p.locator("#suggestions li button").first().waitFor();
  const shown = await p.locator("#suggestions li button").allTextContents();
  assert.deepEqual(shown, suggested.items.map((s) => s.node.name));
  await p.screenshot({ path: `${SHOTS}/suggestions.png`, fullPage: true });

  // Switching the measure redraws the ranking from that measure.
  for (const measure of ["pagerank", "betweenness", "degree"]) {
    const sample = measure === "betweenness" ? "&k=200" : "";
    const ranking = await apiGet(`/api/v1/centrality/${measure}?kind=city&limit=10&kinds=${KINDS}${sample}`);
    const names = ranking.items.map((r) => r.node.name);
    await p.selectOption("#measure", measure);
    await p.locator(`#top[data-shows="${measure}"]`).waitFor();
    const top = await p.locator("#top li button").allTextContents();
    assert.deepEqual(top, names, measure);
  }

  // Latin and Japanese names find the same city.
  for (const query of ["Niigata", "新潟", "niigata"]) {
    await p.fill("#search", query);
    await p.locator('#results button[data-id="city:jp:niigata"]').waitFor();
  }
  await p.locator('#results button[data-id="city:jp:niigata"]').click();
  await p.waitForFunction(() => document.querySelector("#title").textContent.includes("Niigata"));
  assert.deepEqual(failures, []);
});

test("usable on a phone-sized screen", async () => {
  const { p, failures } = await page({ width: 390, height: 844 });
  await openBlagoveshchensk(p);
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (page is ${width}px wide)`);
  const box = await p.locator("#graph").boundingBox();
  assert.ok(box.width > 300, "the graph uses the screen's width");
  await p.screenshot({ path: `${SHOTS}/phone.png`, fullPage: true });
  // A city tapped in the ranking, far down the page, is shown from its title.
  const ranked = p.locator("#top li button", { hasText: "Moscow" });
  await ranked.scrollIntoViewIfNeeded();
  await ranked.click();
  await p.waitForFunction(() => document.querySelector("#title").textContent.includes("Moscow"));
  await p.waitForFunction(() => {
    const top = document.querySelector("#title").getBoundingClientRect().top;
    return top >= 0 && top < window.innerHeight;
  });
  assert.deepEqual(failures, []);
});

test("the API docs page works offline and calls the server", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await p.goto(BASE + "/docs");
  await p.locator(".opblock").first().waitFor();
  const operations = await p.locator(".opblock").count();
  assert.ok(operations > 20, `${operations} operations listed`);
  await p.screenshot({ path: `${SHOTS}/docs.png` });
  assert.deepEqual(failures, []);
});

/**
 * Brings node `id` of the whole-network view to the middle of it, and points at it once
 * sigma has drawn it there (sigma finds the node under the pointer in what it drew last;
 * on a busy machine the last frame of the camera's move can come after the move ends).
 * Returns that point, in page pixels.
 */
async function pointAt(p, id, ratio) {
  const at = await p.evaluate(
    async ({ id, ratio }) => {
      const { sigma } = window.explorerNetwork;
      const node = sigma.getNodeDisplayData(id);
      await sigma.getCamera().animate({ x: node.x, y: node.y, ratio }, { duration: 200 });
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      await frame();
      await frame();
      const box = document.querySelector("#network").getBoundingClientRect();
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    },
    { id, ratio },
  );
  await p.mouse.move(at.x - 40, at.y - 40);
  await p.mouse.move(at.x, at.y, { steps: 4 });
  return at;
}

test("the whole network: drawn with WebGL from the server's layout, coloured, hovered, clicked", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  const layout = await apiGet(`/api/v1/layout?kinds=${KINDS}`);
  await p.goto(BASE + "/");
  await p.click("#network-toggle");
  await p.waitForFunction(() => window.explorerNetwork?.ready);
  assert.match(p.url(), /#view=network$/);
  const drawn = await p.evaluate(() => ({
    nodes: window.explorerNetwork.sigma.getGraph().order,
    edges: window.explorerNetwork.sigma.getGraph().size,
    webgl: [...document.querySelectorAll("#network canvas")].some((c) => c.getContext("webgl2") || c.getContext("webgl")),
  }));
  assert.deepEqual(drawn, { nodes: layout.nodes.length, edges: layout.edges.length, webgl: true });
  assert.match(await p.textContent("#network-status"), new RegExp(`^${layout.nodes.length} nodes, ${layout.edges.length} links`));
  // Coloured by community: Blagoveshchensk's community has a colour of its own in the legend.
  const colourOf = (id) => p.evaluate((id) => window.explorerNetwork.sigma.getNodeDisplayData(id).color, id);
  const blago = layout.nodes.find((n) => n.id === "city:ru:blagoveshchensk");
  const heihe = layout.nodes.find((n) => n.id === "city:cn:heihe");
  assert.equal(await colourOf(blago.id), await colourOf(heihe.id), "partners in one community share a colour");
  assert.match(await p.textContent("#network-legend"), /Colour: community.*#1 \(\d+\)/);
  await p.selectOption("#colour-by", "country");
  assert.match(await p.textContent("#network-legend"), /Colour: country.*RU \(\d+\)/);
  assert.notEqual(await colourOf("city:ru:blagoveshchensk"), await colourOf("city:cn:heihe"), "Russia and China differ");
  assert.match(p.url(), /#view=network&colour=country$/);
  // Sized by degree: the hub is drawn larger than its partner.
  const sizeOf = (id) => p.evaluate((id) => window.explorerNetwork.sigma.getNodeDisplayData(id).size, id);
  assert.ok((await sizeOf(blago.id)) > (await sizeOf(heihe.id)));
  // The size is a step in the address too: Back returns to degree.
  const byDegree = await sizeOf(heihe.id);
  await p.selectOption("#size-by", "betweenness");
  await p.waitForFunction((s) => window.explorerNetwork.sigma.getNodeDisplayData("city:cn:heihe").size !== s, byDegree);
  assert.match(p.url(), /#view=network&colour=country&size=betweenness$/);
  await p.goBack();
  await p.waitForFunction((s) => window.explorerNetwork.sigma.getNodeDisplayData("city:cn:heihe").size === s, byDegree);
  assert.equal(await p.inputValue("#size-by"), "degree");
  assert.equal(await p.inputValue("#colour-by"), "country");

  // Pointing at Blagoveshchensk greys out all but its partners.
  const far = layout.nodes.find((n) => n.id === "city:ru:moscow");
  const at = await pointAt(p, blago.id, 0.5);
  await p.waitForFunction((id) => window.explorerNetwork.sigma.getNodeDisplayData(id).color === "#e4e8ee", far.id);
  assert.notEqual(await colourOf(heihe.id), "#e4e8ee", "a partner stays coloured");
  await p.screenshot({ path: `${SHOTS}/network-hover.png` });

  // Clicking it opens the city below, and the address says both.
  await p.mouse.click(at.x, at.y);
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor();
  assert.match(await p.textContent("#title"), /Blagoveshchensk/);
  assert.match(p.url(), /#view=network&city=city%3Aru%3Ablagoveshchensk&colour=country$/);
  // Back returns to the network alone; the toggle hides it.
  await p.goBack();
  await p.waitForFunction(() => location.hash === "#view=network&colour=country");
  await p.click("#network-toggle");
  assert.equal(await p.isHidden("#network-panel"), true);
  assert.deepEqual(failures, []);
});

/** The serious and critical accessibility violations axe-core finds on the page as it is. */
async function axeViolations(p) {
  // Run from the disk through the driver (the page's CSP, rightly, refuses inline
  // scripts): no request leaves.
  await p.evaluate(readFileSync(fileURLToPath(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url)), "utf8"));
  const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}

test("axe-core finds no serious or critical violation: a city, a link, the whole network, a phone", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);
  await p.locator('#partners li[data-id="city:cn:heihe"] button[data-link]').first().click();
  await p.locator("#link-detail").waitFor();
  assert.deepEqual(await axeViolations(p), [], "a city with a link open");
  await p.click("#network-toggle");
  await p.waitForFunction(() => window.explorerNetwork?.ready);
  assert.deepEqual(await axeViolations(p), [], "the whole network");
  const phone = await page({ width: 390, height: 844 });
  await openBlagoveshchensk(phone.p);
  assert.deepEqual(await axeViolations(phone.p), [], "a city on a phone");
  assert.deepEqual([...failures, ...phone.failures], []);
});

test("the map: the whole network before a city is chosen, a dot named under the pointer, a path drawn", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  const places = await apiGet(`/api/v1/places?limit=20000&kinds=${KINDS}&status=active`);
  const located = places.total;
  assert.equal(places.items.length, located);
  await p.goto(BASE + "/");
  await p.waitForFunction((n) => Number(document.querySelector("#map").dataset.cities) === n, located);
  assert.ok(Number(await p.getAttribute("#map", "data-clusters")) > 0);
  assert.match(await p.getAttribute("#map", "aria-label"), new RegExp(`whole network: ${located} cities`));

  // Pointing at a dot names it (or its cluster).
  const pointer = async (label) => {
    const at = await p.evaluate((label) => {
      const canvas = document.querySelector("#map");
      const box = canvas.getBoundingClientRect();
      const point = mapPoints.find((m) => m.label === label) ?? mapPoints.find((m) => m.label.startsWith(label)) ?? mapPoints[0];
      const scale = canvas.width / box.width;
      return { x: box.left + point.x / scale, y: box.top + point.y / scale, label: point.label };
    }, label);
    await p.mouse.move(at.x, at.y);
    await p.locator("#map-tip").waitFor();
    assert.equal(await p.textContent("#map-tip"), at.label, "the tip names the dot pointed at");
    return at.label;
  };
  assert.match(await pointer("Blagoveshchensk"), /^Blagoveshchensk/);

  // A path is drawn over the map, framed on its cities, each hop a great-circle arc.
  await p.fill("#path-from", "Niigata");
  await p.fill("#path-to", "Krasnoyarsk");
  await p.click("#path-go");
  await p.waitForFunction(() => document.querySelector("#map").dataset.path === "3");
  assert.equal(await pointer("Blagoveshchensk"), "Blagoveshchensk");
  await p.screenshot({ path: `${SHOTS}/map-path.png` });
  // The address keeps the path's ends: a reload finds it again; Back forgets it.
  assert.match(p.url(), /#from=city%3Ajp%3Aniigata&to=city%3Aru%3Akrasnoyarsk$/);
  await p.reload();
  await p.waitForFunction(() => document.querySelector("#map").dataset.path === "3");
  assert.equal(await p.locator("#path-result > li").count(), 3);
  assert.equal(await p.inputValue("#path-from"), "Niigata");
  await p.goBack();
  await p.waitForFunction(() => document.querySelector("#map").dataset.path === "0");
  assert.equal(await p.locator("#path-result > li").count(), 0);

  // A city's partners are joined to it by arcs.
  await p.fill("#search", "Благовещенск");
  await p.locator('#results button[data-id="city:ru:blagoveshchensk"]').click();
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.arcs) > 10);
  assert.equal(await p.getAttribute("#map", "data-clusters"), null);
  assert.deepEqual(failures, []);
});

test("play steps the network through the years; a path is drawn on the whole network", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);
  const year = () => p.textContent("#year-label");
  await p.click("#play");
  assert.equal(await p.getAttribute("#play", "aria-pressed"), "true");
  // It starts from the slider's first year, and each step cuts the city and the ranking.
  await p.waitForFunction(() => Number(document.querySelector("#year-label").textContent) < 1960);
  await p.waitForFunction(() => Number(document.querySelector("#year-label").textContent) >= 1962);
  assert.match(await p.textContent("#top-year"), /^as of 19\d\d$/);
  await p.click("#play");
  await p.waitForFunction(() => document.querySelector("#play").getAttribute("aria-pressed") === "false");
  const stopped = await year();
  await p.waitForTimeout(800);
  assert.equal(await year(), stopped, "pausing stops the years");
  assert.match(p.url(), new RegExp(`&year=${stopped}$`));

  // The path found below is drawn over the whole network: its cities red and named.
  await p.goto(BASE + "/#view=network");
  await p.waitForFunction(() => window.explorerNetwork?.ready);
  await p.fill("#path-from", "Niigata");
  await p.fill("#path-to", "Krasnoyarsk");
  await p.click("#path-go");
  await p.waitForFunction(() => document.querySelector("#map").dataset.path === "3");
  const shown = await p.evaluate(() =>
    ["city:jp:niigata", "city:ru:blagoveshchensk", "city:ru:krasnoyarsk", "city:ru:moscow"].map((id) => {
      const d = window.explorerNetwork.sigma.getNodeDisplayData(id);
      return [d.color, d.forceLabel];
    }),
  );
  assert.deepEqual(shown.slice(0, 3), [["#c0392b", true], ["#c0392b", true], ["#c0392b", true]]);
  assert.notEqual(shown[3][0], "#c0392b", "Moscow is not on the path");
  await p.screenshot({ path: `${SHOTS}/network-path.png` });

  // Another year redraws the whole network in place: every city where it stood, that
  // year's links.
  const at = (id) => p.evaluate((id) => {
    const { x, y } = window.explorerNetwork.sigma.getGraph().getNodeAttributes(id);
    return [x, y];
  }, id);
  const before = await at("city:ru:blagoveshchensk");
  await p.evaluate(() => {
    const slider = document.querySelector("#year");
    slider.value = "2005";
    slider.dispatchEvent(new Event("input"));
    slider.dispatchEvent(new Event("change"));
  });
  await p.waitForFunction(() => window.explorerNetwork.cut?.includes("as_of=2005") && window.explorerNetwork.how === "redrawn");
  const dated = await apiGet(`/api/v1/layout?kinds=${KINDS}&status=active&as_of=2005`);
  assert.equal(await p.evaluate(() => window.explorerNetwork.sigma.getGraph().size), dated.edges.length);
  assert.ok(dated.edges.length < (await apiGet(`/api/v1/layout?kinds=${KINDS}`)).edges.length);
  assert.deepEqual(await at("city:ru:blagoveshchensk"), before);
  assert.deepEqual(failures, []);
});

test("by keyboard alone: focus is visible, the whole network opens, a searched city is shown in it", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await p.goto(BASE + "/");
  await p.locator("#top li").first().waitFor();
  const focused = () =>
    p.evaluate(() => ({ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle }));
  await p.keyboard.press("Tab");
  assert.deepEqual(await focused(), { id: "search", outline: "solid" });
  await p.keyboard.press("Tab");
  assert.deepEqual(await focused(), { id: "network-toggle", outline: "solid" });
  await p.keyboard.press("Enter");
  await p.waitForFunction(() => window.explorerNetwork?.ready);

  await p.keyboard.press("Shift+Tab");
  await p.keyboard.type("Благовещенск");
  const result = p.locator('#results button[data-id="city:ru:blagoveshchensk"]');
  await result.waitFor();
  await p.keyboard.press("Tab");
  assert.equal(await p.evaluate(() => document.activeElement.dataset.id), "city:ru:blagoveshchensk");
  await p.keyboard.press("Enter");
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor();
  // The network marks it with its partners, and brings it into view.
  await p.waitForFunction(() => {
    const { sigma } = window.explorerNetwork;
    const city = sigma.getNodeDisplayData("city:ru:blagoveshchensk");
    return city.forceLabel && sigma.getNodeDisplayData("city:ru:moscow").color === "#e4e8ee" && sigma.getCamera().ratio < 0.5;
  });
  assert.notEqual(await p.evaluate(() => window.explorerNetwork.sigma.getNodeDisplayData("city:cn:heihe").color), "#e4e8ee");
  await p.waitForTimeout(600); // the camera's move ends; edges and labels come back
  await p.screenshot({ path: `${SHOTS}/network-keyboard.png` });
  assert.deepEqual(failures, []);
});

test("the link kinds cut every panel, live in the address, and one always stays", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);
  // Dalian is a partner by friendship only.
  await p.locator('#partners li[data-id="city:cn:dalian"]').waitFor();
  await p.uncheck('#kinds input[value="friendship"]');
  await p.locator('#partners li[data-id="city:cn:dalian"]').waitFor({ state: "detached" });
  assert.match(p.url(), /&kinds=twinning%2Ctrilateral$/);
  const drawn = await p.evaluate(() => window.explorerGraph.edges().map((e) => e.data("kind")));
  assert.ok(drawn.length > 0 && !drawn.includes("friendship"), `kinds drawn: ${[...new Set(drawn)]}`);
  await p.reload();
  await p.locator('#partners li[data-id="city:cn:heihe"]').waitFor();
  assert.equal(await p.isChecked('#kinds input[value="friendship"]'), false);
  assert.equal(await p.locator('#partners li[data-id="city:cn:dalian"]').count(), 0);
  await p.uncheck('#kinds input[value="twinning"]');
  await p.click('#kinds input[value="trilateral"]');
  assert.equal(await p.isChecked('#kinds input[value="trilateral"]'), true, "the last kind stays");
  assert.match(p.url(), /&kinds=trilateral$/);
  assert.deepEqual(failures, []);
});

/** The value the ranking shows for `name`. */
async function topValue(p, name) {
  const text = await p.locator("#top li", { hasText: name }).first().textContent();
  return Number(text.replace(name, "").trim());
}

test("link statuses cut every panel, are drawn as the legend says, and live in the address", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await openBlagoveshchensk(p);
  // Active links alone count by default: Yakutsk, a planned twinning, is not shown.
  assert.equal(await p.locator('#partners li[data-id="city:ru:yakutsk"]').count(), 0);
  await p.locator("#top li", { hasText: "Blagoveshchensk" }).waitFor();
  const before = await topValue(p, "Blagoveshchensk");
  await p.check('#statuses input[value="planned"]');
  await p.locator('#partners li[data-id="city:ru:yakutsk"]').waitFor();
  assert.match(p.url(), /&status=active%2Cplanned$/);
  assert.match(await p.textContent('#partners li[data-id="city:ru:yakutsk"]'), /\(planned\)/);
  // Planned links are dotted, active ones not, as the legend says.
  const styles = await p.evaluate(() => window.explorerGraph.edges().map((e) => [e.data("status"), e.style("line-style")]));
  const planned = styles.filter(([status]) => status === "planned");
  assert.equal(planned.length, 2, JSON.stringify(styles));
  assert.ok(planned.every(([, style]) => style === "dotted"), JSON.stringify(planned));
  assert.ok(styles.some(([status, style]) => status === "active" && style === "solid"));
  assert.match(await p.textContent("#legend"), /dotted: planned or negotiating.*grey dotted: suspended or ended/s);
  // The ranking counts them too, and says so.
  await p.waitForFunction(() => document.querySelector("#top").dataset.cut?.includes("status=active,planned"));
  assert.match(await p.textContent("#top-year"), /counting active, planned links/);
  assert.ok((await topValue(p, "Blagoveshchensk")) > before, "a new partner raises the hub's degree");
  // A shared address restores the boxes; Back returns to active links alone.
  await p.reload();
  await p.locator('#partners li[data-id="city:ru:yakutsk"]').waitFor();
  assert.equal(await p.isChecked('#statuses input[value="planned"]'), true);
  await p.goBack();
  await p.locator('#partners li[data-id="city:ru:yakutsk"]').waitFor({ state: "detached" });
  assert.equal(await p.isChecked('#statuses input[value="planned"]'), false);
  // One status always stays.
  await p.click('#statuses input[value="active"]');
  assert.equal(await p.isChecked('#statuses input[value="active"]'), true, "the last status stays");
  assert.deepEqual(failures, []);
});

/** Where a map dot chosen by `pick` (run on `mapPoints` in the page) is on the screen. */
async function mapDot(p, pick) {
  return p.evaluate((pick) => {
    const canvas = document.querySelector("#map");
    const box = canvas.getBoundingClientRect();
    const point = mapPoints.find(new Function("m", `return ${pick}`));
    const scale = canvas.width / box.width;
    return point && { x: box.left + point.x / scale, y: box.top + point.y / scale, ids: point.ids, label: point.label };
  }, pick);
}

test("the map zooms, pans and opens the city clicked; a path is marked on the city's graph", async () => {
  const { p, failures } = await page({ width: 1280, height: 900 });
  await p.goto(BASE + "/");
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.clusters) > 0);
  const zoom = async () => Number(await p.getAttribute("#map", "data-zoom"));
  assert.equal(await zoom(), 1);
  // Clicking a cluster zooms into it; the buttons zoom in, out and back to the frame.
  const cluster = await mapDot(p, "m.ids.length > 1");
  assert.ok(cluster, "the seed has cities close enough to gather");
  await p.mouse.click(cluster.x, cluster.y);
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.zoom) > 3);
  await p.click("#map-in");
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.zoom) > 7);
  await p.click("#map-out");
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.zoom) < 7);
  // Dragging pans: the map's centre moves against the drag.
  const box = await p.locator("#map").boundingBox();
  const centre = async () => (await p.getAttribute("#map", "data-centre")).split(",").map(Number);
  const [, lonBefore] = await centre();
  await p.mouse.move(box.x + 20, box.y + box.height - 20);
  await p.mouse.down();
  await p.mouse.move(box.x + 200, box.y + box.height - 20, { steps: 5 });
  await p.mouse.up();
  await p.waitForFunction((lon) => Number(document.querySelector("#map").dataset.centre.split(",")[1]) < lon - 1, lonBefore);
  await p.click("#map-reset");
  await p.waitForFunction(() => document.querySelector("#map").dataset.zoom === "1");
  // Clicking a single city's dot opens it.
  const single = await mapDot(p, "m.ids.length === 1");
  await p.mouse.click(single.x, single.y);
  await p.waitForFunction((name) => document.querySelector("#title").textContent.startsWith(name), single.label);
  assert.match(p.url(), new RegExp(`#city=${encodeURIComponent(single.ids[0])}$`));
  await p.locator("#suggestions li").first().waitFor();
  // Back at the address with no city: the city's panels go, the map shows the network again.
  await p.goBack();
  await p.waitForFunction(() => document.querySelector("#title").textContent === "Search a city to begin");
  assert.equal(await p.isHidden("#graph"), true);
  assert.equal(await p.locator("#partners li").count(), 0);
  await p.waitForFunction(() => Number(document.querySelector("#map").dataset.clusters) > 0);

  // A path through the open city is marked on its graph: its three cities and two hops.
  await openBlagoveshchensk(p);
  await p.fill("#path-from", "Niigata");
  await p.fill("#path-to", "Krasnoyarsk");
  await p.click("#path-go");
  await p.waitForFunction(() => window.explorerGraph.edges(".on-path").length === 2);
  const marked = await p.evaluate(() => window.explorerGraph.nodes(".on-path").map((n) => n.id()).sort());
  assert.deepEqual(marked, ["city:jp:niigata", "city:ru:blagoveshchensk", "city:ru:krasnoyarsk"]);
  await p.locator("#graph").screenshot({ path: `${SHOTS}/graph-path.png` });
  assert.deepEqual(failures, []);
});
