#!/usr/bin/env python3
"""NetworkX's statistics of the real twin-town network (shared/data/twins/links.csv,
from the Wikipedia lists), for the test that imports the same file into pobratim and
asks `/api/v1/stats?kinds=twinning&distances=false`.

Pinned: networkx==3.6.1. Regenerate with

    python3 -m venv /tmp/nx && /tmp/nx/bin/pip install -r tests/reference/requirements.txt
    /tmp/nx/bin/python tests/reference/twins_reference.py

The graph: one node per city id (`id_a`, `id_b`), one undirected edge per distinct pair
(self-links cannot occur: pobratim refuses them, the file has none).
"""

import csv
import json
from pathlib import Path

import networkx as nx

assert nx.__version__ == "3.6.1", f"pinned networkx 3.6.1, found {nx.__version__}"

HERE = Path(__file__).resolve().parent
LINKS = HERE.parent.parent.parent / "shared" / "data" / "twins" / "links.csv"

g = nx.Graph()
with open(LINKS, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        g.add_edge(row["id_a"], row["id_b"])

components = [len(c) for c in nx.connected_components(g)]
expected = {
    "source": "shared/data/twins/links.csv",
    "networkx": nx.__version__,
    "nodes": g.number_of_nodes(),
    "edges": g.number_of_edges(),
    "density": nx.density(g),
    "average_clustering": nx.average_clustering(g),
    "transitivity": nx.transitivity(g),
    "degree_assortativity": nx.degree_assortativity_coefficient(g),
    "degree_histogram": nx.degree_histogram(g),
    "components": len(components),
    "largest_component": max(components),
}
out = HERE / "expected" / "twins-links.json"
out.write_text(json.dumps(expected, indent=1) + "\n")
print(f"wrote {out}: {expected['nodes']} nodes, {expected['edges']} edges")
