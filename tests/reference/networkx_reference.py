#!/usr/bin/env python3
"""Reference values for pobratim's graph algorithms, computed with NetworkX.

Pinned in tests/reference/requirements.txt (networkx 3.6.1, scipy, numpy).
Regenerate with

    python3 -m venv /tmp/nx && /tmp/nx/bin/pip install -r tests/reference/requirements.txt
    /tmp/nx/bin/python tests/reference/networkx_reference.py

It writes two generated networks (graphs/gen-a.json, graphs/gen-b.json, in pobratim's
own JSON form) and, for them and for fixtures/seed.json, the expected values under
several filter sets (expected/*.json). The Rust tests in tests/api/reference.rs load the
same graphs, apply the same filters and compare every value.

Filters mirror pobratim's: a link is admitted when its kind and status are selected
and, with an as-of date, it was signed by the cut (its first possible day is not after
the cut's last day) and not ended by then; undated links count unless undated=False.
The graph holds every node of an admitted node kind, and an edge between every two
members of an admitted link (a trilateral link is a triangle); parallel links collapse.
"""

import calendar
import json
import random
import sys
from pathlib import Path

import networkx as nx

assert nx.__version__ == "3.6.1", f"pinned networkx 3.6.1, found {nx.__version__}"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DIPLOMATIC = ["twinning", "friendship", "trilateral"]
ALL_KINDS = DIPLOMATIC + ["membership", "located_in"]
ALL_STATUS = ["active", "planned", "negotiating", "suspended", "ended"]

FILTERS = {
    "default": {"kinds": DIPLOMATIC, "status": ["active"], "as_of": None, "undated": True},
    "all": {"kinds": ALL_KINDS, "status": ALL_STATUS, "as_of": None, "undated": True},
    "as_of_2005": {"kinds": DIPLOMATIC, "status": ["active"], "as_of": "2005", "undated": True},
    "as_of_2010_06_dated": {"kinds": DIPLOMATIC, "status": ["active", "planned"], "as_of": "2010-06", "undated": False},
}

# Cuts where `ended` dates decide: the statuses admitted include `ended`, and ended links
# carry end dates on both sides of each cut (signed plus 0-15 years), so "not ended by
# then" removes some links and keeps others. Each has its own random stream, so adding
# them left the values of the sets above unchanged.
ENDED_FILTERS = {
    "as_of_2000_ended": {"kinds": DIPLOMATIC, "status": ["active", "ended"], "as_of": "2000", "undated": True},
    "as_of_1985_07_all_dated": {"kinds": ALL_KINDS, "status": ALL_STATUS, "as_of": "1985-07", "undated": False},
}


def day_bounds(date):
    parts = [int(p) for p in date.split("-")]
    year = parts[0]
    month_lo = parts[1] if len(parts) > 1 else 1
    month_hi = parts[1] if len(parts) > 1 else 12
    day_lo = parts[2] if len(parts) > 2 else 1
    day_hi = parts[2] if len(parts) > 2 else calendar.monthrange(year, month_hi)[1]
    return (year, month_lo, day_lo), (year, month_hi, day_hi)


def admits(link, f):
    if link["kind"] not in f["kinds"] or link.get("status", "active") not in f["status"]:
        return False
    if f["as_of"] is None:
        return True
    signed = link.get("signed")
    if signed is None:
        return f["undated"]
    cut_hi = day_bounds(f["as_of"])[1]
    if day_bounds(signed)[0] > cut_hi:
        return False
    ended = link.get("ended")
    return not (ended is not None and day_bounds(ended)[0] <= cut_hi)


def decided_by_ended(doc, f):
    """Links the filter would admit but for their end date: what the cut tests."""
    return sum(1 for l in doc["links"] if not admits(l, f) and admits({**l, "ended": None}, f))


def graph_of(doc, f):
    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in doc["nodes"])
    for link in doc["links"]:
        if admits(link, f):
            members = link["members"]
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    g.add_edge(a, b)
    return g


def generate(name, n_cities, n_assoc, seed):
    """A city network with regional clusters, hubs, several kinds, statuses and dates."""
    rnd = random.Random(seed)
    countries = ["RU", "CN", "JP", "KR", "DE", "FR", "US", "IT", "PL", "FI"]
    nodes, links, used = [], [], set()
    for c in countries:
        nodes.append({"id": f"state:{c.lower()}", "kind": "state", "name": c, "country": c})
    cities = []
    for i in range(n_cities):
        c = countries[min(int(rnd.paretovariate(1.2)) - 1, len(countries) - 1)] if rnd.random() < 0.5 else rnd.choice(countries)
        cid = f"city:{c.lower()}:c{i:05d}"
        cities.append((cid, c))
        nodes.append({"id": cid, "kind": "city", "name": f"City {i}", "country": c})
    assocs = [f"association:a{i:03d}" for i in range(n_assoc)]
    nodes += [{"id": a, "kind": "association", "name": f"Association {a[-3:]}"} for a in assocs]

    def date():
        year = rnd.randint(1950, 2022)
        r = rnd.random()
        if r < 0.5:
            return str(year)
        month = rnd.randint(1, 12)
        if r < 0.8:
            return f"{year}-{month:02d}"
        return f"{year}-{month:02d}-{rnd.randint(1, 28):02d}"

    def add(kind, members, status="active", signed=None, ended=None):
        key = (kind, tuple(members) if kind in ("membership", "located_in") else tuple(sorted(members)))
        if len(set(members)) != len(members) or key in used:
            return
        used.add(key)
        link = {"id": f"l{len(links):06d}", "kind": kind, "members": list(members), "status": status}
        if signed:
            link["signed"] = signed
        if ended:
            link["ended"] = ended
        links.append(link)

    degree = [1] * n_cities
    for i, (cid, c) in enumerate(cities):
        add("located_in", [cid, f"state:{c.lower()}"])
        for _ in range(rnd.choice([1, 1, 2, 2, 3])):
            if i == 0:
                break
            if rnd.random() < 0.6:
                j = rnd.choices(range(i), weights=degree[:i])[0]
            else:
                same = [k for k in range(max(0, i - 60), i) if cities[k][1] == c] or [rnd.randrange(i)]
                j = rnd.choice(same)
            r = rnd.random()
            kind = "twinning" if r < 0.55 else "friendship" if r < 0.9 else "trilateral"
            members = [cid, cities[j][0]]
            if kind == "trilateral":
                k = rnd.randrange(n_cities)
                members.append(cities[k][0])
            s = rnd.random()
            status = "active" if s < 0.8 else "planned" if s < 0.88 else "negotiating" if s < 0.92 else "ended" if s < 0.97 else "suspended"
            signed = date() if rnd.random() < 0.75 else None
            ended = None
            if signed and status == "ended" and rnd.random() < 0.8:
                ended = str(int(signed[:4]) + rnd.randint(0, 15))
            add(kind, members, status, signed, ended)
            degree[i] += 1
            degree[j] += 1
    for a in assocs:
        for cid, _ in rnd.sample(cities, rnd.randint(5, 40)):
            add("membership", [cid, a], signed=date() if rnd.random() < 0.5 else None)
    doc = {"format": "pobratim", "version": 1, "description": f"generated by networkx_reference.py ({name}, seed {seed})", "nodes": nodes, "links": links}
    return doc


def write_doc(path, doc):
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"format": "pobratim", "version": 1, "description": ' + json.dumps(doc["description"]) + ',\n"nodes": [\n')
        out.write(",\n".join(json.dumps(n, ensure_ascii=False, separators=(",", ":")) for n in doc["nodes"]))
        out.write('\n],\n"links": [\n')
        out.write(",\n".join(json.dumps(l, ensure_ascii=False, separators=(",", ":")) for l in doc["links"]))
        out.write("\n]}\n")


def sorted_ids(nodes):
    return sorted(nodes, key=lambda s: s.encode("utf-8"))


def expected_for(doc, fname, f, rnd):
    g = graph_of(doc, f)
    ids = sorted_ids(g.nodes)
    out = {"filter": fname, "nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
    out["degree"] = nx.degree_centrality(g)
    out["betweenness"] = nx.betweenness_centrality(g)
    out["closeness"] = nx.closeness_centrality(g)
    out["harmonic"] = nx.harmonic_centrality(g)
    out["pagerank"] = nx.pagerank(g)
    try:
        out["eigenvector"] = nx.eigenvector_centrality(g)
    except nx.PowerIterationFailedConvergence:
        out["eigenvector"] = None
    sources = sorted_ids(rnd.sample(ids, min(25, len(ids))))
    out["betweenness_sources"] = sources
    out["betweenness_sampled"] = sampled_betweenness(g, sources)
    out["components"] = sorted(sorted_ids(c) for c in nx.connected_components(g))
    tri = nx.triangles(g)
    out["triangles_total"] = sum(tri.values())
    out["average_clustering"] = nx.average_clustering(g)
    out["transitivity"] = nx.transitivity(g)
    out["density"] = nx.density(g)
    try:
        out["degree_assortativity"] = nx.degree_assortativity_coefficient(g)
    except Exception:
        out["degree_assortativity"] = None
    if out["degree_assortativity"] is not None and out["degree_assortativity"] != out["degree_assortativity"]:
        out["degree_assortativity"] = None
    out["degree_histogram"] = nx.degree_histogram(g)
    lcc = g.subgraph(max(nx.connected_components(g), key=len)) if g.number_of_nodes() else g
    out["largest_component"] = lcc.number_of_nodes()
    out["diameter"] = nx.diameter(lcc) if lcc.number_of_nodes() else None
    out["average_shortest_path_length"] = nx.average_shortest_path_length(lcc) if lcc.number_of_nodes() > 1 else None
    pairs = [(rnd.choice(ids), rnd.choice(ids)) for _ in range(150)]
    out["shortest_path_lengths"] = [[s, t, nx.shortest_path_length(g, s, t) if nx.has_path(g, s, t) else None] for s, t in pairs]
    connected = [(s, t) for s, t, d in out["shortest_path_lengths"] if d is not None and d >= 2][:15]
    out["all_shortest_paths"] = [[s, t, sorted(list(nx.all_shortest_paths(g, s, t)))[:2000]] for s, t in connected]
    centres = [rnd.choice(ids) for _ in range(10)]
    out["ego"] = [[c, d, sorted_ids(nx.ego_graph(g, c, radius=d).nodes)] for c in centres for d in (1, 2)]
    communities = nx.community.louvain_communities(g, seed=0)
    out["louvain_modularity"] = nx.community.modularity(g, communities)
    out["louvain_partition"] = sorted(sorted_ids(c) for c in communities)
    return out


def sampled_betweenness(g, sources):
    """networkx.betweenness_centrality(g, k=len(sources)) with these sources, via its internals."""
    from networkx.algorithms.centrality.betweenness import _accumulate_basic, _rescale, _single_source_shortest_path_basic

    b = dict.fromkeys(g, 0.0)
    for s in sources:
        S, P, sigma, _ = _single_source_shortest_path_basic(g, s)
        b, _ = _accumulate_basic(b, S, P, sigma, s)
    k = len(sources)
    return _rescale(b, len(g), normalized=True, directed=False, endpoints=False, sampled_nodes=None if k == len(g) else sources)


def weighted_expectations(doc, rnd):
    f = FILTERS["all"]
    costs = {"twinning": 1.0, "friendship": 2.0, "trilateral": 1.5, "membership": 4.0, "located_in": 8.0}
    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in doc["nodes"])
    for link in doc["links"]:
        if admits(link, f):
            m = link["members"]
            for i, a in enumerate(m):
                for b in m[i + 1:]:
                    w = costs[link["kind"]]
                    if not g.has_edge(a, b) or g[a][b]["weight"] > w:
                        g.add_edge(a, b, weight=w)
    ids = sorted_ids(g.nodes)
    out = []
    for _ in range(12):
        s, t = rnd.choice(ids), rnd.choice(ids)
        if s == t or not nx.has_path(g, s, t):
            continue
        dij = nx.dijkstra_path_length(g, s, t, weight="weight")
        ks = []
        for path in nx.shortest_simple_paths(g, s, t, weight="weight"):
            ks.append(nx.path_weight(g, path, "weight"))
            if len(ks) == 4:
                break
        out.append([s, t, dij, ks])
    return {"weights": "twinning:1,friendship:2,trilateral:1.5,membership:4,located_in:8", "filter": "all", "pairs": out}


def main():
    graphs = {"seed": json.loads((ROOT / "fixtures" / "seed.json").read_text(encoding="utf-8"))}
    for name, n, a, seed in [("gen-a", 2000, 12, 101), ("gen-b", 2500, 20, 202)]:
        doc = generate(name, n, a, seed)
        write_doc(HERE / "graphs" / f"{name}.json", doc)
        graphs[name] = doc
    for name, doc in graphs.items():
        rnd = random.Random(f"{name}-queries")
        results = {fname: expected_for(doc, fname, f, rnd) for fname, f in FILTERS.items()}
        # The seed's links carry no end dates: the cuts would test nothing there.
        for fname, f in ENDED_FILTERS.items() if name != "seed" else ():
            results[fname] = expected_for(doc, fname, f, random.Random(f"{name}-{fname}"))
            results[fname]["decided_by_ended"] = decided_by_ended(doc, f)
        expected = {
            "networkx": nx.__version__,
            "graph": name,
            "filters": {**FILTERS, **(ENDED_FILTERS if name != "seed" else {})},
            "results": results,
            "weighted": weighted_expectations(doc, rnd),
        }
        with open(HERE / "expected" / f"{name}.json", "w", encoding="utf-8") as out:
            json.dump(expected, out, ensure_ascii=False, separators=(",", ":"))
        print(name, {k: (v["nodes"], v["edges"]) for k, v in expected["results"].items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
