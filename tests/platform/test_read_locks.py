"""Tenancy reads never wait for a writer: on SQLite they take no write lock (a plain BEGIN, not the
writers' BEGIN IMMEDIATE), so an API-key look-up is not queued behind the gateway's writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.store import institutions
from tests.conftest import Tenant


def finishes_while_a_writer_holds_its_transaction(container: Container, read: Callable[[], Any]) -> Any:
    found: list[Any] = []
    with container.engine.begin() as writer:  # SQLite: BEGIN IMMEDIATE, the database's write lock
        writer.execute(sa.update(institutions).values(name=institutions.c.name))
        reader = threading.Thread(target=lambda: found.append(read()), daemon=True)
        reader.start()
        reader.join(10)  # the busy timeout is 30 s: a read that queued for the lock would still wait
        assert not reader.is_alive(), "the read waited for the writer"
    return found[0]


def test_an_api_key_look_up_does_not_wait_for_a_writer(container: Container, tenant_a: Tenant) -> None:
    key = tenant_a.keys[Role.COLLECTOR]
    principal = finishes_while_a_writer_holds_its_transaction(
        container, lambda: container.tenancy.principal_for_api_key(key)
    )
    assert principal is not None and principal.username == tenant_a.users[Role.COLLECTOR].username


def test_institution_and_user_reads_do_not_wait_for_a_writer(container: Container, tenant_a: Tenant) -> None:
    admin = tenant_a.users[Role.ADMIN]
    found = finishes_while_a_writer_holds_its_transaction(
        container,
        lambda: (container.tenancy.institutions(), container.tenancy.users(admin), container.tenancy.api_keys(admin)),
    )
    assert any(row["code"] == tenant_a.code for row in found[0]) and found[1] and found[2]
