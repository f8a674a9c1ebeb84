"""Headless Chromium fills the disclosure page and HTMX swaps in the rate (no build step, vendored HTMX)."""

from __future__ import annotations

from typing import Any

import pytest

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = pytest.mark.browser


def test_borrower_computes_the_rate_in_the_browser(container: Container, live_server: str, chromium: Any) -> None:
    tenant = make_tenant(container, "lender-apr")
    page = chromium.new_page()
    page.goto(f"{live_server}/login?next=/disclosure")
    page.fill("input[name=username]", f"{tenant.code}-{Role.BORROWER.value}")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/disclosure")
    page.fill("input[name=principal]", "29000")
    page.fill("input[name=payment]", "1524")
    page.fill("input[name=count]", "24")
    page.click("text=Compute the rate")
    page.wait_for_selector("#apr-pct")
    assert page.locator("#apr-pct").inner_text() == "23.36 %"
    assert page.url == f"{live_server}/disclosure"  # swapped in place by HTMX, no navigation
