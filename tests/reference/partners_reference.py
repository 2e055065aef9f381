#!/usr/bin/env python3
"""Link-prediction reference values for pobratim's partner finder, from NetworkX.

Pinned: networkx==3.6.1. Regenerate with

    python3 -m venv /tmp/nx && /tmp/nx/bin/pip install -r tests/reference/requirements.txt
    /tmp/nx/bin/python tests/reference/partners_reference.py

For the seed network and the two generated graphs (graphs/gen-a.json, gen-b.json), under
the default filter (diplomatic kinds, active links), it takes up to 8 cities (3 in the generated graphs) with
partners and, for each, every other city that is not already its partner under a
diplomatic link of any status: `common_neighbors` (counted), `adamic_adar_index`,
`jaccard_coefficient`, `resource_allocation_index` and `preferential_attachment`. It
writes expected/partners-<graph>.json; tests/api/partners.rs compares every value.
"""

import json
from pathlib import Path

import networkx as nx

from networkx_reference import DIPLOMATIC, FILTERS, graph_of

assert nx.__version__ == "3.6.1", f"pinned networkx 3.6.1, found {nx.__version__}"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def expected_for(doc, limit):
    g = graph_of(doc, FILTERS["default"])
    cities = sorted(n["id"] for n in doc["nodes"] if n["kind"] == "city")
    partners = {c: set() for c in cities}
    for link in doc["links"]:
        if link["kind"] in DIPLOMATIC:
            for a in link["members"]:
                for b in link["members"]:
                    if a != b and a in partners:
                        partners[a].add(b)
    sources = [c for c in cities if g.degree(c) > 0][:limit]
    out = {}
    for u in sources:
        pairs = [(u, v) for v in cities if v != u and v not in partners[u]]
        aa = {v: s for _, v, s in nx.adamic_adar_index(g, pairs)}
        jc = {v: s for _, v, s in nx.jaccard_coefficient(g, pairs)}
        ra = {v: s for _, v, s in nx.resource_allocation_index(g, pairs)}
        pa = {v: s for _, v, s in nx.preferential_attachment(g, pairs)}
        out[u] = {
            v: {
                "common_neighbours": len(list(nx.common_neighbors(g, u, v))),
                "adamic_adar": aa[v],
                "jaccard": jc[v],
                "resource_allocation": ra[v],
                "preferential_attachment": pa[v],
            }
            for _, v in pairs
        }
    return out


def main():
    for name in ["seed", "gen-a", "gen-b"]:
        path = ROOT / "fixtures" / "seed.json" if name == "seed" else HERE / "graphs" / f"{name}.json"
        doc = json.loads(path.read_text())
        expected = {"networkx": nx.__version__, "filter": FILTERS["default"], "sources": expected_for(doc, 8 if name == "seed" else 3)}
        out = HERE / "expected" / f"partners-{name}.json"
        out.write_text(json.dumps(expected, indent=0, sort_keys=True) + "\n")
        pairs = sum(len(v) for v in expected["sources"].values())
        print(f"wrote {out}: {len(expected['sources'])} sources, {pairs} pairs")


if __name__ == "__main__":
    main()
