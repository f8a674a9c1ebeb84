"""The NumPy template clustering equals datasketch's MinHash / MinHashLSH (and the baseline's rings ours).

``benchmarks/intel_baseline.py`` clusters templates with datasketch the way an analyst would; the rings
of the benchmark can only be identical because our vectorised MinHash reproduces datasketch bit for bit.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import datasketch
import networkx as nx
import numpy as np
import pytest
from benchmarks.intel_baseline import detect as baseline_detect
from hypothesis import given, settings
from hypothesis import strategies as st

from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.folding_model import normalise_text
from lendguard.intel.job import _factorize
from lendguard.intel.runner import detect_directory
from lendguard.intel.template_model import (
    TemplateParams,
    cluster_normalised,
    cluster_texts,
    shingles,
    signatures,
    similar_pairs,
)
from lendguard.sim.world import generate_world
from tests.intel.conftest import SMALL

PARAMS = TemplateParams()


def _reference_signature(text: str, params: TemplateParams) -> np.ndarray:
    m = datasketch.MinHash(num_perm=params.bands * params.rows, seed=params.seed)
    m.update_batch([s.encode("utf-8") for s in shingles(text, params.shingle)])
    return np.asarray(m.hashvalues)


def _reference_clusters(texts: list[str], params: TemplateParams) -> list[int]:
    """datasketch LSH + jaccard filter + networkx components: the analyst's way (as the baseline)."""
    folded = [normalise_text(t) for t in texts]
    keys = [i for i, t in enumerate(folded) if len(t) >= params.min_chars]
    perms = params.bands * params.rows
    hashes = {
        i: m
        for i, m in zip(
            keys,
            datasketch.MinHash.bulk(
                [[s.encode() for s in shingles(folded[i], params.shingle)] for i in keys],
                num_perm=perms,
                seed=params.seed,
            ),
            strict=True,
        )
    }
    lsh = datasketch.MinHashLSH(threshold=params.similarity, num_perm=perms, params=(params.bands, params.rows))
    for i, m in hashes.items():
        lsh.insert(i, m)
    graph = nx.Graph()
    for i, m in hashes.items():
        for j in lsh.query(m):
            if j > i and m.jaccard(hashes[j]) >= params.similarity:
                graph.add_edge(i, j)
    labels = [-1] * len(texts)
    for component in nx.connected_components(graph):
        for i in component:
            labels[i] = min(component)
    return labels


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=30),  # non-BMP, short and empty texts too
        min_size=1,
        max_size=10,
    ),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_signatures_equal_datasketch(texts: list[str], seed: int) -> None:
    params = TemplateParams(seed=seed)
    ours = signatures(texts, params)
    assert ours.dtype == np.uint32
    for text, row in zip(texts, ours, strict=True):
        assert row.tolist() == _reference_signature(text, params).tolist()


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=12), min_size=1, max_size=6),
    st.sampled_from([1, 2, 4, 5]),
)
def test_signatures_equal_datasketch_for_other_shingle_sizes(texts: list[str], k: int) -> None:
    # k <= 3 packs code points into one integer key per shingle; k > 3 compares raw code points
    params = TemplateParams(shingle=k)
    for text, row in zip(texts, signatures(texts, params), strict=True):
        assert row.tolist() == _reference_signature(text, params).tolist()


def _near_duplicates(rng: random.Random, n: int) -> list[str]:
    """Filled-in templates with edits, so LSH buckets hold many texts at various similarities."""
    bases = [
        "本人因疫情失业无力偿还贵司暴力催收要求停止催收并减免罚息否则投诉",
        "借款人身份证尾号在贵司借款本人被公司裁员无法还款要求退还利息",
    ]
    texts = []
    for _ in range(n):
        chars = list(rng.choice(bases))
        for _ in range(rng.randint(0, 12)):  # a few substitutions, insertions and deletions
            pos = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.4:
                chars[pos] = rng.choice("张三李四王五0123456789")
            elif op < 0.7:
                chars.insert(pos, rng.choice("张三李四王五0123456789"))
            elif len(chars) > 5:
                del chars[pos]
        texts.append("".join(chars))
    return texts


def test_candidate_pairs_equal_datasketch_lsh_query() -> None:
    texts = _near_duplicates(random.Random(5), 300)
    sig = signatures(texts, PARAMS)
    perms = PARAMS.bands * PARAMS.rows
    lsh = datasketch.MinHashLSH(num_perm=perms, params=(PARAMS.bands, PARAMS.rows))
    hashes = []
    for i, text in enumerate(texts):
        m = datasketch.MinHash(num_perm=perms, seed=PARAMS.seed)
        m.update_batch([s.encode() for s in shingles(text, PARAMS.shingle)])
        lsh.insert(i, m)
        hashes.append(m)
    expected = {
        (i, j)
        for i, m in enumerate(hashes)
        for j in lsh.query(m)
        if j > i and m.jaccard(hashes[j]) >= PARAMS.similarity
    }
    found = {(int(i), int(j)) for i, j in similar_pairs(sig, PARAMS)}
    assert found == expected
    assert len(expected) > 100  # the texts really do collide, at various similarities


def _complaint_texts(directory: Path) -> list[str]:
    with (directory / "complaints.csv").open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def test_clusters_equal_datasketch_on_the_fixtures_and_near_duplicates() -> None:
    for texts in (_complaint_texts(SMALL), _near_duplicates(random.Random(9), 200)):
        expected = _reference_clusters(texts, PARAMS)
        assert cluster_texts(texts, PARAMS) == expected
        assert any(label >= 0 for label in expected)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "w"
    generate_world(borrowers=4000, seed=5, out=path, progress=False)
    return path


def test_clusters_equal_datasketch_on_a_generated_world(world: Path) -> None:
    texts = _complaint_texts(world)
    expected = _reference_clusters(texts, PARAMS)
    assert cluster_texts(texts, PARAMS) == expected
    assert sum(label >= 0 for label in expected) > 50


@pytest.mark.parametrize("directory", ["small", "world"])
def test_the_pandas_baseline_finds_identical_rings(directory: str, world: Path) -> None:
    path = SMALL if directory == "small" else world
    config = DetectionConfig()
    ours, _ = detect_directory(path, config=config)
    theirs = baseline_detect(path, config)
    assert ours["rings"], "the world has rings to compare"
    assert theirs["rings"] == ours["rings"]
    assert theirs["borrowers"] == ours["borrowers"]


def test_arrow_factorize_gives_the_same_clusters() -> None:
    # the job finds distinct shingles with Arrow's hash table instead of NumPy's sort
    texts = [normalise_text(t) for t in _near_duplicates(random.Random(3), 200)] + ["", "短", "ab"]
    params = TemplateParams(min_chars=0)
    assert cluster_normalised(texts, params, _factorize) == cluster_normalised(texts, params)
