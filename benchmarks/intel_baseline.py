"""The baseline of ``benchmarks/intel.py``: ring detection written the way an analyst would with the
usual Python data stack — pandas, datasketch and networkx. Of lendguard it uses only the configuration
(``DetectionConfig``: parameters, weights and signal order), none of its detection code.

What it does (the signals and weights of ``docs/intel.md``):

1. **Reading**: ``pandas.read_csv`` of the five files (every cell as text); phones normalised with
   vectorised ``.str`` operations (digits only, ``+86``/``0086`` dropped), e-mails trimmed and
   lower-cased, timestamps with ``pandas.to_datetime(format="ISO8601")`` (no offset means UTC+8).
   The input is assumed valid (the benchmark reads generated worlds), so unlike ``lendguard intel
   detect`` nothing is validated — an advantage for the baseline.
2. **Templates**: each complaint text folded (NFKC, lower case, letters and digits only), cut into
   character 3-grams, one ``datasketch.MinHash`` per complaint (``MinHash.bulk``), indexed in a
   ``datasketch.MinHashLSH`` with the configured bands and rows; every complaint queries the index and
   candidates with ``MinHash.jaccard`` at or above the configured similarity become edges of a networkx
   graph whose connected components (two complaints or more) are the template clusters. This is the
   library's documented usage; lendguard's own NumPy MinHash reproduces datasketch bit for bit, which
   is what lets the rings be compared for identity.
3. **Graph**: links (complaint contacts, phone changes, forwarded calls) in one DataFrame; shared values
   and number blocks with ``groupby(...).nunique()``; borrower–indicator edges into a networkx graph;
   ``networkx.connected_components``.
4. **Evidence and scoring**: the members' rows selected with ``isin``, tagged with their ring with
   ``map`` and collected per ring as tuples (the change -> request -> complaint chains with two
   ``merge``s and window filters); then a plain per-ring Python function computes the seven signals
   from the documented weights.

Why it is a fair baseline: every step uses the vectorised pandas operation or the library call a pandas
user would reach for, datasketch and networkx are the standard tools for MinHash/LSH and connected
components, no work is repeated, and the output is the same document (the benchmark checks that the
rings are identical). What it does not do is what the product does to be fast: hash each distinct
shingle once and apply the permutations to whole arrays, run the joins in DuckDB, and read and parse
the CSV files with Arrow.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
from datasketch import MinHash, MinHashLSH

from lendguard.intel.config_model import SIGNALS, DetectionConfig

FILES = {
    "borrowers": "borrower_id",
    "complaints": "complaint_id",
    "phone_changes": None,
    "call_outcomes": "call_id",
    "account_events": None,
}
CST = timezone(timedelta(hours=8))
NOT_WORD = re.compile(r"[\W_]+")
CHAIN = ["borrower_id", "file", "row_id", "field", "value", "request_row", "request_kind", "complaint_row", "filed_at"]


# -- reading -------------------------------------------------------------------------------------


def read(directory: Path, name: str) -> pd.DataFrame:
    """A file as text columns with a ``row_id`` (the id column, or the record's line number)."""
    path = directory / f"{name}.csv"
    if not path.exists():
        return pd.DataFrame(columns=["row_id", "borrower_id"])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.apply(lambda c: c.str.strip() if c.name != "text" else c)
    id_column = FILES[name]
    frame["row_id"] = frame[id_column] if id_column else (frame.index + 2).astype(str)
    return frame.replace("", None)


def phones(series: pd.Series) -> pd.Series:
    digits = series.str.replace(r"[^0-9]", "", regex=True)
    digits = digits.where(~digits.str.startswith("0086", na=False), digits.str[4:])
    return digits.where(~(digits.str.startswith("86", na=False) & (digits.str.len() == 13)), digits.str[2:])


def epoch(series: pd.Series) -> pd.Series:
    """Epoch seconds of ISO 8601 strings; strings without an offset are UTC+8."""
    has_offset = series.str.contains(r"(?:Z|[+-]\d\d:\d\d)$", regex=True, na=False)
    stamps = pd.to_datetime(series.where(has_offset, series + "+08:00"), format="ISO8601", utc=True)
    return (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def load(directory: Path) -> dict[str, pd.DataFrame]:
    """The five files, normalised."""
    t = {name: read(directory, name) for name in FILES}
    complaints, changes, calls, events = t["complaints"], t["phone_changes"], t["call_outcomes"], t["account_events"]
    complaints["contact_phone"] = phones(complaints["contact_phone"])
    complaints["contact_email"] = complaints["contact_email"].str.lower()
    complaints["filed_at"] = epoch(complaints["filed_at"])
    if len(changes):
        changes["new_phone"] = phones(changes["new_phone"])
        changes["changed_at"] = epoch(changes["changed_at"])
    if len(calls):
        calls["forwarded_to"] = phones(calls["forwarded_to"])
    if len(events):
        events["at"] = epoch(events["at"])
    return t


# -- templates -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    return NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str, k: int) -> list[bytes]:
    if len(text) < k:
        return [text.encode()] if text else []
    return [g.encode() for g in {text[i : i + k] for i in range(len(text) - k + 1)}]


def templates(complaints: pd.DataFrame, config: DetectionConfig) -> pd.Series:
    """Cluster label per complaint: the row id of the cluster's first complaint, or None."""
    p = config.template
    folded = complaints["text"].fillna("").map(fold)
    eligible = folded[folded.str.len() >= p.min_chars]
    keys = list(eligible.index)
    perms = p.bands * p.rows
    hashes = MinHash.bulk([shingles(t, p.shingle) for t in eligible], num_perm=perms, seed=p.seed)
    lsh = MinHashLSH(threshold=p.similarity, num_perm=perms, params=(p.bands, p.rows))
    with lsh.insertion_session() as session:
        for key, m in zip(keys, hashes, strict=True):
            session.insert(key, m)
    by_key = dict(zip(keys, hashes, strict=True))
    graph = nx.Graph()
    for key, m in by_key.items():
        for other in lsh.query(m):
            if other > key and m.jaccard(by_key[other]) >= p.similarity:
                graph.add_edge(key, other)
    head = {key: min(cluster) for cluster in nx.connected_components(graph) for key in cluster}
    labels = pd.Series(complaints.loc[list(head.values()), "row_id"].to_numpy(), index=list(head), dtype=object)
    return labels.reindex(complaints.index)


# -- candidate rings -----------------------------------------------------------------------------


def links(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    c, ch, co = t["complaints"], t["phone_changes"], t["call_outcomes"]
    parts = [
        c.assign(kind="phone", value=c["contact_phone"], file="complaints.csv", field="contact_phone"),
        c.assign(kind="email", value=c["contact_email"], file="complaints.csv", field="contact_email"),
    ]
    if len(ch):
        parts.append(ch.assign(kind="phone", value=ch["new_phone"], file="phone_changes.csv", field="new_phone"))
    if len(co):
        parts.append(co.assign(kind="phone", value=co["forwarded_to"], file="call_outcomes.csv", field="forwarded_to"))
    cols = ["borrower_id", "kind", "value", "file", "row_id", "field"]
    return pd.concat([p[cols] for p in parts], ignore_index=True).dropna(subset=["value"])


def rings(t: dict[str, pd.DataFrame], config: DetectionConfig) -> tuple[list[list[str]], pd.DataFrame, pd.DataFrame]:
    """Candidate rings, the links to shared indicators, and the mobile links in a shared block."""
    all_links = links(t)
    holders = all_links.groupby(["kind", "value"])["borrower_id"].nunique().rename("holders").reset_index()
    shared = holders[(holders["holders"] >= 2) & (holders["holders"] <= config.max_indicator_borrowers)]
    shared_links = all_links.merge(shared[["kind", "value"]], on=["kind", "value"])
    mobile = all_links[
        (all_links["kind"] == "phone") & (all_links["value"].str.len() == 11) & all_links["value"].str.startswith("1")
    ]
    mobile = mobile.assign(prefix=mobile["value"].str[: config.segment_prefix])
    blocks = mobile.groupby("prefix").agg(b=("borrower_id", "nunique"), v=("value", "nunique"))
    blocks = blocks[
        (blocks["b"] >= config.min_segment_borrowers)
        & (blocks["v"] >= config.min_segment_numbers)
        & (blocks["b"] <= config.max_indicator_borrowers)
    ]
    graph = nx.Graph()
    graph.add_edges_from(
        zip("b:" + shared_links["borrower_id"], shared_links["kind"] + ":" + shared_links["value"], strict=True)
    )
    in_block = mobile[mobile["prefix"].isin(blocks.index)]
    graph.add_edges_from(zip("b:" + in_block["borrower_id"], "segment:" + in_block["prefix"], strict=True))
    if config.link_templates:
        c = t["complaints"].dropna(subset=["template"])
        graph.add_edges_from(zip("b:" + c["borrower_id"], "template:" + c["template"], strict=True))
    found = []
    for component in nx.connected_components(graph):
        members = sorted(n[2:] for n in component if n.startswith("b:"))
        if len(members) >= config.min_ring_borrowers:
            found.append(members)
    virtual = mobile["value"].str[:3].isin(config.virtual_segments)
    segment_links = pd.concat(
        [
            in_block[["borrower_id", "prefix", "file", "row_id", "field", "value"]],
            mobile[virtual].assign(prefix=mobile["value"].str[:3])[
                ["borrower_id", "prefix", "file", "row_id", "field", "value"]
            ],
        ]
    ).drop_duplicates()
    return sorted(found), shared_links, segment_links


# -- scoring -------------------------------------------------------------------------------------


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(CST).isoformat()


def burst(complaints: list[tuple[str, str, str, int]], config: DetectionConfig) -> list[tuple[str, str, str, int]]:
    """The most complaints through one channel within the window (earliest channel and start on ties)."""
    best: list[tuple[str, str, str, int]] = []
    for channel in sorted({c[2] for c in complaints}):
        items = sorted((c for c in complaints if c[2] == channel), key=lambda c: (c[3], c[1]))
        start = 0
        for end in range(len(items)):
            while items[end][3] - items[start][3] > config.burst_hours * 3600:
                start += 1
            if end - start + 1 > len(best):
                best = items[start : end + 1]
    return best if len(best) >= config.burst_min_complaints else []


def score(members: list[str], ev: dict[str, list[tuple[Any, ...]]], config: DetectionConfig) -> dict[str, Any]:
    """One ring: its signals (covered borrowers and evidence cells) and score, as in docs/intel.md."""
    fired: dict[str, tuple[set[str], set[tuple[str, ...]]]] = {}

    # shared_contact: a complaint contact given by two or more of the ring's borrowers
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    contact_holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for b, kind, value, file, _row, _field in ev["links"]:
        holders[(kind, value)].add(b)
        if file == "complaints.csv":
            contact_holders[(kind, value)].add(b)
    contact = [r for r in ev["links"] if r[3] == "complaints.csv" and len(contact_holders[(r[1], r[2])]) >= 2]
    fired["shared_contact"] = ({r[0] for r in contact}, {(r[3], r[4], r[5], r[2], r[0]) for r in contact})
    # phone_takeover: a changed-to or forwarded-to number another of the ring's borrowers also points to
    takeover = [r for r in ev["links"] if r[3] != "complaints.csv" and len(holders[(r[1], r[2])] - {r[0]}) >= 1]
    fired["phone_takeover"] = ({r[0] for r in takeover}, {(r[3], r[4], r[5], r[2], r[0]) for r in takeover})
    indicators = sorted({(r[1], r[2]) for r in contact} | {(r[1], r[2]) for r in takeover})

    fired["third_party_answer"] = (
        {b for b, _row in ev["third_party"]},
        {("call_outcomes.csv", row, "answered_by", "third_party", b) for b, row in ev["third_party"]},
    )

    # template: complaints of two or more of the ring's borrowers in one cluster
    writers: dict[str, set[str]] = defaultdict(set)
    for b, label, _row, _text in ev["templates"]:
        writers[label].add(b)
    texts = [r for r in ev["templates"] if len(writers[r[1]]) >= 2]
    fired["template"] = ({r[0] for r in texts}, {("complaints.csv", r[2], "text", r[3], r[0]) for r in texts})

    segs = ev["segments"]
    fired["number_segment"] = ({r[0] for r in segs}, {(r[2], r[3], r[4], r[5], r[0]) for r in segs})
    indicators += [("segment", p) for p in sorted({r[1] for r in segs}) if len(p) == config.segment_prefix]
    for label in sorted({r[1] for r in texts}):
        common = Counter(r[3] for r in texts if r[1] == label)
        indicators.append(("template", min(common, key=lambda x: (-common[x], x))))

    # sequence: the first chain (in sorted order) of each borrower
    chains: dict[str, tuple[Any, ...]] = {}
    for chain in sorted(ev["sequences"]):
        chains.setdefault(chain[0], chain)
    cells: set[tuple[str, ...]] = set()
    for b, cfile, crow, cfield, cvalue, rrow, rkind, qrow, qat in chains.values():
        cells |= {
            (cfile, crow, cfield, cvalue, b),
            ("account_events.csv", rrow, "kind", rkind, b),
            ("complaints.csv", qrow, "filed_at", iso(qat), b),
        }
    fired["sequence"] = (set(chains), cells)
    best = burst(ev["complaints"], config)
    fired["burst"] = ({c[0] for c in best}, {("complaints.csv", c[1], "channel", c[2], c[0]) for c in best})

    signals: list[dict[str, Any]] = []
    for name in SIGNALS:
        covered, found = fired[name]
        weight = config.weight(name)
        if not covered or weight <= 0:
            continue
        strength = 1.0 if name == "burst" else len(covered & set(members)) / len(members)
        evidence = [{"file": f, "row_id": r, "field": c, "value": v} for f, r, c, v, _b in sorted(found)]
        signals.append({"name": name, "weight": round(weight * strength, 4), "evidence": evidence})
    return {
        "ring_id": "R-" + hashlib.sha256("\n".join(members).encode()).hexdigest()[:12],
        "score": round(min(1.0, sum(s["weight"] for s in signals)), 4),
        "borrowers": members,
        "indicators": [{"kind": k, "value": v} for k, v in indicators],
        "signals": signals,
    }


def sequences(t: dict[str, pd.DataFrame], ring_of: dict[str, int], config: DetectionConfig) -> pd.DataFrame:
    """Change -> cease/repayment-plan request -> complaint chains of ring members (pandas merges)."""
    events, changes, complaints = t["account_events"], t["phone_changes"], t["complaints"]
    cols = ["borrower_id", "t", "file", "row_id", "field", "value"]
    starts = [
        events[events["kind"] == "contact_change"].assign(
            t=lambda e: e["at"], file="account_events.csv", field="kind", value="contact_change"
        )[cols]
        if len(events)
        else pd.DataFrame(columns=cols)
    ]
    if len(changes):
        starts.append(
            changes.assign(
                t=changes["changed_at"], file="phone_changes.csv", field="new_phone", value=changes["new_phone"]
            )[cols]
        )
    start = pd.concat(starts)
    start = start[start["borrower_id"].isin(ring_of)]
    if not len(events) or not len(start):
        return pd.DataFrame(columns=CHAIN)
    requests = events[events["kind"].isin(["cease_request", "repayment_plan_request"])]
    requests = requests.rename(columns={"at": "rt", "row_id": "request_row", "kind": "request_kind"})
    window = config.sequence_days * 86400
    chained = start.merge(requests[["borrower_id", "rt", "request_row", "request_kind"]], on="borrower_id")
    chained = chained[(chained["rt"] >= chained["t"]) & (chained["rt"] <= chained["t"] + window)]
    filed = complaints[["borrower_id", "row_id", "filed_at"]].rename(columns={"row_id": "complaint_row"})
    chained = chained.merge(filed, on="borrower_id")
    chained = chained[(chained["filed_at"] >= chained["rt"]) & (chained["filed_at"] <= chained["rt"] + window)]
    chained = chained.assign(filed_at=chained["filed_at"].astype(int))
    return chained[CHAIN]


def detect(directory: Path, config: DetectionConfig) -> dict[str, Any]:
    """The output document, computed with pandas, datasketch and networkx."""
    t = load(directory)
    complaints, calls = t["complaints"], t["call_outcomes"]
    complaints["template"] = templates(complaints, config)
    found, shared_links, segment_links = rings(t, config)
    ring_of = {b: i for i, members in enumerate(found) for b in members}
    evidence: dict[str, dict[int, list[tuple[Any, ...]]]] = {}

    def gather(name: str, frame: pd.DataFrame, columns: list[str]) -> None:
        """Rows of ring members as tuples of ``columns``, grouped by ring."""
        grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        frame = frame[frame["borrower_id"].isin(ring_of)]
        for ring, row in zip(
            frame["borrower_id"].map(ring_of), zip(*(frame[c] for c in columns), strict=True), strict=True
        ):
            grouped[ring].append(row)
        evidence[name] = grouped

    gather("links", shared_links, ["borrower_id", "kind", "value", "file", "row_id", "field"])
    gather("segments", segment_links, ["borrower_id", "prefix", "file", "row_id", "field", "value"])
    if len(calls):
        gather("third_party", calls[calls["answered_by"] == "third_party"], ["borrower_id", "row_id"])
    else:
        evidence["third_party"] = defaultdict(list)
    gather("templates", complaints.dropna(subset=["template"]), ["borrower_id", "template", "row_id", "text"])
    complaints = complaints.assign(filed_at=complaints["filed_at"].astype(int))
    gather("complaints", complaints, ["borrower_id", "row_id", "channel", "filed_at"])
    chains = sequences(t, ring_of, config)
    gather("sequences", chains, list(chains.columns))

    scored = [score(members, {k: v[i] for k, v in evidence.items()}, config) for i, members in enumerate(found)]
    kept = sorted((r for r in scored if r["score"] >= config.threshold), key=lambda r: (-r["score"], r["ring_id"]))
    borrowers = sorted(
        ({"borrower_id": b, "ring_id": r["ring_id"], "score": r["score"]} for r in kept for b in r["borrowers"]),
        key=lambda d: (-d["score"], d["borrower_id"]),
    )
    return {"engine": "pandas+networkx", "parameters": config.as_dict(), "rings": kept, "borrowers": borrowers}
