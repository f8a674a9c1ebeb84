"""A started app keeps its start-up objects out of the cyclic collector, and lets go when it stops."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from lendguard.platform.app import create_app
from lendguard.platform.bootstrap import Container


def test_startup_freezes_the_heap_and_shutdown_unfreezes_it(container: Container) -> None:
    app = create_app(container)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000  # modules, metadata, routes: everything alive at start-up
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
