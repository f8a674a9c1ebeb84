"""Planted rings and decoys, collection breaches, abusive messages and resellers: the ground truth holds."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable

from lendguard.sim import phones
from lendguard.sim.texts import POPULAR_TEMPLATE

Rows = Callable[[str], list[dict[str, str]]]


def members_by_ring(rows: Rows) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in rows("truth/ring_members"):
        out[row["ring_id"]].add(row["borrower_id"])
    return out


def test_every_kind_of_ring_and_decoy_is_planted(rows: Rows) -> None:
    rings = rows("truth/rings")
    kinds = Counter(r["kind"] for r in rings)
    assert kinds["agent"] >= 5 and kinds["decoy_family"] >= 1
    assert kinds["decoy_law_firm"] >= 1 and kinds["decoy_template"] == 1
    members = members_by_ring(rows)
    for ring in rings:
        assert int(ring["size"]) == len(members[ring["ring_id"]]) >= 2
        assert (ring["care"] in {"low", "medium", "high"}) == (ring["kind"] == "agent")
    # A borrower belongs to at most one planted group.
    everyone = [b for group in members.values() for b in group]
    assert len(everyone) == len(set(everyone))
    assert {r["care"] for r in rings if r["kind"] == "agent"} == {"low", "medium", "high"}


def test_agent_members_are_taken_over_through_the_agents_numbers(rows: Rows) -> None:
    members = members_by_ring(rows)
    pool: dict[str, set[str]] = defaultdict(set)
    for row in rows("truth/ring_indicators"):
        if row["kind"] == "phone":
            pool[row["ring_id"]].add(row["value"])
    changed_to = {r["borrower_id"]: phones.normalise(r["new_phone"]) for r in rows("phone_changes")}
    forwarded = defaultdict(set)
    third_party = Counter()
    for call in rows("call_outcomes"):
        if call["forwarded_to"]:
            forwarded[call["borrower_id"]].add(call["forwarded_to"])
        if call["answered_by"] == "third_party":
            third_party[call["borrower_id"]] += 1
    complaint_phones = defaultdict(set)
    for c in rows("complaints"):
        if c["contact_phone"]:
            complaint_phones[c["borrower_id"]].add(phones.normalise(c["contact_phone"]))
    agents = [r["ring_id"] for r in rows("truth/rings") if r["kind"] == "agent"]
    for ring_id in agents:
        group, numbers = members[ring_id], pool[ring_id]
        taken = {b for b in group if changed_to.get(b) in numbers or forwarded[b] & numbers}
        assert len(taken) >= len(group) // 3, ring_id
        # Every member's complaints give one of the agent's numbers.
        assert all(complaint_phones[b] and complaint_phones[b] <= numbers for b in group), ring_id
        # Members share the agent's numbers (a pool far smaller than the ring).
        assert len(numbers) <= len(group)
    taken_over = [b for ring_id in agents for b in members[ring_id]]
    assert sum(third_party[b] > 0 for b in taken_over) > len(taken_over) / 3


def test_agent_complaints_follow_the_ring_template_in_bursts(rows: Rows) -> None:
    members = members_by_ring(rows)
    template = {r["ring_id"]: r["value"] for r in rows("truth/ring_indicators") if r["kind"] == "template"}
    by_borrower = defaultdict(list)
    for c in rows("complaints"):
        by_borrower[c["borrower_id"]].append(c)
    for ring in rows("truth/rings"):
        if ring["kind"] != "agent":
            continue
        # The demand sentence (third position) is the same for the ring in the careless wording.
        sentences = [s for s in template[ring["ring_id"]].split("。") if s and "{" not in s]
        texts = [c["text"] for b in members[ring["ring_id"]] for c in by_borrower[b]]
        assert texts
        share = sum(any(s in t for s in sentences) for t in texts) / len(texts)
        assert share >= (0.5 if ring["care"] == "high" else 0.8), ring
        filed = sorted(
            dt.datetime.fromisoformat(c["filed_at"]) for b in members[ring["ring_id"]] for c in by_borrower[b]
        )
        limit = {"low": 20, "medium": 45, "high": 90}[ring["care"]]
        assert (filed[-1] - filed[0]).days <= limit, ring


def test_decoys_look_like_rings_only_in_one_respect(rows: Rows) -> None:
    members = members_by_ring(rows)
    rings = {r["ring_id"]: r for r in rows("truth/rings")}
    borrowers = {r["borrower_id"]: r for r in rows("borrowers")}
    complained = {c["borrower_id"] for c in rows("complaints")}
    changed = {r["borrower_id"] for r in rows("phone_changes")}
    texts = defaultdict(list)
    phones_given = defaultdict(set)
    for c in rows("complaints"):
        texts[c["borrower_id"]].append(c["text"])
        if c["contact_phone"]:
            phones_given[c["borrower_id"]].add(phones.normalise(c["contact_phone"]))
    for ring_id, group in members.items():
        kind = rings[ring_id]["kind"]
        if kind == "decoy_family":
            assert len({borrowers[b]["phone"] for b in group}) == 1  # one shared phone ...
            assert not group & complained and not group & changed  # ... and nothing else
        elif kind == "decoy_law_firm":
            all_texts = [t for b in group for t in texts[b]]
            assert len(set(all_texts)) == len(all_texts)  # individual texts
            assert len({p for b in group for p in phones_given[b]}) == 1  # one firm number
            assert not group & changed
        elif kind == "decoy_template":
            head = POPULAR_TEMPLATE.split("{")[0]
            assert all(any(t.startswith(head) for t in texts[b]) for b in group)
            own = [p for b in group for p in phones_given[b]]
            assert len(own) == len(set(own))  # each copier uses their own number
            assert all(p == borrowers[b]["phone"] for b in group for p in phones_given[b])


def test_violations_truth_matches_the_attempts(rows: Rows) -> None:
    attempts = {a["attempt_id"]: a for a in rows("collection_attempts")}
    timezone = {b["borrower_id"]: b["timezone"] for b in rows("borrowers")}
    truth = defaultdict(set)
    for v in rows("truth/violations"):
        truth[v["rule"]].add(v["attempt_id"])
    assert set(truth) == {
        "cn.quiet_hours",
        "cn.connected_calls_per_day",
        "cn.unanswered_per_number_per_day",
        "cn.unrelated_third_party",
    }
    # Recompute two rules independently from the attempts file.
    quiet, strangers = set(), set()
    connected: dict[tuple[str, dt.date], list[tuple[dt.datetime, str]]] = defaultdict(list)
    for a in attempts.values():
        at = dt.datetime.fromisoformat(a["at"])
        if timezone[a["borrower_id"]] == "Asia/Urumqi":
            at -= dt.timedelta(hours=2)
        if a["channel"] in {"call", "sms", "visit", "app_message"} and (at.hour >= 22 or at.hour < 8):
            quiet.add(a["attempt_id"])
        if a["role"] == "unrelated_third_party":
            strangers.add(a["attempt_id"])
        if a["channel"] == "call" and a["role"] == "debtor" and a["outcome"] == "conversation":
            connected[(a["borrower_id"], at.date())].append((at, a["attempt_id"]))
    over = {aid for calls in connected.values() for _, aid in sorted(calls)[3:]}
    assert quiet == truth["cn.quiet_hours"] and quiet
    assert strangers == truth["cn.unrelated_third_party"] and strangers
    assert over == truth["cn.connected_calls_per_day"] and over


def test_abusive_messages_are_labelled_and_lawful_ones_are_not(rows: Rows) -> None:
    labels = {m["message_id"]: m["category"] for m in rows("truth/abusive_messages")}
    messages = rows("collection_messages")
    assert {m["lang"] for m in messages} == {"zh", "en"}
    assert len(set(labels.values())) >= 6
    for m in messages:
        if m["party"] != "debtor" and m["message_id"] in labels:
            assert labels[m["message_id"]] == "disclosure"
        if m["message_id"] not in labels:
            assert "老赖" not in m["text"] and "arrest" not in m["text"]


def test_resellers_query_without_applications(rows: Rows) -> None:
    kind = {r["client_id"]: r["kind"] for r in rows("truth/resellers")}
    assert "reseller" in kind.values() and "honest" in kind.values()
    queries = Counter(q["client_id"] for q in rows("gateway_queries"))
    applications = Counter(a["client_id"] for a in rows("applications"))
    for client, label in kind.items():
        ratio = applications[client] / max(1, queries[client])
        assert (ratio < 0.2) == (label == "reseller"), (client, label, ratio)
