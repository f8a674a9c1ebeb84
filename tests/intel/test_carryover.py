"""Carrying decisions over to the rings of a new run (pure matching rules of ``carryover_model``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lendguard.intel.carryover_model import DecidedRing, NewRing, best_match, carry_over, jaccard

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = frozenset({("phone", "17012345678")})


def decided(
    ring_id: int,
    members: str,
    status: str = "dismissed",
    indicators: frozenset[tuple[str, str]] = PHONE,
    other: int = 0,
    at: datetime = T1,
) -> DecidedRing:
    return DecidedRing(
        ring_id=ring_id,
        run_id=ring_id * 10,
        members=frozenset(members.split()),
        indicators=indicators,
        other_borrowers=other,
        status=status,
        note=f"note {ring_id}",
        username="alice",
        user_id=7,
        decided_at=at,
    )


def new(members: str, indicators: frozenset[tuple[str, str]] = PHONE, other: int = 0, ref: str = "R-new") -> NewRing:
    return NewRing(ref, frozenset(members.split()), indicators, other)


def test_jaccard() -> None:
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_unchanged_dismissed_ring_stays_dismissed_with_the_earlier_decision() -> None:
    c = best_match(new("B1 B2 B3"), [decided(1, "B1 B2 B3")])
    assert c is not None
    assert (c.status, c.changed, c.from_ring, c.from_run, c.note, c.username, c.decided_at) == (
        "dismissed",
        False,
        1,
        10,
        "note 1",
        "alice",
        T1,
    )
    assert c.added == () and c.removed == () and c.jaccard == 1.0


def test_a_ring_that_grew_goes_back_to_open_and_says_who_is_new() -> None:
    for status in ("dismissed", "confirmed"):
        c = best_match(new("B1 B2 B3 B4"), [decided(1, "B1 B2 B3", status)])
        assert c is not None and c.changed and c.status == "open" and c.decided_status == status
        assert c.added == ("B4",) and c.jaccard == pytest.approx(0.75)
        assert c.as_dict()["changed"] is True and c.as_dict()["status"] == "open"


def test_growth_at_other_institutions_counts_as_a_change() -> None:
    c = best_match(new("B1 B2", other=3), [decided(1, "B1 B2", "confirmed", other=2)])
    assert c is not None and c.changed and c.other_added == 1 and c.status == "open"


def test_a_ring_that_shrank_keeps_its_decision_and_names_who_left() -> None:
    c = best_match(new("B1 B2"), [decided(1, "B1 B2 B3", "confirmed")])
    assert c is not None and not c.changed and c.status == "confirmed" and c.removed == ("B3",)


def test_same_indicator_set_matches_even_with_other_members() -> None:
    c = best_match(new("B7 B8"), [decided(1, "B1 B2")])
    assert c is not None and c.match == "indicators" and c.jaccard == 0.0 and c.changed


def test_member_overlap_below_the_threshold_with_other_indicators_does_not_match() -> None:
    other = frozenset({("email", "x@y.cn")})
    assert best_match(new("B1 B2 B3 B4 B5", other), [decided(1, "B1 B2")]) is None  # Jaccard 0.4
    c = best_match(new("B1 B2 B3 B4", other), [decided(1, "B1 B2")])  # Jaccard 0.5: at the threshold
    assert c is not None and c.match == "members"
    assert best_match(new("B1 B2 B3 B4", other), [decided(1, "B1 B2")], threshold=0.6) is None


def test_the_best_match_wins_then_the_latest_decision() -> None:
    other = frozenset({("email", "x@y.cn")})
    candidates = [decided(1, "B1 B2 B3 B9", "confirmed", other), decided(2, "B1 B2 B3", "dismissed", other)]
    c = best_match(new("B1 B2 B3", other), candidates)
    assert c is not None and c.from_ring == 2 and c.status == "dismissed"
    tie = [decided(3, "B1 B2", "confirmed", at=T2), decided(4, "B1 B2", "dismissed", at=T1)]
    c = best_match(new("B1 B2"), tie)
    assert c is not None and c.from_ring == 3  # same members, same indicators: the more recent decision


def test_open_rings_are_never_a_source() -> None:
    assert best_match(new("B1 B2"), [decided(1, "B1 B2", "open")]) is None


def test_carry_over_indexes_candidates_and_maps_by_ring_ref() -> None:
    priors = [decided(1, "B1 B2 B3"), decided(2, "B7 B8", "confirmed", frozenset({("email", "a@b.cn")}))]
    found = carry_over(
        [
            new("B1 B2 B3", ref="R-a"),
            new("B9 B10", frozenset({("email", "a@b.cn")}), ref="R-b"),
            new("B20 B21", frozenset({("phone", "17099999999")}), ref="R-c"),
        ],
        priors,
    )
    assert sorted(found) == ["R-a", "R-b"]
    assert found["R-a"].status == "dismissed" and found["R-b"].from_ring == 2 and found["R-b"].changed
    with pytest.raises(ValueError):
        carry_over([], priors, threshold=0.0)
