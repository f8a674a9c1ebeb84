"""The ring-detection job, written once as SQL and run by any analytics backend.

Steps: (1) template clusters of complaint texts (MinHash/LSH, NumPy, the same for every engine; on a
second thread while the engine works); (2) in the engine: contact links, shared indicators (with the
hub cap), number blocks, the links marked by them, and the borrower–indicator edges; (3) connected
components (pure); (4) in the engine: each candidate ring's evidence rows; (5) scoring (pure): every
signal but ``template`` while clustering may still run, then the template signal from each complaint's
cluster, looked up in Python by its row number. Scoring sorts everything it reports
and never depends on the order of the rows it is given, so DuckDB and Spark give byte-identical
documents without sorting what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lendguard.analytics.backend import Backend, sql_list
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.folding_model import fold_codes, fold_simple, merge_folded
from lendguard.intel.graph_model import components, groups
from lendguard.intel.ingest import InputTables
from lendguard.intel.scoring_model import Ring, RingRows, document, finish_ring, prepare_ring, score_ring
from lendguard.intel.template_model import cluster_codes

Progress = Callable[[str], None]

# The input tables the SQL below reads (borrowers.csv is validated, but no query needs it).
QUERIED = ("complaints", "phone_changes", "call_outcomes", "account_events")

LINKS = """
SELECT borrower_id, 'phone' AS kind, contact_phone AS value, 'complaints.csv' AS file, row_id,
       'contact_phone' AS field
FROM complaints WHERE contact_phone IS NOT NULL
UNION ALL
SELECT borrower_id, 'email', contact_email, 'complaints.csv', row_id, 'contact_email'
FROM complaints WHERE contact_email IS NOT NULL
UNION ALL
SELECT borrower_id, 'phone', new_phone, 'phone_changes.csv', row_id, 'new_phone'
FROM phone_changes WHERE new_phone IS NOT NULL
UNION ALL
SELECT borrower_id, 'phone', forwarded_to, 'call_outcomes.csv', row_id, 'forwarded_to'
FROM call_outcomes WHERE forwarded_to IS NOT NULL
"""

INDICATORS = """
SELECT kind, value, COUNT(DISTINCT borrower_id) AS holders FROM links GROUP BY kind, value
HAVING COUNT(DISTINCT borrower_id) >= 2 AND COUNT(DISTINCT borrower_id) <= {max_holders}
"""

MOBILE = "l.kind = 'phone' AND length(l.value) = 11 AND substr(l.value, 1, 1) = '1'"

SEGMENTS = """
SELECT substr(l.value, 1, {prefix}) AS prefix FROM links l WHERE {mobile}
GROUP BY substr(l.value, 1, {prefix})
HAVING COUNT(DISTINCT l.borrower_id) >= {min_borrowers} AND COUNT(DISTINCT l.value) >= {min_numbers}
   AND COUNT(DISTINCT l.borrower_id) <= {max_holders}
"""

# Each link that ties borrowers together or supports the segment signal, marked once: to a shared
# indicator (shared = 1), in a number block (block), in a virtual-operator segment (virtual_prefix).
# Indicators and blocks are unique, so the left joins never repeat a link. One statement with the
# links, indicators and segments as common table expressions (none is read again).
MARKED = """
WITH links AS ({links}), indicators AS ({indicators}), segments AS ({segments})
SELECT l.borrower_id, l.kind, l.value, l.file, l.row_id, l.field,
       CASE WHEN i.value IS NULL THEN 0 ELSE 1 END AS shared, s.prefix AS block,
       CASE WHEN {mobile} AND substr(l.value, 1, 3) IN ({virtual}) THEN substr(l.value, 1, 3) END AS virtual_prefix
FROM links l
LEFT JOIN indicators i ON l.kind = i.kind AND l.value = i.value
LEFT JOIN segments s ON {mobile} AND substr(l.value, 1, {prefix}) = s.prefix
WHERE i.value IS NOT NULL OR s.prefix IS NOT NULL OR ({mobile} AND substr(l.value, 1, 3) IN ({virtual}))
"""

# UNION ALL: the parts cannot overlap (their kinds differ); edges only feed connected components
EDGES = """
SELECT DISTINCT borrower_id, kind, value FROM marked WHERE shared = 1
UNION ALL
SELECT DISTINCT borrower_id, 'segment', block FROM marked WHERE block IS NOT NULL
{template_edges}
"""

TEMPLATE_EDGES = """
UNION ALL
SELECT DISTINCT c.borrower_id, 'template', t.template FROM complaints c JOIN templates t ON c.seq = t.seq
"""

LINK_ROWS = """
SELECT m.ring_key, k.borrower_id, k.kind, k.value, k.file, k.row_id, k.field FROM marked k
JOIN members m ON k.borrower_id = m.borrower_id WHERE k.shared = 1
"""

# UNION ALL: a link in a block and in a virtual segment comes twice; scoring takes evidence as a set
SEGMENT_ROWS = """
SELECT m.ring_key, k.borrower_id, k.block, k.file, k.row_id, k.field, k.value FROM marked k
JOIN members m ON k.borrower_id = m.borrower_id WHERE k.block IS NOT NULL
UNION ALL
SELECT m.ring_key, k.borrower_id, k.virtual_prefix, k.file, k.row_id, k.field, k.value FROM marked k
JOIN members m ON k.borrower_id = m.borrower_id WHERE k.virtual_prefix IS NOT NULL
"""

THIRD_PARTY_ROWS = """
SELECT m.ring_key, c.borrower_id, c.row_id FROM call_outcomes c
JOIN members m ON c.borrower_id = m.borrower_id WHERE c.answered_by = 'third_party'
"""

# seq (the row's index in complaints.csv) looks up the complaint's template cluster in Python, so the
# evidence rows never wait for template clustering
COMPLAINT_ROWS = """
SELECT m.ring_key, c.borrower_id, c.row_id, c.channel, c.filed_at, c.seq, c.text FROM complaints c
JOIN members m ON c.borrower_id = m.borrower_id
"""

SEQUENCE_ROWS = """
WITH changes AS (
  SELECT borrower_id, changed_at AS t, 'phone_changes.csv' AS file, row_id, 'new_phone' AS field,
         new_phone AS value
  FROM phone_changes
  UNION ALL
  SELECT borrower_id, event_at, 'account_events.csv', row_id, 'kind', kind FROM account_events
  WHERE kind = 'contact_change'
), requests AS (
  SELECT borrower_id, event_at AS t, row_id, kind FROM account_events
  WHERE kind IN ('cease_request', 'repayment_plan_request')
)
SELECT m.ring_key, c.borrower_id, c.file, c.row_id AS change_row, c.field, c.value,
       r.row_id AS request_row, r.kind AS request_kind, q.row_id AS complaint_row, q.filed_at
FROM changes c
JOIN members m ON c.borrower_id = m.borrower_id
JOIN requests r ON r.borrower_id = c.borrower_id AND r.t >= c.t AND r.t <= c.t + {window}
JOIN complaints q ON q.borrower_id = c.borrower_id AND q.filed_at >= r.t AND q.filed_at <= r.t + {window}
"""


def _factorize(keys: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """Distinct keys with Arrow's hash table (several times faster than NumPy's sort): uint64 keys, or
    fixed-width byte strings (a NumPy void dtype, as Arrow fixed-size binary)."""
    if keys.dtype.kind != "V":
        encoded = pa.array(keys).dictionary_encode()
        return np.asarray(encoded.dictionary), np.asarray(encoded.indices).astype(np.int64)
    keys = np.ascontiguousarray(keys)
    width = keys.dtype.itemsize
    cells = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(keys), [None, pa.py_buffer(keys)])
    encoded = cells.dictionary_encode()
    distinct = encoded.dictionary
    data = distinct.buffers()[1]
    unique = np.frombuffer(data, dtype=keys.dtype, count=len(distinct), offset=distinct.offset * width)
    return unique, np.asarray(encoded.indices).astype(np.int64)


def _code_points(values: pa.Array) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """A string array as one array of code points (one decode of its data buffer) and per-row lengths."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32, count=len(values) + 1 + values.offset)
    start, end = int(offsets[values.offset]), int(offsets[-1])
    data = values.buffers()[2]
    text = str(memoryview(data)[start:end], "utf-8") if data is not None else ""  # decoded in place
    codes = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    return codes, np.asarray(pc.utf8_length(values), dtype=np.int64)


def fold_texts(texts: pa.Array) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Texts folded as :func:`~lendguard.intel.template_model.normalise_text` does, as code points.

    By a table of code points when every code point of a text folds on its own (nearly every complaint;
    see :func:`~lendguard.intel.template_model.fold_simple`), else NFKC and lower case with Arrow compute
    (utf8proc, in C++), then letters and digits kept.
    """
    simple, other = fold_simple(*_code_points(texts))
    if not other.any():
        return simple
    lowered = pc.utf8_lower(pc.utf8_normalize(texts.filter(pa.array(other)), form="NFKC"))
    return merge_folded(simple, fold_codes(*_code_points(lowered)), other)


def template_clusters(texts: pa.Array | pa.ChunkedArray, config: DetectionConfig) -> npt.NDArray[np.int64]:
    """Per complaint text (null or empty: no text), the row of the first text of its near-duplicate
    cluster (-1: no twin). Needs only the texts, so it can start before the other columns are checked."""
    folded = fold_texts(pc.fill_null(texts, "").combine_chunks())
    return cluster_codes(*folded, config.template, _factorize)


def cluster_heads(complaints: pa.Table, clusters: npt.NDArray[np.int64]) -> pa.Array:
    """Per complaint, the complaint id heading its cluster of :func:`template_clusters` (null: no twin)."""
    heads = complaints.column("row_id").take(pa.array(np.maximum(clusters, 0)))
    return pc.if_else(pa.array(clusters >= 0), heads, pa.scalar(None, pa.string()))


def template_labels(complaints: pa.Table, config: DetectionConfig) -> pa.Array:
    """Per complaint, the complaint id heading its text's near-duplicate cluster (null: no twin)."""
    return cluster_heads(complaints, template_clusters(complaints.column("text"), config))


def _template_table(labels: pa.Array) -> pa.Table:
    """(seq, template) of the complaints in a cluster: joined to ``complaints.seq`` in SQL."""
    seq = np.flatnonzero(np.asarray(pc.is_valid(labels), dtype=bool))
    return pa.table({"seq": pa.array(seq, type=pa.int64()), "template": labels.take(pa.array(seq))})


def _fetch(backend: Backend, sql: str) -> dict[int, list[tuple[Any, ...]]]:
    """Rows grouped by their first column (the ring key), fetched as Arrow and grouped with NumPy (the
    tuples are built column by column). Order within a ring is the engine's: nothing downstream depends
    on it (scoring sorts everything it reports)."""
    table = backend.arrow(sql)
    if table.num_rows == 0:  # no evidence of this kind in any ring (small worlds): nothing to cut
        return {}
    keys = np.asarray(table.column(0), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    rows = list(zip(*(column.take(pa.array(order)).to_pylist() for column in table.columns[1:]), strict=True))
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts, ends = np.concatenate(([0], cuts)).tolist(), np.concatenate((cuts, [len(keys)])).tolist()
    return {int(keys[s]): rows[s:e] for s, e in zip(starts, ends, strict=True)}


def candidate_rings(backend: Backend, config: DetectionConfig) -> list[list[str]]:
    """Connected components (at least ``min_ring_borrowers``) of the borrower–indicator graph."""
    prefix = config.segment_prefix
    segments = SEGMENTS.format(
        prefix=prefix,
        mobile=MOBILE,
        min_borrowers=config.min_segment_borrowers,
        min_numbers=config.min_segment_numbers,
        max_holders=config.max_indicator_borrowers,
    )
    marked = MARKED.format(
        links=LINKS,
        indicators=INDICATORS.format(max_holders=config.max_indicator_borrowers),
        segments=segments,
        prefix=prefix,
        mobile=MOBILE,
        virtual=sql_list(config.virtual_segments),
    )
    backend.create("marked", marked)
    edges = backend.arrow(EDGES.format(template_edges=TEMPLATE_EDGES if config.link_templates else ""))
    # nodes numbered densely: borrowers 0..b-1, then indicators ("kind:value")
    borrowers = pc.cast(edges.column(0), pa.string()).combine_chunks().dictionary_encode()
    nodes = pc.binary_join_element_wise(edges.column(1), edges.column(2), ":").combine_chunks().dictionary_encode()
    first = len(borrowers.dictionary)
    pairs = np.stack(
        [np.asarray(borrowers.indices, dtype=np.int64), np.asarray(nodes.indices, dtype=np.int64) + first], 1
    )
    labels = components(first + len(nodes.dictionary), pairs)[:first]
    names = borrowers.dictionary.to_pylist()
    rings = [sorted(names[i] for i in group.tolist()) for group in groups(labels, config.min_ring_borrowers)]
    return sorted(rings, key=lambda r: r[0])


def ring_rows(backend: Backend, rings: list[list[str]], config: DetectionConfig) -> list[RingRows]:
    """Every candidate ring's evidence rows, fetched in one pass per evidence kind."""
    members = pa.table(
        {
            "borrower_id": pa.array([b for r in rings for b in r], type=pa.string()),
            "ring_key": pa.array([i for i, r in enumerate(rings) for _ in r], type=pa.int64()),
        }
    )
    backend.load("members", members)
    window = {"window": config.sequence_days * 86400}
    out = [RingRows(members=r) for r in rings]
    # every column is VARCHAR except the BIGINT timestamps, on both engines: rows are used as fetched
    for key, rows in _fetch(backend, LINK_ROWS).items():
        out[key].links = rows
    for key, rows in _fetch(backend, SEGMENT_ROWS).items():
        out[key].segments = rows
    for key, rows in _fetch(backend, THIRD_PARTY_ROWS).items():
        out[key].third_party = rows
    for key, rows in _fetch(backend, COMPLAINT_ROWS).items():
        out[key].complaints = rows
    for key, rows in _fetch(backend, SEQUENCE_ROWS.format(**window)).items():
        out[key].sequences = rows
    return out


def add_templates(rows: list[RingRows], labels: pa.Array) -> None:
    """Fill each ring's ``templates`` from its complaints and the clusters of :func:`template_labels`."""
    label_of = labels.to_pylist()
    for ring in rows:
        ring.templates = [
            (borrower, label_of[seq], row_id, text or "")
            for borrower, row_id, _channel, _at, seq, text in ring.complaints
            if label_of[seq] is not None
        ]


def evidence_rows(
    backend: Backend,
    tables: InputTables,
    config: DetectionConfig,
    progress: Progress | None = None,
    labels: Future[pa.Array] | None = None,
) -> tuple[list[RingRows], Future[pa.Array]]:
    """The engine part of detection: every candidate ring's evidence rows, templates not yet attached.

    Template clustering (NumPy/Arrow, mostly outside the GIL) runs on a second thread while the engine
    builds the entity graph — or was started earlier by the caller, who passes its ``labels`` (see
    :func:`template_labels`). Only when template similarity joins borrowers (``link_templates``) does
    the graph wait for it; otherwise the labels are returned still computing. Only this thread talks
    to the engine.
    """
    note = progress or (lambda _msg: None)
    note("clustering complaint texts")
    if labels is None:
        pool = ThreadPoolExecutor(max_workers=1)
        labels = pool.submit(template_labels, tables["complaints"], config)
        pool.shutdown(wait=False)
    for name, table in tables.tables.items():
        if name not in QUERIED:
            continue
        if name == "complaints":
            table = table.append_column("seq", pa.array(np.arange(table.num_rows), type=pa.int64()))
        elif name == "account_events":  # AT is a keyword in some SQL dialects
            table = table.rename_columns(["event_at" if c == "at" else c for c in table.column_names])
        backend.load(name, table)
    if config.link_templates:
        backend.load("templates", _template_table(labels.result()))
    note("building the entity graph")
    rings = candidate_rings(backend, config)
    note(f"fetching the evidence of {len(rings)} candidate rings")
    return ring_rows(backend, rings, config), labels


def run(
    backend: Backend,
    tables: InputTables,
    config: DetectionConfig,
    progress: Progress | None = None,
    labels: Future[pa.Array] | None = None,
) -> list[RingRows]:
    """Run the engine part of detection on validated input: every candidate ring's evidence rows."""
    rows, clusters = evidence_rows(backend, tables, config, progress, labels)
    add_templates(rows, clusters.result())
    return rows


def run_scored(
    backend: Backend,
    tables: InputTables,
    config: DetectionConfig,
    progress: Progress | None = None,
    labels: Future[pa.Array] | None = None,
) -> tuple[list[RingRows], list[Ring]]:
    """:func:`run`, and every ring scored: all signals but ``template`` while the clustering finishes."""
    rows, clusters = evidence_rows(backend, tables, config, progress, labels)
    (progress or (lambda _msg: None))(f"scoring {len(rows)} candidate rings")
    prepared = [prepare_ring(r, config) for r in rows]
    add_templates(rows, clusters.result())
    return rows, [finish_ring(p, r, config) for p, r in zip(prepared, rows, strict=True)]


def detect(
    backend: Backend, tables: InputTables, config: DetectionConfig, progress: Progress | None = None
) -> dict[str, Any]:
    """Run detection on validated input and return the output document."""
    return rescore(run(backend, tables, config, progress), config, backend.name)


def rescore(rows: list[RingRows], config: DetectionConfig, engine: str) -> dict[str, Any]:
    """Score already fetched rings under another configuration (used by the ablation)."""
    return document(engine, config, [score_ring(r, config) for r in rows])
