"""The cyclic garbage collector around a detection run (runner._without_cycle_collection)."""

from __future__ import annotations

import gc

from lendguard.intel.runner import detect_directory
from tests.intel.conftest import SMALL


def test_a_run_restores_the_collector_and_its_survivors_are_old() -> None:
    assert gc.isenabled()
    doc, rows = detect_directory(SMALL)
    assert gc.isenabled()
    # the run's survivors went straight to the oldest generation (a young collection would have moved
    # them one generation up): full collections still look at them
    assert any(o is rows for o in gc.get_objects(generation=2))
    assert doc["rings"]


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    marker: list[object] = [object()]
    gc.freeze()
    try:
        detect_directory(SMALL)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert not any(o is marker for o in gc.get_objects())  # still in the permanent generation
    finally:
        gc.unfreeze()
    assert any(o is marker for o in gc.get_objects())


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        detect_directory(SMALL)
        assert not gc.isenabled()
    finally:
        gc.enable()
