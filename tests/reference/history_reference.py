#!/usr/bin/env python3
"""Reference values for pobratim's histories (a city's centrality through time, the top
of a ranking through time, the network's shape through time), computed with NetworkX on
the as-of graph of each step.

Pinned like networkx_reference.py (tests/reference/requirements.txt). Regenerate with

    /tmp/nx/bin/python tests/reference/history_reference.py

For each graph and filter set below, and each year from `from` to `to` by `step`, it
cuts the network as of the end of that year (the same rule as networkx_reference.py's
`admits`) and writes to expected/history.json:

- the shape: nodes, edges, density, components, largest component, average clustering,
  transitivity, degree assortativity (null when undefined);
- per measure, the first 15 nodes by value (ties by id) with their values, and for a
  fixed sample of nodes their value and the range of ranks a tie allows: the best rank
  counts only the nodes clearly above, the worst also those equal within 1e-9.

tests/api/reference.rs (`histories_equal_networkx_at_every_step`) asks pobratim's
service the same questions and compares.
"""

import json
import random
import sys
from pathlib import Path

import networkx as nx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from networkx_reference import ALL_KINDS, ALL_STATUS, DIPLOMATIC, graph_of, sorted_ids  # noqa: E402

ROOT = HERE.parent.parent

HISTORIES = {
    "seed": [
        {"name": "default", "kinds": DIPLOMATIC, "status": ["active"], "undated": True,
         "from": 1990, "to": 2020, "step": 5},
        {"name": "everything_dated", "kinds": ALL_KINDS, "status": ALL_STATUS, "undated": False,
         "from": 1995, "to": 2020, "step": 5},
    ],
    "gen-a": [
        {"name": "default", "kinds": DIPLOMATIC, "status": ["active"], "undated": True,
         "from": 1950, "to": 2020, "step": 10},
        {"name": "ended_dated", "kinds": DIPLOMATIC, "status": ["active", "ended"], "undated": False,
         "from": 1960, "to": 2020, "step": 15},
    ],
}

MEASURES = {
    "degree": nx.degree_centrality,
    "betweenness": nx.betweenness_centrality,
    "closeness": nx.closeness_centrality,
    "harmonic": nx.harmonic_centrality,
    "pagerank": nx.pagerank,
    "eigenvector": nx.eigenvector_centrality,
}


def tolerance(v):
    return 1e-9 * max(abs(v), 1e-3)


def shape(g):
    try:
        r = nx.degree_assortativity_coefficient(g)
        r = None if r != r else r
    except Exception:
        r = None
    comps = list(nx.connected_components(g))
    return {
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "density": nx.density(g),
        "components": len(comps),
        "largest_component": max((len(c) for c in comps), default=0),
        "average_clustering": nx.average_clustering(g),
        "transitivity": nx.transitivity(g),
        "degree_assortativity": r,
    }


def measure_step(g, measure, sample):
    try:
        values = MEASURES[measure](g)
    except nx.PowerIterationFailedConvergence:
        return {"undefined": True}
    order = sorted(g.nodes, key=lambda v: (-values[v], v.encode("utf-8")))
    out = {"top": [[v, values[v]] for v in order[:15]], "nodes": {}}
    for v in sample:
        x = values[v]
        t = tolerance(x)
        out["nodes"][v] = {
            "value": x,
            "best_rank": 1 + sum(1 for w in g.nodes if values[w] > x + t),
            "worst_rank": 1 + sum(1 for w in g.nodes if values[w] > x - t),
        }
    return out


def main():
    docs = {
        "seed": json.loads((ROOT / "fixtures" / "seed.json").read_text(encoding="utf-8")),
        "gen-a": json.loads((HERE / "graphs" / "gen-a.json").read_text(encoding="utf-8")),
    }
    expected = {"networkx": nx.__version__, "graphs": {}}
    for name, histories in HISTORIES.items():
        doc = docs[name]
        rnd = random.Random(f"{name}-history")
        ids = sorted_ids(n["id"] for n in doc["nodes"])
        sample = sorted_ids(rnd.sample(ids, min(12, len(ids))))
        # The busiest cities too: their ranks move most.
        degree = {}
        for link in doc["links"]:
            for m in link["members"]:
                degree[m] = degree.get(m, 0) + 1
        busiest = sorted(degree, key=lambda v: (-degree[v], v))[:3]
        sample = sorted_ids(set(sample) | set(busiest))
        runs = []
        for h in histories:
            steps = []
            for year in range(h["from"], h["to"] + 1, h["step"]):
                f = {"kinds": h["kinds"], "status": h["status"], "as_of": str(year), "undated": h["undated"]}
                g = graph_of(doc, f)
                step = {"year": year, "shape": shape(g), "measures": {}}
                for measure in MEASURES:
                    step["measures"][measure] = measure_step(g, measure, sample)
                steps.append(step)
            runs.append({**h, "sample": sample, "steps": steps})
            print(name, h["name"], [(s["year"], s["shape"]["edges"]) for s in steps], file=sys.stderr)
        expected["graphs"][name] = runs
    with open(HERE / "expected" / "history.json", "w", encoding="utf-8") as out:
        json.dump(expected, out, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
