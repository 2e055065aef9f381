#!/usr/bin/env python3
"""Reads pobratim's exports of the seed network with the tools researchers use.

Usage: check_exports.py DIR  (DIR holds seed.node-link.json, seed.graphml, seed.gexf and
seed.geojson, written by `pobratim export --format …` from fixtures/seed.json).
Pinned: networkx==3.6.1. Checks that NetworkX reads the node-link JSON and the GraphML
with the seed's node and edge counts and attributes, and that the GeoJSON keeps the
RFC 7946 rules that matter to map libraries.
"""

import json
import math
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def expected():
    seed = json.loads((ROOT / "fixtures" / "seed.json").read_text(encoding="utf-8"))
    edges = sum(math.comb(len(l["members"]), 2) for l in seed["links"])
    located = {n["id"] for n in seed["nodes"] if "location" in n}
    lines = sum(1 for l in seed["links"] if all(m in located for m in l["members"]))
    return seed, len(seed["nodes"]), edges, len(located), lines


def check_graph(g, nodes, edges, what):
    assert g.number_of_nodes() == nodes, f"{what}: {g.number_of_nodes()} nodes, expected {nodes}"
    assert g.number_of_edges() == edges, f"{what}: {g.number_of_edges()} edges, expected {edges}"
    city = g.nodes["city:ru:blagoveshchensk"]
    assert city["name_ru"] == "Благовещенск" and city["country"] == "RU", f"{what}: node attributes {city}"
    kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert kinds == {"twinning", "friendship", "trilateral", "membership", "located_in"}, f"{what}: kinds {kinds}"
    w = [d for _, v, d in g.edges("city:cn:wudalianchi", data=True) if d["kind"] == "twinning"]
    assert w and w[0]["signed"] == "2003-07-17", f"{what}: Wudalianchi's twinning {w}"
    print(f"{what}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges, attributes intact")


def position_ok(p):
    return len(p) == 2 and all(isinstance(x, (int, float)) for x in p) and -180 <= p[0] <= 180 and -90 <= p[1] <= 90


def check_geojson(doc, points, lines):
    assert doc["type"] == "FeatureCollection"
    counts = {"Point": 0, "LineString": 0, "MultiLineString": 0}
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict), f
        geom = f["geometry"]
        kind = geom["type"]
        counts[kind] += 1
        if kind == "Point":
            assert position_ok(geom["coordinates"]), geom
        elif kind == "LineString":
            assert len(geom["coordinates"]) >= 2 and all(map(position_ok, geom["coordinates"])), geom
        else:
            assert all(len(line) >= 2 and all(map(position_ok, line)) for line in geom["coordinates"]), geom
    blag = next(f for f in doc["features"] if f.get("id") == "city:ru:blagoveshchensk")
    lon, lat = blag["geometry"]["coordinates"]
    assert 127 < lon < 128 and 50 < lat < 51, "RFC 7946 positions are [lon, lat]"
    assert counts["Point"] == points, counts
    assert counts["LineString"] + counts["MultiLineString"] == lines, counts
    print(f"geojson: {counts}")


def main():
    out = Path(sys.argv[1])
    assert nx.__version__ == "3.6.1", nx.__version__
    _, nodes, edges, points, lines = expected()
    data = json.loads((out / "seed.node-link.json").read_text(encoding="utf-8"))
    check_graph(nx.node_link_graph(data, edges="edges"), nodes, edges, "node-link")
    check_graph(nx.read_graphml(out / "seed.graphml"), nodes, edges, "graphml")
    gexf = nx.read_gexf(out / "seed.gexf", version="1.3")
    check_graph(gexf, nodes, edges, "gexf 1.3")
    spells = [d["spells"] for _, _, d in gexf.edges(data=True) if d.get("signed")]
    assert spells and all(s[0][0] for s in spells), "dated links carry spells for Gephi's timeline"
    check_geojson(json.loads((out / "seed.geojson").read_text(encoding="utf-8")), points, lines)
    print("4 passed, 0 failed")


if __name__ == "__main__":
    main()
