"""Layout of a ring's entity graph for the ring page (pure): borrowers outside, indicators inside."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    """A drawn node: borrower (circle) or indicator (square) with its position and label."""

    key: str
    kind: str
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Graph:
    """Nodes and edges (pairs of node keys) of one ring, in a ``size`` x ``size`` box."""

    size: int
    nodes: list[Node]
    edges: list[tuple[Node, Node]]


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def indicator_edges(ring: dict[str, Any]) -> list[tuple[str, int]]:
    """(borrower, indicator index) pairs: the borrower's evidence values carry the indicator.

    Computed on the stored, unmasked ring (evidence rows name the row, the stored per-borrower
    ``links`` map names the values), so the graph can be drawn from masked labels afterwards.
    """
    indicators = [(i["kind"], i["value"]) for i in ring.get("indicators", [])]
    links = ring.get("links", {})
    edges: set[tuple[str, int]] = set()
    for borrower, values in links.items():
        for index, (kind, value) in enumerate(indicators):
            if any(v == value or (kind == "segment" and v.startswith(value)) for v in values):
                edges.add((str(borrower), index))
    return sorted(edges)


def ring_graph(ring: dict[str, Any], size: int = 520) -> Graph:
    """Borrower–indicator graph of a ring detail: ``edges`` as made by :func:`indicator_edges`
    (computed from ``links`` when absent); labels are the indicator values as given (masked or not)."""
    centre = size / 2
    borrowers = list(ring.get("borrowers", []))
    indicators = [(i["kind"], i["value"]) for i in ring.get("indicators", [])]
    nodes: dict[str, Node] = {}
    for i, b in enumerate(borrowers):
        angle = 2 * math.pi * i / max(1, len(borrowers))
        nodes[f"b:{b}"] = Node(
            f"b:{b}", "borrower", b, centre + 0.42 * size * math.cos(angle), centre + 0.42 * size * math.sin(angle)
        )
    for i, (kind, value) in enumerate(indicators):
        angle = 2 * math.pi * i / max(1, len(indicators)) + 0.3
        radius = 0.0 if len(indicators) == 1 else 0.18 * size
        nodes[f"i:{i}"] = Node(
            f"i:{i}",
            kind,
            _short(value),
            centre + radius * math.cos(angle),
            centre + radius * math.sin(angle),
        )
    pairs = ring["edges"] if "edges" in ring else indicator_edges(ring)
    ordered = sorted({(f"b:{b}", f"i:{int(i)}") for b, i in pairs})
    return Graph(size, list(nodes.values()), [(nodes[a], nodes[b]) for a, b in ordered if a in nodes and b in nodes])
