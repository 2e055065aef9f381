// The network explorer: the whole network (sigma.js), search a city, draw its ego
// network (cytoscape.js), follow
// partners, read a link's dates and source, cut the network at a year, find a path,
// see the cities on a map (country outlines from world-atlas, no tile server), and
// list the top cities by a centrality measure. Everything comes from this server's API.
"use strict";

const KINDS = ["twinning", "friendship", "trilateral"];
const STATUSES = ["active", "planned", "negotiating", "suspended", "ended"];
/** Statuses every panel counts unless the boxes say otherwise: the API's default. */
const DEFAULT_STATUSES = ["active"];
const NOW = Number(document.getElementById("year").max);
const state = { id: null, year: NOW, undated: true, kinds: KINDS, statuses: DEFAULT_STATUSES, view: "city", nodes: [], links: [], path: null, pathEnds: null, world: null };
const $ = (id) => document.getElementById(id);

async function api(path, tries = 0) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  // The server runs a few expensive questions at once and says when to ask again.
  if (response.status === 503 && tries < 60) {
    const wait = Number(response.headers.get("Retry-After")) || 1;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    return api(path, tries + 1);
  }
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { code: body.code });
  return body;
}

/** The link kinds every panel traverses (the boxes under the slider). */
function kinds() {
  return state.kinds.join(",");
}

/** What every panel is cut by — link kinds and statuses, year, undated links — as query parameters. */
function cut(undated = state.undated) {
  return `kinds=${kinds()}&status=${state.statuses.join(",")}${asOf(undated)}`;
}

// The year cuts every panel alike: the graph, partners, map, path, ranking and the whole
// network. Links with no signing date count at every year unless the switch says not.
function asOf(undated = state.undated) {
  if (state.year >= NOW) return "";
  return `&as_of=${state.year}${undated ? "" : "&undated=false"}`;
}

function label(node) {
  const local = Object.values(node.names || {}).find((n) => n !== node.name);
  return local ? `${node.name} (${local})` : node.name;
}

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

// ---- search ----
let searchTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 200);
});
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  search();
});

async function search() {
  const q = $("search").value.trim();
  const list = $("results");
  list.replaceChildren();
  if (!q) return;
  const page = await api(`/api/v1/nodes?q=${encodeURIComponent(q)}&limit=10`);
  for (const node of page.items) {
    const button = el("button", { type: "button", textContent: `${label(node)} · ${node.kind}${node.country ? " · " + node.country : ""}` });
    button.dataset.id = node.id;
    button.addEventListener("click", () => {
      list.replaceChildren();
      $("search").value = "";
      open(node.id);
    });
    list.append(el("li", {}, [button]));
  }
  if (!page.items.length) list.append(el("li", { textContent: "No match" }));
}

// ---- the address: what is shown lives in the URL ----
// `#view=network&city=<id>&year=<YYYY>&undated=0&kinds=<a,b>&from=<id>&to=<id>` (the
// view only when the whole network is shown, the year only when the slider is not at
// today, `undated=0` when links with no signing date are left out, the kinds only when
// not all three, the ends of the path found). Opening a city, showing or hiding the
// whole network, or letting go of the slider adds a history entry, so Back and Forward
// step through what was shown; editing the address, or opening a shared one, shows it.
// An address of a bare id (`#city:ru:blagoveshchensk`) still opens that city.
function readAddress() {
  const raw = location.hash.slice(1);
  const plain = { year: NOW, view: "city", undated: true, kinds: KINDS, statuses: DEFAULT_STATUSES, path: null, colour: "community", size: "degree" };
  if (!raw) return { ...plain, id: null };
  if (!raw.includes("=")) return { ...plain, id: decodeURIComponent(raw) };
  const params = new URLSearchParams(raw);
  const year = Number(params.get("year"));
  const min = Number($("year").min);
  return {
    id: params.get("city"),
    year: Number.isInteger(year) && year >= min && year < NOW ? year : NOW,
    view: params.get("view") === "network" ? "network" : "city",
    undated: params.get("undated") !== "0",
    kinds: KINDS.filter((k) => (params.get("kinds") ?? KINDS.join(",")).split(",").includes(k)),
    statuses: STATUSES.filter((k) => (params.get("status") ?? DEFAULT_STATUSES.join(",")).split(",").includes(k)),
    colour: option("colour-by", params.get("colour")),
    size: option("size-by", params.get("size")),
    path: params.get("from") && params.get("to") ? [params.get("from"), params.get("to")] : null,
  };
}

function address() {
  const params = new URLSearchParams();
  if (state.view === "network") params.set("view", "network");
  if (state.id) params.set("city", state.id);
  if (state.year < NOW) params.set("year", String(state.year));
  if (state.year < NOW && !state.undated) params.set("undated", "0");
  if (state.kinds.length < KINDS.length) params.set("kinds", kinds());
  if (state.statuses.join() !== DEFAULT_STATUSES.join()) params.set("status", state.statuses.join(","));
  if (state.view === "network" && $("colour-by").value !== "community") params.set("colour", $("colour-by").value);
  if (state.view === "network" && $("size-by").value !== "degree") params.set("size", $("size-by").value);
  if (state.pathEnds) {
    params.set("from", state.pathEnds[0]);
    params.set("to", state.pathEnds[1]);
  }
  const text = params.toString();
  return text ? `#${text}` : location.pathname;
}

function remember(push) {
  const next = address();
  if (next === location.hash || (next === location.pathname && !location.hash)) return;
  if (push) history.pushState(null, "", next);
  else history.replaceState(null, "", next);
}

function setYear(year, undated = state.undated) {
  state.year = year;
  state.undated = undated;
  $("year").value = String(year);
  $("year-label").textContent = year >= NOW ? "today" : String(year);
  // Today every link counts: the switch is for a past year.
  $("undated").disabled = year >= NOW;
  $("undated").checked = undated;
}

function setKinds(chosen) {
  state.kinds = chosen;
  for (const box of document.querySelectorAll("#kinds input")) box.checked = chosen.includes(box.value);
}

function setStatuses(chosen) {
  state.statuses = chosen;
  for (const box of document.querySelectorAll("#statuses input")) box.checked = chosen.includes(box.value);
}

/** `value` if the select `id` offers it, else its first option. */
function option(id, value) {
  const offered = [...$(id).options].map((o) => o.value);
  return offered.includes(value) ? value : offered[0];
}

// Shows what the address says, adding no history entry.
async function follow() {
  const wanted = readAddress();
  const wantedKinds = wanted.kinds.length ? wanted.kinds : KINDS;
  const wantedStatuses = wanted.statuses.length ? wanted.statuses : DEFAULT_STATUSES;
  const cutChanged =
    wanted.year !== state.year || wanted.undated !== state.undated || wantedKinds.join() !== state.kinds.join() || wantedStatuses.join() !== state.statuses.join();
  if (cutChanged) {
    setYear(wanted.year, wanted.undated);
    setKinds(wantedKinds);
    setStatuses(wantedStatuses);
  }
  const looksChanged = wanted.colour !== $("colour-by").value || wanted.size !== $("size-by").value;
  $("colour-by").value = wanted.colour;
  $("size-by").value = wanted.size;
  if (wanted.view !== state.view || (cutChanged && state.view === "network")) showView(wanted.view);
  else if (looksChanged && state.view === "network") restyle();
  if (cutChanged) drawTop();
  if (wanted.id && wanted.id !== state.id) {
    state.id = wanted.id;
    await Promise.all([drawCity(), drawSuggestions()]);
  } else if (!wanted.id && state.id) {
    closeCity();
  } else if (cutChanged) {
    await drawCity();
  }
  // The path the address names, found again when the cut changed.
  const pathChanged = String(wanted.path) !== String(state.pathEnds);
  if (pathChanged || (cutChanged && wanted.path)) await followPath(wanted.path);
  // With no city open, the map shows the whole network.
  if (!state.id) await drawMap();
}
window.addEventListener("popstate", follow);
window.addEventListener("hashchange", follow);

// ---- one city ----
async function open(id, fromNetwork = false) {
  const moved = id !== state.id;
  state.id = id;
  remember(moved);
  // The whole network, when shown, marks the city (and, opened from elsewhere — the
  // search, a list, the keyboard — brings it into view).
  markInNetwork(id, !fromNetwork);
  await Promise.all([drawCity(), drawSuggestions()]);
  // Opened from a list further down (the ranking, on a phone): bring its title into view.
  const title = $("title");
  if (moved && title.getBoundingClientRect().top < 0) title.scrollIntoView({ block: "start" });
}

async function drawCity() {
  if (!state.id) return;
  $("city-panel").classList.remove("empty");
  const [node, ego] = await Promise.all([
    api(`/api/v1/nodes/${encodeURIComponent(state.id)}`),
    api(`/api/v1/nodes/${encodeURIComponent(state.id)}/neighbourhood?depth=1&limit=300&${cut()}`),
  ]);
  $("title").textContent = label(node);
  $("subtitle").textContent = [node.kind, node.country, node.region].filter(Boolean).join(" · ");
  state.nodes = ego.nodes.map((n) => n.node);
  state.links = ego.links;
  drawGraph();
  drawPartners();
  drawMap();
  await noteUndated();
}

/** Back at an address with no city: the city's panels are emptied, the map shows the whole network. */
function closeCity() {
  Object.assign(state, { id: null, nodes: [], links: [] });
  window.explorerGraph?.destroy();
  window.explorerGraph = null;
  $("city-panel").classList.add("empty");
  $("title").textContent = "Search a city to begin";
  for (const id of ["subtitle", "undated-note"]) $(id).textContent = "";
  for (const id of ["partners", "suggestions"]) $(id).replaceChildren();
  $("link-detail").hidden = true;
  network.chosen = null;
  network.near = new Set();
  network.sigma?.refresh();
}

/** Says how many of the city's links have no signing date, and whether they are shown. */
async function noteUndated() {
  const note = $("undated-note");
  if (state.year >= NOW) {
    note.textContent = "";
    return;
  }
  if (state.undated) {
    const undated = state.links.filter((l) => !l.signed).length;
    note.textContent = undated ? `${undated} of these links have no signing date: they are counted at every year.` : "";
    return;
  }
  const all = await api(`/api/v1/nodes/${encodeURIComponent(state.id)}/neighbourhood?depth=1&limit=300&${cut(true)}`);
  const hidden = all.links.length - state.links.length;
  note.textContent = hidden ? `${hidden} links with no signing date are left out.` : "No link of this city lacks a signing date.";
}

function drawGraph() {
  const elements = [];
  for (const n of state.nodes) {
    elements.push({ data: { id: n.id, label: n.name, centre: n.id === state.id ? 1 : 0 } });
  }
  const present = new Set(state.nodes.map((n) => n.id));
  for (const link of state.links) {
    const m = link.members.filter((x) => present.has(x));
    for (let i = 0; i < m.length; i++) {
      for (let j = i + 1; j < m.length; j++) {
        elements.push({ data: { id: `${link.id}#${i}${j}`, source: m[i], target: m[j], kind: link.kind, status: link.status, link: link.id } });
      }
    }
  }
  const cy = cytoscape({
    container: $("graph"),
    elements,
    // A network of a few nodes would otherwise be fitted at a zoom that makes its
    // labels huge.
    maxZoom: 1.5,
    // Partners on a ring wide enough for their names side by side.
    layout: { name: "concentric", concentric: (n) => (n.data("centre") ? 2 : 1), levelWidth: () => 1, minNodeSpacing: 48, animate: false },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 11, "background-color": "#5b7fa8", width: 14, height: 14 } },
      { selector: "node[centre = 1]", style: { "background-color": "#c0392b", width: 22, height: 22, "font-weight": "bold" } },
      { selector: "edge", style: { width: 2, "line-color": "#9fb3c8", "curve-style": "bezier" } },
      { selector: "edge[kind = 'friendship']", style: { "line-style": "dashed" } },
      { selector: "edge[kind = 'trilateral']", style: { "line-color": "#d68910" } },
      // Not yet (planned, negotiating): dotted; no longer (suspended, ended): dotted and grey.
      { selector: "edge[status = 'planned'], edge[status = 'negotiating']", style: { "line-style": "dotted" } },
      { selector: "edge[status = 'suspended'], edge[status = 'ended']", style: { "line-style": "dotted", "line-color": "#b0b0b0", opacity: 0.8 } },
      { selector: "edge.on-path", style: { width: 4, "line-color": PATH, "line-style": "solid", opacity: 1 } },
      { selector: "node.on-path", style: { "border-width": 3, "border-color": PATH } },
      { selector: "edge.chosen", style: { width: 5, "line-color": "#c0392b", opacity: 1 } },
    ],
  });
  // Nodes are links to their city: the pointer says so.
  cy.on("mouseover", "node", () => ($("graph").style.cursor = "pointer"));
  cy.on("mouseout", "node", () => ($("graph").style.cursor = ""));
  cy.on("tap", "node", (e) => {
    if (e.target.id() !== state.id) open(e.target.id());
  });
  cy.on("tap", "edge", (e) => showLink(e.target.data("link"), $("graph")));
  window.explorerGraph = cy;
  markPathInGraph();
}

function drawPartners() {
  const list = $("partners");
  // The details box may sit inside the list (after a partner's line): take it back
  // below the graph, closed, before the list is redrawn.
  const box = $("link-detail");
  box.hidden = true;
  $("graph").after(box);
  list.replaceChildren();
  const partners = state.nodes.filter((n) => n.id !== state.id).sort((a, b) => a.name.localeCompare(b.name));
  for (const partner of partners) {
    const go = el("button", { type: "button", className: "linklike", textContent: label(partner) });
    go.dataset.id = partner.id;
    go.addEventListener("click", () => open(partner.id));
    const item = el("li", {}, [go]);
    item.dataset.id = partner.id;
    for (const link of state.links.filter((l) => l.members.includes(partner.id) && l.members.includes(state.id))) {
      const tag = el("button", { type: "button", className: "linklike kind", textContent: `${link.kind}${link.signed ? " " + link.signed : ""}${link.status !== "active" ? " (" + link.status + ")" : ""}` });
      tag.dataset.link = link.id;
      tag.addEventListener("click", () => showLink(link.id, item));
      item.append(tag);
    }
    list.append(item);
  }
  if (!partners.length) list.append(el("li", { textContent: "No partners at this date" }));
}

// A link's details open right after what was clicked (its edge's graph, or its
// partner's line), and its edges are marked on the graph.
function showLink(id, beside) {
  const link = state.links.find((l) => l.id === id);
  if (!link) return;
  window.explorerGraph?.edges().removeClass("chosen");
  window.explorerGraph?.edges().filter((e) => e.data("link") === id).addClass("chosen");
  const names = link.members.map((m) => state.nodes.find((n) => n.id === m)?.name || m);
  const box = $("link-detail");
  box.replaceChildren(
    el("strong", { textContent: `${link.kind}: ${names.join(" — ")}` }),
    el("div", { textContent: `status ${link.status}; signed ${link.signed || "unknown"}${link.ended ? "; ended " + link.ended : ""}` }),
    el("div", { className: `evidence ${link.evidence}`, textContent: link.evidence === "inferred" ? "inferred: the document shows this link without stating it" : "stated by its document" }),
  );
  if (link.areas?.length) box.append(el("div", { textContent: `areas: ${link.areas.join(", ")}` }));
  if (link.source?.quote) box.append(el("blockquote", { textContent: link.source.quote }));
  if (link.notes) box.append(el("div", { className: "notes", textContent: link.notes }));
  if (link.source?.document) box.append(citation(link.source));
  // Inside a partner's list item (a list holds only items), after the graph.
  if (beside?.tagName === "LI") beside.append(box);
  else if (beside) beside.after(box);
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

// ---- citations: the documents links cite, read once ----
let sources = null;
api("/api/v1/sources")
  .then((answer) => (sources = new Map(answer.items.map((s) => [s.key, s]))))
  .catch(() => (sources = new Map()));

/** The full citation of a link's source, or its document as given. */
function citation(source) {
  const doc = sources?.get(source.document);
  if (!doc) return el("div", { className: "source", textContent: `source: ${source.document}` });
  const parts = [`${doc.issuer}, “${doc.title}” (${doc.title_en}), ${doc.date}, in ${doc.language}`];
  const line = el("div", { className: "source" }, [`source: ${parts.join("")}`]);
  const url = source.url || doc.url;
  if (url) line.append(". ", el("a", { href: url, textContent: url, rel: "noreferrer" }));
  return line;
}

async function drawSuggestions() {
  const list = $("suggestions");
  list.replaceChildren();
  try {
    const answer = await api(`/api/v1/nodes/${encodeURIComponent(state.id)}/partners?limit=5`);
    for (const s of answer.items) {
      const go = el("button", { type: "button", className: "linklike", textContent: s.node.name });
      go.addEventListener("click", () => open(s.node.id));
      list.append(el("li", {}, [go, ` — ${s.why.replace(s.node.name + " ", "")}`]));
    }
    if (!answer.items.length) list.append(el("li", { textContent: "No suggestion" }));
  } catch (e) {
    list.append(el("li", { textContent: e.message }));
  }
}

// ---- year slider ----
$("year").addEventListener("input", () => {
  setYear(Number($("year").value));
  clearTimeout(yearTimer);
  yearTimer = setTimeout(drawCity, 120);
});
/**
 * A new cut — year, undated links, link kinds or statuses — is a step Back can return from, and
 * redraws every panel (the city too, unless the slider's own timer does).
 */
function recut(city = true) {
  remember(true);
  if (!state.id) drawMap();
  else if (city) drawCity();
  drawTop();
  if (state.pathEnds) findPath(false);
  if (state.view === "network") drawNetwork();
}
$("year").addEventListener("change", () => recut(false));
// Link kinds and statuses: boxes of which at least one stays ticked (the last cannot be
// unticked); each change is a new cut.
for (const [boxes, set] of [["kinds", setKinds], ["statuses", setStatuses]]) {
  $(boxes).addEventListener("change", (e) => {
    const chosen = [...document.querySelectorAll(`#${boxes} input:checked`)].map((box) => box.value);
    if (!chosen.length) {
      e.target.checked = true;
      return;
    }
    set(chosen);
    recut();
  });
}
$("undated").addEventListener("change", () => {
  state.undated = $("undated").checked;
  recut();
});
let yearTimer = null;

// ---- play: the network's growth, a year a step, from the slider's first year (or where
// it stands) to today; the city, its map, the ranking and the whole network follow. The
// world map waits for the end. ----
const STEP_MS = 300;
let playing = false;

$("play").addEventListener("click", () => (playing ? (playing = false) : play()));

async function play() {
  playing = true;
  $("play").textContent = "❚❚ Pause";
  $("play").setAttribute("aria-pressed", "true");
  let year = state.year >= NOW ? Number($("year").min) : state.year + 1;
  for (; playing && year <= NOW; year++) {
    setYear(year);
    // The whole network, when shown, grows in place: its cities stay where they are.
    await Promise.all([state.id ? drawCity() : null, drawTop(), state.view === "network" ? drawNetwork() : null]);
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
  playing = false;
  $("play").textContent = "▶ Play";
  $("play").setAttribute("aria-pressed", "false");
  remember(true);
  if (!state.id) drawMap();
  if (state.view === "network") drawNetwork();
}

// ---- map: equirectangular projection, country outlines shipped in the binary ----
// With no city open, the whole network at world scale (the linked cities at the cut, from
// /api/v1/places), gathered into clusters of nearby dots; with a city, its partners
// joined by great-circle arcs. A path found below is drawn over either. Pointing at a dot
// names it; clicking opens its city, or zooms into a cluster; the buttons zoom, dragging
// pans, and the map frames what is shown again when the city or the path changes.
let mapPoints = [];
/** The reader's zoom and pan — centre and width in degrees — for what `frames` names; null frames what is shown. */
let mapView = null;
/** The projection last drawn, to turn a point of the canvas back into a place. */
let mapFrame = null;
const MAP_PLACES = 20000;

/** The answer to `path` (its query ends with the cut) at the current cut, asked once per cut; a failure is asked again. */
function oncePerCut(answers, path) {
  const key = cut();
  if (!answers.has(key)) {
    const fetched = api(`${path}${key}`);
    fetched.catch(() => answers.delete(key));
    answers.set(key, fetched);
  }
  return answers.get(key);
}
const layouts = new Map();
const placesByCut = new Map();
/** The laid-out network (the whole-network view). */
const layoutAtCut = () => oncePerCut(layouts, "/api/v1/layout?");
/** The linked, located cities (the map's whole network). */
const placesAtCut = () => oncePerCut(placesByCut, `/api/v1/places?limit=${MAP_PLACES}&`);

/** What the map frames: the city, or the path, or the world. */
function framed() {
  return `${state.id}|${state.pathEnds}`;
}

/** Points along the great circle from `a` to `b` ({lat, lon} in degrees). */
function greatCircle(a, b, segments = 32) {
  const rad = Math.PI / 180;
  const [p1, l1, p2, l2] = [a.lat * rad, a.lon * rad, b.lat * rad, b.lon * rad];
  const d = 2 * Math.asin(Math.sqrt(Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin((l2 - l1) / 2) ** 2));
  if (d < 1e-9) return [a, b];
  const points = [];
  for (let i = 0; i <= segments; i++) {
    const f = i / segments;
    const [sa, sb] = [Math.sin((1 - f) * d) / Math.sin(d), Math.sin(f * d) / Math.sin(d)];
    const x = sa * Math.cos(p1) * Math.cos(l1) + sb * Math.cos(p2) * Math.cos(l2);
    const y = sa * Math.cos(p1) * Math.sin(l1) + sb * Math.cos(p2) * Math.sin(l2);
    const z = sa * Math.sin(p1) + sb * Math.sin(p2);
    points.push({ lat: Math.atan2(z, Math.hypot(x, y)) / rad, lon: Math.atan2(y, x) / rad });
  }
  return points;
}

async function drawMap() {
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  if (!state.world) {
    const topo = await (await fetch("/explorer/vendor/countries-110m.json")).json();
    state.world = topojson.feature(topo, topo.objects.countries);
  }
  const whole = !state.id;
  let located = state.nodes.filter((n) => n.location);
  let total = located.length;
  if (whole) {
    // Without the network (the server busy, say) the map still shows the world.
    const places = await placesAtCut().catch(() => ({ items: [], total: 0 }));
    located = places.items.map((p) => ({ id: p.id, name: p.name, location: { lat: p.lat, lon: p.lon } }));
    total = places.total;
  }
  const path = (state.path || []).filter((n) => n.location);
  if (mapView && mapView.frames !== framed()) mapView = null;
  let [w, s, e, n] = [-180, -60, 180, 85];
  if (mapView) {
    const height = (mapView.span * canvas.height) / canvas.width;
    [w, e, s, n] = [mapView.lon - mapView.span / 2, mapView.lon + mapView.span / 2, mapView.lat - height / 2, mapView.lat + height / 2];
  } else {
    const framing = path.length ? path : whole ? [] : located;
    if (framing.length) {
      const lons = framing.map((x) => x.location.lon), lats = framing.map((x) => x.location.lat);
      w = Math.max(-180, Math.min(...lons) - 10); e = Math.min(180, Math.max(...lons) + 10);
      s = Math.max(-85, Math.min(...lats) - 8); n = Math.min(85, Math.max(...lats) + 8);
    }
  }
  const scale = Math.min(canvas.width / (e - w), canvas.height / (n - s));
  const [ox, oy] = [(canvas.width - (e - w) * scale) / 2, (canvas.height - (n - s) * scale) / 2];
  const x = (lon) => (lon - w) * scale + ox;
  const y = (lat) => (n - lat) * scale + oy;
  mapFrame = { lon: (px) => w + (px - ox) / scale, lat: (py) => n - (py - oy) / scale, span: canvas.width / scale };
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#ffffff";
  ctx.strokeStyle = "#b8c4d3";
  ctx.lineWidth = 1;
  for (const feature of state.world.features) {
    const g = feature.geometry;
    if (!g) continue;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    for (const polygon of polygons) {
      ctx.beginPath();
      for (const ring of polygon) {
        ring.forEach(([lon, lat], i) => (i ? ctx.lineTo(x(lon), y(lat)) : ctx.moveTo(x(lon), y(lat))));
      }
      ctx.fill("evenodd");
      ctx.stroke();
    }
  }
  // A great circle drawn as a line, broken where it crosses the antimeridian.
  const arc = (a, b) => {
    ctx.beginPath();
    let last = null;
    for (const p of greatCircle(a, b)) {
      if (last && Math.abs(p.lon - last.lon) > 180) ctx.moveTo(x(p.lon), y(p.lat));
      else if (last) ctx.lineTo(x(p.lon), y(p.lat));
      else ctx.moveTo(x(p.lon), y(p.lat));
      last = p;
    }
    ctx.stroke();
  };
  mapPoints = [];
  let arcs = 0;
  if (whole) {
    // Cities a few pixels apart are one cluster, sized by how many it holds.
    const cells = new Map();
    for (const p of located) {
      const [px, py] = [x(p.location.lon), y(p.location.lat)];
      if (px < -8 || py < -8 || px > canvas.width + 8 || py > canvas.height + 8) continue;
      const key = `${Math.round(px / 8)},${Math.round(py / 8)}`;
      const cell = cells.get(key) || { x: 0, y: 0, lon: 0, lat: 0, names: [], ids: [] };
      cell.x += px;
      cell.y += py;
      cell.lon += p.location.lon;
      cell.lat += p.location.lat;
      cell.names.push(p.name);
      cell.ids.push(p.id);
      cells.set(key, cell);
    }
    ctx.fillStyle = "rgba(31,59,90,.55)";
    for (const cell of cells.values()) {
      const count = cell.names.length;
      const [cx, cy] = [cell.x / count, cell.y / count];
      ctx.beginPath();
      ctx.arc(cx, cy, 1.5 + 1.1 * Math.sqrt(count), 0, 2 * Math.PI);
      ctx.fill();
      const label = count > 1 ? `${cell.names[0]} and ${count - 1} more` : cell.names[0];
      mapPoints.push({ x: cx, y: cy, label, ids: cell.ids, lon: cell.lon / count, lat: cell.lat / count });
    }
    canvas.dataset.clusters = String(cells.size);
  } else {
    const at = new Map(located.map((p) => [p.id, p.location]));
    ctx.strokeStyle = "rgba(27,95,179,.6)";
    ctx.lineWidth = 1.5;
    for (const link of state.links) {
      const points = link.members.map((m) => at.get(m)).filter(Boolean);
      for (let i = 1; i < points.length; i++, arcs++) arc(points[0], points[i]);
    }
    for (const p of located) {
      ctx.fillStyle = p.id === state.id ? "#c0392b" : "#1f3b5a";
      ctx.beginPath();
      ctx.arc(x(p.location.lon), y(p.location.lat), p.id === state.id ? 5 : 3.5, 0, 2 * Math.PI);
      ctx.fill();
      mapPoints.push({ x: x(p.location.lon), y: y(p.location.lat), label: p.name, ids: [p.id], ...p.location });
    }
    delete canvas.dataset.clusters;
  }
  if (path.length) {
    ctx.strokeStyle = "#c0392b";
    ctx.lineWidth = 3;
    for (let i = 1; i < path.length; i++) arc(path[i - 1].location, path[i].location);
    ctx.fillStyle = "#c0392b";
    for (const p of path) {
      ctx.beginPath();
      ctx.arc(x(p.location.lon), y(p.location.lat), 4.5, 0, 2 * Math.PI);
      ctx.fill();
      mapPoints.push({ x: x(p.location.lon), y: y(p.location.lat), label: p.name, ids: [p.id], ...p.location, onPath: true });
    }
  }
  canvas.dataset.cities = String(located.length);
  canvas.dataset.arcs = String(arcs);
  canvas.dataset.path = String(path.length);
  canvas.dataset.zoom = mapView ? (360 / mapView.span).toFixed(2) : "1";
  canvas.dataset.centre = `${mapFrame.lat(canvas.height / 2).toFixed(2)},${mapFrame.lon(canvas.width / 2).toFixed(2)}`;
  const some = total > located.length ? `the ${located.length} most linked of ${total} cities` : `${located.length} cities`;
  canvas.setAttribute("aria-label", whole ? `Map of the whole network: ${some}` : `Map of ${$("title").textContent} and its partners`);
}

/** The dot (or cluster) under a point of the canvas, within a few pixels. */
function mapPointAt(e) {
  const canvas = $("map");
  const [fx, fy] = [canvas.width / canvas.clientWidth, canvas.height / canvas.clientHeight];
  const [mx, my] = [e.offsetX * fx, e.offsetY * fy];
  let best = null;
  for (const p of mapPoints) {
    const d = Math.hypot(p.x - mx, p.y - my);
    // A path's dot, drawn over the clusters, is the one pointed at when it is near.
    const rank = (q) => (q.onPath ? 0 : 1);
    if (d < 10 && (!best || rank(p) < rank(best) || (rank(p) === rank(best) && d < best.d))) best = { ...p, d, fx, fy };
  }
  return best;
}

/** Zooms the map by `factor` about a place (the map's centre when none is given). */
function zoomMap(factor, at) {
  if (!mapFrame) return;
  const canvas = $("map");
  const centre = at ?? { lon: mapFrame.lon(canvas.width / 2), lat: mapFrame.lat(canvas.height / 2) };
  const span = Math.min(360, Math.max(1, mapFrame.span / factor));
  mapView = span >= 360 && !at && factor < 1 ? null : { lon: centre.lon, lat: centre.lat, span, frames: framed() };
  drawMap();
}

// Dragging pans; a click that did not drag opens a city, or zooms into a cluster.
let mapDrag = null;
$("map").addEventListener("pointerdown", (e) => {
  if (!mapFrame) return;
  mapDrag = { x: e.offsetX, y: e.offsetY, moved: false, lon: mapFrame.lon, lat: mapFrame.lat, width: $("map").clientWidth };
});
window.addEventListener("pointerup", () => setTimeout(() => (mapDrag = null)));
$("map").addEventListener("mousemove", (e) => {
  const canvas = $("map");
  if (mapDrag && e.buttons === 1 && Math.hypot(e.offsetX - mapDrag.x, e.offsetY - mapDrag.y) > 4) {
    mapDrag.moved = true;
    const f = canvas.width / mapDrag.width;
    const centre = { lon: mapDrag.lon((canvas.width / 2) - (e.offsetX - mapDrag.x) * f), lat: mapDrag.lat((canvas.height / 2) - (e.offsetY - mapDrag.y) * f) };
    mapView = { ...centre, span: mapFrame.span, frames: framed() };
    $("map-tip").hidden = true;
    requestAnimationFrame(drawMap);
    return;
  }
  const best = mapPointAt(e);
  const tip = $("map-tip");
  tip.hidden = !best;
  canvas.style.cursor = best ? "pointer" : "grab";
  if (best) {
    tip.textContent = best.label;
    // Right of the dot, or left of it near the map's right edge.
    const [px, width] = [best.x / best.fx, tip.offsetWidth];
    tip.style.left = `${canvas.offsetLeft + (px + 8 + width > canvas.clientWidth ? px - 8 - width : px + 8)}px`;
    tip.style.top = `${canvas.offsetTop + best.y / best.fy - 24}px`;
  }
});
$("map").addEventListener("mouseleave", () => ($("map-tip").hidden = true));
$("map").addEventListener("click", (e) => {
  if (mapDrag?.moved) return;
  const best = mapPointAt(e);
  if (!best) return;
  if (best.ids.length === 1) open(best.ids[0]);
  else zoomMap(4, { lon: best.lon, lat: best.lat });
});
$("map-in").addEventListener("click", () => zoomMap(2));
$("map-out").addEventListener("click", () => zoomMap(0.5));
$("map-reset").addEventListener("click", () => {
  mapView = null;
  drawMap();
});

// ---- shortest path ----
// A name typed for a path end is resolved by search: one exact match (or one match at
// all) is taken; otherwise the matches are offered to choose from, and the choice is
// kept on the input until its text changes.
class Choice extends Error {
  constructor(input, text, items) {
    super(`Which “${text}”?`);
    Object.assign(this, { input, items });
  }
}

async function resolve(input) {
  const text = input.value.trim();
  if (input.dataset.id && input.dataset.label === input.value) {
    return { id: input.dataset.id, name: input.dataset.name };
  }
  const page = await api(`/api/v1/nodes?q=${encodeURIComponent(text)}&limit=6`);
  if (!page.items.length) throw new Error(`no city named “${text}”`);
  const lower = text.toLowerCase();
  const exact = page.items.filter(
    (n) => n.name.toLowerCase() === lower || Object.values(n.names || {}).some((x) => x.toLowerCase() === lower),
  );
  if (exact.length === 1) return exact[0];
  if (page.items.length === 1) return page.items[0];
  throw new Choice(input, text, exact.length ? exact : page.items);
}

function offer(out, choice) {
  const item = el("li", { className: "choice", textContent: `${choice.message} ` });
  for (const node of choice.items) {
    const pick = el("button", {
      type: "button",
      className: "linklike",
      textContent: `${label(node)}${node.country ? " · " + node.country : ""}`,
    });
    pick.dataset.id = node.id;
    pick.addEventListener("click", () => {
      const input = choice.input;
      input.value = label(node);
      Object.assign(input.dataset, { id: node.id, name: node.name, label: input.value });
      $("path-form").requestSubmit();
    });
    item.append(pick, " ");
  }
  out.append(item);
}

/** One hop: the link kinds that join the two, with the first link's quoted source. */
function hopLine(step) {
  const link = step.links[0];
  const kinds = [...new Set(step.links.map((l) => l.kind))].join(", ");
  const line = el("div", { className: "hop" }, [`↓ ${kinds}${link?.signed ? " " + link.signed : ""}`]);
  if (link?.source?.quote) {
    const quote = el("details", {}, [el("summary", { textContent: "source" }), el("blockquote", { textContent: link.source.quote })]);
    if (link.source.document) quote.append(citation(link.source));
    line.append(" ", quote);
  }
  return line;
}

$("path-form").addEventListener("submit", (e) => {
  e.preventDefault();
  findPath(true);
});

/** Sets a path end to a known city, so that the form asks no question about it. */
function fixEnd(input, node) {
  Object.assign(input.dataset, { id: node.id, name: node.name, label: node.name });
  input.value = node.name;
}

/** Finds the path between the form's two cities at the current cut; the address keeps its ends (a new entry if `push`). */
async function findPath(push) {
  const out = $("path-result");
  out.replaceChildren();
  let ends = [];
  try {
    ends = await Promise.all([resolve($("path-from")), resolve($("path-to"))]);
    const [from, to] = ends;
    state.pathEnds = [from.id, to.id];
    remember(push);
    const answer = await api(`/api/v1/paths/shortest?from=${encodeURIComponent(from.id)}&to=${encodeURIComponent(to.id)}&${cut()}`);
    const path = answer.paths[0];
    setPath(path.nodes);
    path.nodes.forEach((node, i) => {
      const go = el("button", { type: "button", className: "linklike", textContent: node.name });
      go.addEventListener("click", () => open(node.id));
      const item = el("li", {}, [go]);
      if (path.steps[i]) item.append(hopLine(path.steps[i]));
      out.append(item);
    });
  } catch (err) {
    if (state.path) setPath(null);
    if (err instanceof Choice) return offer(out, err);
    const [from, to] = ends;
    const text = err.code === "no_path" && from && to
      ? `No path between ${from.name} and ${to.name} over ${state.statuses.join(", ")} ${state.kinds.join(", ")} links${state.year < NOW ? " as of " + state.year : ""}.`
      : err.message;
    out.append(el("li", { className: "error", textContent: text }));
  }
}

/** Shows the path the address names (its ends' names put in the form), or none. */
async function followPath(ends) {
  if (!ends) {
    state.pathEnds = null;
    $("path-result").replaceChildren();
    if (state.path) setPath(null);
    return;
  }
  const nodes = await Promise.all(ends.map((id) => api(`/api/v1/nodes/${encodeURIComponent(id)}`)));
  fixEnd($("path-from"), nodes[0]);
  fixEnd($("path-to"), nodes[1]);
  await findPath(false);
}
for (const id of ["path-from", "path-to"]) {
  // A new text is a new question: the earlier choice no longer holds.
  $(id).addEventListener("input", (e) => delete e.target.dataset.id);
}

// ---- top cities ----
async function drawTop() {
  const measure = $("measure").value;
  const sample = measure === "betweenness" ? "&k=200" : "";
  const key = cut();
  const ranking = await api(`/api/v1/centrality/${measure}?kind=city&limit=10&${cut()}${sample}`);
  // A slower answer for an earlier cut must not overwrite the current one.
  if (key !== cut() || measure !== $("measure").value) return;
  const items = ranking.items.map((r) => {
    const go = el("button", { type: "button", className: "linklike", textContent: r.node.name });
    go.addEventListener("click", () => open(r.node.id));
    return el("li", {}, [go, ` ${r.value.toPrecision(3)}`]);
  });
  $("top").replaceChildren(...items);
  const counted = state.statuses.join() === DEFAULT_STATUSES.join() ? "" : `counting ${state.statuses.join(", ")} links`;
  $("top-year").textContent = [state.year >= NOW ? "" : `as of ${state.year}`, counted].filter(Boolean).join(", ");
  if (!items.length) $("top").append(el("li", { textContent: "No linked city at this date" }));
  // What the list shows, for whoever waits for it (the browser test).
  $("top").dataset.shows = measure;
  $("top").dataset.cut = key;
}
$("measure").addEventListener("change", drawTop);

// ---- the whole network: every node laid out by the server (ForceAtlas2, kept per graph
// version), drawn with WebGL (sigma.js over a graphology graph), loaded on first use ----
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939"];
const OTHERS = "#b8c0cc";
const PATH = "#c0392b";

/** Keeps the path found below (or none), and draws it on the map and the whole network. */
function setPath(nodes) {
  state.path = nodes;
  const ids = (nodes || []).map((n) => n.id);
  network.onPath = new Set(ids);
  network.hops = new Set(ids.slice(1).flatMap((b, i) => [`${ids[i]}|${b}`, `${b}|${ids[i]}`]));
  drawMap();
  markPathInGraph();
  network.sigma?.refresh();
}

/** Marks, on the city's graph, the path's cities and the hops between them that it shows. */
function markPathInGraph() {
  const cy = window.explorerGraph;
  if (!cy) return;
  const ids = (state.path || []).map((n) => n.id);
  const hops = new Set(ids.slice(1).flatMap((b, i) => [`${ids[i]}|${b}`, `${b}|${ids[i]}`]));
  cy.elements().removeClass("on-path");
  cy.nodes().filter((n) => ids.includes(n.id())).addClass("on-path");
  cy.edges().filter((e) => hops.has(`${e.data("source")}|${e.data("target")}`)).addClass("on-path");
}
const network = { sigma: null, graph: null, layout: null, cut: null, hovered: null, chosen: null, near: new Set(), onPath: new Set(), hops: new Set() };

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = el("script", { src });
    script.onload = resolve;
    script.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(script);
  });
}

function showView(view) {
  state.view = view;
  $("network-panel").hidden = view !== "network";
  $("network-toggle").setAttribute("aria-pressed", String(view === "network"));
  if (view === "network") drawNetwork();
}

$("network-toggle").addEventListener("click", () => {
  showView(state.view === "network" ? "city" : "network");
  remember(true);
});

async function drawNetwork() {
  // Shown again at the year it was drawn for: nothing to fetch.
  const key = cut();
  if (network.sigma && network.cut === key) return;
  network.cut = key;
  const started = performance.now();
  const status = $("network-status");
  $("network-year").textContent = state.year >= NOW ? "as of today" : `as of ${state.year}${state.undated ? "" : ", dated links only"}`;
  status.textContent = "Laying out the network…";
  try {
    if (!window.Sigma) {
      await loadScript("/explorer/vendor/graphology.umd.min.js");
      await loadScript("/explorer/vendor/sigma.min.js");
    }
    const layout = await layoutAtCut();
    // A newer cut asked meanwhile draws instead: an older answer arriving late must not
    // overwrite it.
    if (network.cut !== key) return;
    // Another year of the same network: its nodes stand where they stood (the server
    // keeps a dated picture's positions), so only the links, colours and sizes change.
    if (network.sigma && sameNodes(network.layout, layout)) {
      network.layout = layout;
      network.graph.clearEdges();
      for (const [a, b] of layout.edges) network.graph.addEdge(layout.nodes[a].id, layout.nodes[b].id);
      if (network.chosen) network.near = new Set(network.graph.neighbors(network.chosen));
      colour();
      await size();
      describeNetwork(layout, started, "redrawn");
      return;
    }
    network.layout = layout;
    const graph = new graphology.Graph({ type: "undirected", multi: false });
    for (const n of layout.nodes) graph.addNode(n.id, { x: n.x, y: n.y, label: n.name, size: 2, color: OTHERS });
    for (const [a, b] of layout.edges) graph.addEdge(layout.nodes[a].id, layout.nodes[b].id);
    network.graph = graph;
    network.sigma?.kill();
    network.sigma = new Sigma(graph, $("network"), {
      defaultEdgeColor: "#d3dae3",
      // Nodes as GL points, not triangles: the same discs, and on a software rasteriser
      // (no GPU) frames of the world network take 33–50 ms instead of 280–500 ms.
      nodeProgramClasses: { circle: Sigma.rendering.NodePointProgram },
      // A moving picture of 25k links and their labels is not read, only waited for.
      hideEdgesOnMove: true,
      hideLabelsOnMove: true,
      labelRenderedSizeThreshold: 7,
      labelFont: "system-ui, sans-serif",
      zIndex: true,
      // The node pointed at — else the city open below — with its partners; the rest faded.
      nodeReducer: (node, data) => {
        const focus = network.hovered || network.chosen;
        // A path found below is drawn over everything: its cities red and named.
        if (network.onPath.has(node)) return { ...data, color: PATH, forceLabel: true, zIndex: 2 };
        if (!focus) return data;
        if (node === focus || network.near.has(node)) return { ...data, zIndex: 1, forceLabel: node === focus };
        return { ...data, color: "#e4e8ee", label: "", zIndex: 0 };
      },
      edgeReducer: (edge, data) => {
        const focus = network.hovered || network.chosen;
        const [a, b] = graph.extremities(edge);
        if (network.hops.has(`${a}|${b}`)) return { ...data, color: PATH, size: 3, zIndex: 2 };
        if (!focus) return data;
        return a === focus || b === focus ? { ...data, color: "#5b6b80", size: 1.5 } : { ...data, hidden: true };
      },
    });
    network.sigma.on("enterNode", ({ node }) => {
      network.hovered = node;
      network.near = new Set(graph.neighbors(node));
      $("network").style.cursor = "pointer";
      network.sigma.refresh();
    });
    network.sigma.on("leaveNode", () => {
      network.hovered = null;
      network.near = new Set(network.chosen ? graph.neighbors(network.chosen) : []);
      $("network").style.cursor = "";
      network.sigma.refresh();
    });
    network.sigma.on("clickNode", ({ node }) => open(node, true));
    network.chosen = null;
    if (state.id) markInNetwork(state.id, true);
    colour();
    await size();
    describeNetwork(layout, started, "drawn");
  } catch (error) {
    network.cut = null;
    status.textContent = `The whole network cannot be drawn: ${error.message}`;
  }
}

/** Whether two layouts place the same nodes, in the same order. */
function sameNodes(a, b) {
  return a?.nodes.length === b.nodes.length && a.nodes.every((n, i) => n.id === b.nodes[i].id && n.x === b.nodes[i].x && n.y === b.nodes[i].y);
}

/** Says what the whole-network view shows, and how long it took. */
function describeNetwork(layout, started, how) {
  const ms = Math.round(performance.now() - started);
  const communities = new Set(layout.nodes.map((n) => n.community)).size;
  $("network-status").textContent = `${layout.nodes.length.toLocaleString("en")} nodes, ${layout.edges.length.toLocaleString("en")} links, ` +
    `${communities.toLocaleString("en")} communities (modularity ${layout.modularity.toFixed(3)}); ${how} in ${ms} ms. ` +
    "Point at a node to see its partners; click it to open it below.";
  window.explorerNetwork = { ready: true, ms, how, cut: cut(), nodes: layout.nodes.length, edges: layout.edges.length, sigma: network.sigma };
}

/** Marks city `id` in the whole network (with its partners), moving the camera to it if `move`. */
function markInNetwork(id, move) {
  const graph = network.graph;
  if (!network.sigma || !graph?.hasNode(id)) return;
  network.chosen = id;
  if (!network.hovered) network.near = new Set(graph.neighbors(id));
  network.sigma.refresh();
  if (move) {
    const at = network.sigma.getNodeDisplayData(id);
    if (at) network.sigma.getCamera().animate({ x: at.x, y: at.y, ratio: 0.4 }, { duration: 400 });
  }
}

/** Colours nodes by community, country or kind: the ten largest groups each a colour, the rest grey. */
function colour() {
  if (!network.graph) return;
  const by = $("colour-by").value;
  const group = (n) => (by === "community" ? n.community : by === "country" ? n.country || "none" : n.kind);
  const counts = new Map();
  for (const n of network.layout.nodes) counts.set(group(n), (counts.get(group(n)) || 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]))).slice(0, PALETTE.length - 1);
  const colours = new Map(top.map(([g], i) => [g, PALETTE[i]]));
  for (const n of network.layout.nodes) network.graph.setNodeAttribute(n.id, "color", colours.get(group(n)) || OTHERS);
  const legend = $("network-legend");
  legend.replaceChildren(`Colour: ${by}`);
  for (const [g, count] of top) {
    const name = by === "community" ? `#${g + 1}` : g;
    legend.append(el("span", { className: "dot", style: `background:${colours.get(g)}` }), `${name} (${count.toLocaleString("en")})`);
  }
  if (counts.size > top.length) legend.append(el("span", { className: "dot", style: `background:${OTHERS}` }), "others");
  network.sigma?.refresh();
}

/** Sizes nodes by degree (every node), or by PageRank or betweenness (the 1,000 highest; the rest smallest). */
async function size() {
  if (!network.graph) return;
  const by = $("size-by").value;
  let value = new Map(network.layout.nodes.map((n) => [n.id, n.degree]));
  if (by !== "degree") {
    const sample = by === "betweenness" ? "&k=200" : "";
    const ranking = await api(`/api/v1/centrality/${by}?limit=1000&${cut()}${sample}`);
    value = new Map(ranking.items.map((r) => [r.node.id, r.value]));
  }
  const max = Math.max(...value.values(), 0) || 1;
  for (const n of network.layout.nodes) network.graph.setNodeAttribute(n.id, "size", 2 + 12 * Math.sqrt((value.get(n.id) || 0) / max));
  network.sigma?.refresh();
}

/** Colours and sizes the drawn network again, as the two choices say. */
function restyle() {
  colour();
  size().catch((e) => ($("network-status").textContent = e.message));
}
// The colour and the size live in the address, as steps Back returns from.
for (const choice of ["colour-by", "size-by"]) {
  $(choice).addEventListener("change", () => {
    restyle();
    remember(true);
  });
}

drawTop();
follow();
