"""Connected components of the borrower–indicator graph (pure)."""

from __future__ import annotations

from collections.abc import Iterable


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


class KeyedUnionFind:
    """:class:`UnionFind` over string keys."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.sets = UnionFind(0)

    def _id(self, key: str) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.sets.parent)
            self.sets.parent.append(found)
            self.sets.size.append(1)
        return found

    def union(self, a: str, b: str) -> None:
        self.sets.union(self._id(a), self._id(b))

    def groups(self) -> list[list[str]]:
        """Every set as a sorted list, the sets ordered by their smallest key."""
        by_root: dict[int, list[str]] = {}
        for key, i in self.index.items():
            by_root.setdefault(self.sets.find(i), []).append(key)
        return sorted((sorted(g) for g in by_root.values()), key=lambda g: g[0])


def components(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of an undirected graph given as edges."""
    union = KeyedUnionFind()
    for a, b in edges:
        union.union(a, b)
    return union.groups()
