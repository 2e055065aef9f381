#!/usr/bin/env python3
"""Files written by the tools researchers use, for pobratim to import (tests/api/foreign.rs).

Builds the seed network (fixtures/seed.json) as NetworkX and igraph graphs, with the
attribute names pobratim's importers read (kind, name, name_<lang>, country, region,
lat, lon for nodes; link_id, kind, status, signed, ended for edges; a trilateral link is
three edges sharing a link_id), and writes it the way each tool writes files:

    foreign/seed.networkx.graphml   networkx.write_graphml
    foreign/seed.networkx.gexf      networkx.write_gexf
    foreign/seed.networkx.json      networkx.node_link_data (edges="edges")
    foreign/seed.igraph.graphml     igraph.Graph.write_graphml

Pinned in tests/formats/requirements.txt. Regenerate with

    python3 -m venv /tmp/fw && /tmp/fw/bin/pip install -r tests/formats/requirements.txt
    /tmp/fw/bin/python tests/formats/foreign_writers.py
"""

import json
from itertools import combinations
from pathlib import Path

import igraph
import networkx as nx

assert nx.__version__ == "3.6.1", nx.__version__
assert igraph.__version__ == "1.0.0", igraph.__version__

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "foreign"


def node_attrs(node):
    attrs = {"kind": node["kind"], "name": node["name"]}
    for lang, name in node.get("names", {}).items():
        attrs[f"name_{lang}"] = name
    for field in ("country", "region"):
        if field in node:
            attrs[field] = node[field]
    if "location" in node:
        attrs["lat"] = node["location"]["lat"]
        attrs["lon"] = node["location"]["lon"]
    return attrs


def edges(seed):
    """(a, b, attrs) for every pair of every link; a link's pairs share its link_id."""
    for i, link in enumerate(seed["links"]):
        attrs = {"link_id": f"seed-{i:03d}", "kind": link["kind"], "status": link["status"]}
        for field in ("signed", "ended"):
            if field in link:
                attrs[field] = link[field]
        for a, b in combinations(link["members"], 2):
            yield a, b, attrs


def main():
    seed = json.loads((ROOT / "fixtures" / "seed.json").read_text(encoding="utf-8"))
    OUT.mkdir(exist_ok=True)

    g = nx.MultiGraph()
    for node in seed["nodes"]:
        g.add_node(node["id"], **node_attrs(node))
    for a, b, attrs in edges(seed):
        g.add_edge(a, b, **attrs)
    nx.write_graphml(g, OUT / "seed.networkx.graphml")
    nx.write_gexf(g, OUT / "seed.networkx.gexf")
    with open(OUT / "seed.networkx.json", "w", encoding="utf-8") as out:
        json.dump(nx.node_link_data(g, edges="edges"), out, ensure_ascii=False, indent=1)

    # igraph: vertices by index; the pobratim id is the vertex's `id` attribute, which
    # igraph writes as a data key (its GraphML node ids are n0, n1, ...).
    ids = [node["id"] for node in seed["nodes"]]
    position = {node_id: i for i, node_id in enumerate(ids)}
    h = igraph.Graph()
    h.add_vertices(len(ids))
    h.vs["id"] = ids
    # igraph has no "absent": a vertex or edge without a value gets igraph's missing
    # value, an empty string for text and NaN for numbers, as when it reads such a file.
    missing = {"lat": float("nan"), "lon": float("nan")}
    for key in sorted({k for node in seed["nodes"] for k in node_attrs(node)}):
        h.vs[key] = [node_attrs(node).get(key, missing.get(key, "")) for node in seed["nodes"]]
    pairs = list(edges(seed))
    h.add_edges([(position[a], position[b]) for a, b, _ in pairs])
    for key in ("link_id", "kind", "status", "signed", "ended"):
        h.es[key] = [attrs.get(key, "") for _, _, attrs in pairs]
    h.write_graphml(str(OUT / "seed.igraph.graphml"))
    print(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges written to {OUT}")


if __name__ == "__main__":
    main()
