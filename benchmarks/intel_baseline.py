"""The baseline of ``benchmarks/intel.py``: the same ring detection written straightforwardly with
pandas and networkx (per-cell Python parsing, DataFrame merges and per-ring filtering, a networkx graph,
and the shared pure MinHash module for templates). It shares only pure modules (template clustering,
``score_ring``), so equal evidence rows give equal scores and the rings can be compared for identity.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.contract_model import normalise_email, normalise_phone, parse_timestamp
from lendguard.intel.scoring_model import RingRows, document, score_ring
from lendguard.intel.template_model import cluster_texts


def _read(directory: Path, name: str, id_column: str | None) -> pd.DataFrame:
    path = directory / f"{name}.csv"
    if not path.exists():
        return pd.DataFrame()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["row_id"] = frame[id_column] if id_column else [str(i + 2) for i in range(len(frame))]
    return frame


def _phones(series: pd.Series) -> pd.Series:
    return series.map(lambda v: normalise_phone(v.strip()) if v.strip() else None)


def _times(series: pd.Series) -> pd.Series:
    return series.map(lambda v: parse_timestamp(v.strip()) if v.strip() else None)


def load(directory: Path) -> dict[str, pd.DataFrame]:
    """Read and normalise the five files (valid input assumed: the benchmark reads generated worlds)."""
    complaints = _read(directory, "complaints", "complaint_id")
    complaints["contact_phone"] = _phones(complaints["contact_phone"])
    complaints["contact_email"] = complaints["contact_email"].map(lambda v: normalise_email(v) if v.strip() else None)
    complaints["filed_at"] = _times(complaints["filed_at"])
    changes = _read(directory, "phone_changes", None)
    changes["new_phone"] = _phones(changes["new_phone"])
    changes["changed_at"] = _times(changes["changed_at"])
    calls = _read(directory, "call_outcomes", "call_id")
    calls["forwarded_to"] = _phones(calls["forwarded_to"])
    calls["called_at"] = _times(calls["called_at"])
    events = _read(directory, "account_events", None)
    events["at"] = _times(events["at"])
    borrowers = _read(directory, "borrowers", "borrower_id")
    borrowers["phone"] = _phones(borrowers["phone"])
    return {"complaints": complaints, "phone_changes": changes, "call_outcomes": calls, "account_events": events}


def templates(complaints: pd.DataFrame, config: DetectionConfig) -> pd.Series:
    """Cluster label (first complaint id of the cluster) per complaint.

    Uses the shared pure MinHash module on per-row Python-normalised texts: datasketch hashes shingles
    differently, so its clusters (and hence template scores) would differ slightly and the rings could
    not be compared for identity.
    """
    labels = cluster_texts(complaints["text"].tolist(), config.template)
    ids = complaints["row_id"].tolist()
    return pd.Series([ids[i] if i >= 0 else None for i in labels], index=complaints.index, dtype=object)


def detect(directory: Path, config: DetectionConfig) -> dict[str, Any]:
    """The output document, computed with pandas and networkx."""
    t = load(directory)
    complaints, changes, calls, events = (t["complaints"], t["phone_changes"], t["call_outcomes"], t["account_events"])
    complaints["template"] = templates(complaints, config)
    parts = [
        complaints.assign(
            kind="phone", value=complaints["contact_phone"], file="complaints.csv", field="contact_phone"
        ),
        complaints.assign(
            kind="email", value=complaints["contact_email"], file="complaints.csv", field="contact_email"
        ),
        changes.assign(kind="phone", value=changes["new_phone"], file="phone_changes.csv", field="new_phone"),
        calls.assign(kind="phone", value=calls["forwarded_to"], file="call_outcomes.csv", field="forwarded_to"),
    ]
    cols = ["borrower_id", "kind", "value", "file", "row_id", "field"]
    links = pd.concat([p[cols] for p in parts if len(p)]).dropna(subset=["value"])
    holders = links.groupby(["kind", "value"])["borrower_id"].nunique()
    shared = holders[(holders >= 2) & (holders <= config.max_indicator_borrowers)]
    shared_keys = set(shared.index)
    mobile = links[(links["kind"] == "phone") & (links["value"].str.len() == 11) & links["value"].str.startswith("1")]
    mobile = mobile.assign(prefix=mobile["value"].str[: config.segment_prefix])
    seg = mobile.groupby("prefix").agg(b=("borrower_id", "nunique"), v=("value", "nunique"))
    seg = seg[
        (seg["b"] >= config.min_segment_borrowers)
        & (seg["v"] >= config.min_segment_numbers)
        & (seg["b"] <= config.max_indicator_borrowers)
    ]
    graph = nx.Graph()
    for row in links.itertuples(index=False):
        if (row.kind, row.value) in shared_keys:
            graph.add_edge(f"b:{row.borrower_id}", f"{row.kind}:{row.value}")
    for row in mobile[mobile["prefix"].isin(seg.index)].itertuples(index=False):
        graph.add_edge(f"b:{row.borrower_id}", f"segment:{row.prefix}")
    rings = []
    for component in nx.connected_components(graph):
        members = sorted(n[2:] for n in component if n.startswith("b:"))
        if len(members) >= config.min_ring_borrowers:
            rings.append(members)
    rings.sort(key=lambda r: r[0])
    scored = []
    window = config.sequence_days * 86400
    for members in rings:
        mine = set(members)
        rows = RingRows(members=members)
        ring_links = links[links["borrower_id"].isin(mine)]
        rows.links = [
            (r.borrower_id, r.kind, r.value, r.file, r.row_id, r.field)
            for r in ring_links.itertuples(index=False)
            if (r.kind, r.value) in shared_keys
        ]
        ring_mobile = mobile[mobile["borrower_id"].isin(mine)]
        segs = {
            (r.borrower_id, r.prefix, r.file, r.row_id, r.field, r.value)
            for r in ring_mobile.itertuples(index=False)
            if r.prefix in seg.index
        }
        segs |= {
            (r.borrower_id, r.value[:3], r.file, r.row_id, r.field, r.value)
            for r in ring_mobile.itertuples(index=False)
            if r.value[:3] in config.virtual_segments
        }
        rows.segments = sorted(segs)
        ring_calls = calls[calls["borrower_id"].isin(mine) & (calls["answered_by"] == "third_party")]
        rows.third_party = sorted(zip(ring_calls["borrower_id"], ring_calls["row_id"], strict=True))
        ring_complaints = complaints[complaints["borrower_id"].isin(mine)]
        rows.templates = sorted(
            (r.borrower_id, r.template, r.row_id, r.text)
            for r in ring_complaints.itertuples(index=False)
            if isinstance(r.template, str)
        )
        rows.complaints = sorted(
            (r.borrower_id, r.row_id, r.channel, int(r.filed_at)) for r in ring_complaints.itertuples(index=False)
        )
        sequences = []
        by_borrower: dict[str, list[Any]] = defaultdict(list)
        for r in events[events["borrower_id"].isin(mine)].itertuples(index=False):
            by_borrower[r.borrower_id].append(r)
        ring_changes: dict[str, list[Any]] = defaultdict(list)
        for r in changes[changes["borrower_id"].isin(mine)].itertuples(index=False):
            ring_changes[r.borrower_id].append(r)
        for b in members:
            starts = [
                ("phone_changes.csv", r.row_id, "new_phone", r.new_phone, r.changed_at) for r in ring_changes[b]
            ] + [
                ("account_events.csv", e.row_id, "kind", e.kind, e.at)
                for e in by_borrower[b]
                if e.kind == "contact_change"
            ]
            requests = [e for e in by_borrower[b] if e.kind in ("cease_request", "repayment_plan_request")]
            filed = [c for c in rows.complaints if c[0] == b]
            for file, row, field, value, at in starts:
                for e in requests:
                    if at <= e.at <= at + window:
                        for c in filed:
                            if e.at <= c[3] <= e.at + window:
                                sequences.append((b, file, row, field, value, e.row_id, e.kind, c[1], c[3]))
        rows.sequences = sorted(sequences)
        rows.links.sort()
        scored.append(score_ring(rows, config))
    return document("pandas+networkx", config, scored)
