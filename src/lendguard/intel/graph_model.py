"""Connected components over integer node ids, with NumPy (pure).

Used for the borrower–indicator graph (nodes numbered densely by the job) and for joining
near-duplicate complaint texts (``template_model``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def components(n: int, pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Connected component of each of 0..n-1 given edges (rows of ``pairs``), labelled by the smallest member."""
    label = np.arange(n, dtype=np.int64)
    if not len(pairs):
        return label
    left, right = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(label[left], label[right])
        new = label.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        while True:  # pointer jumping: follow labels to their root
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            return label
        label = new


def groups(labels: npt.NDArray[np.int64], smallest: int) -> list[npt.NDArray[np.int64]]:
    """The members (ascending) of each component of at least ``smallest`` nodes, by their smallest member."""
    if not len(labels):
        return []
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(order)]))
    return [order[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e - s >= smallest]
