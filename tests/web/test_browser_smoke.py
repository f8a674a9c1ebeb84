"""Browser smoke test: headless Chromium logs in and sees the home page."""

from __future__ import annotations

from typing import Any

import pytest

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = pytest.mark.browser


def test_a_user_logs_in_with_chromium_and_sees_the_home_page(
    container: Container, live_server: str, chromium: Any
) -> None:
    tenant = make_tenant(container, "lender-web")
    page = chromium.new_page()
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("input[name=username]", f"{tenant.code}-{Role.SUPERVISOR.value}")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "lender-web Ltd"
    assert page.locator("#stage-counts").is_visible()
    assert page.locator("nav a", has_text="Collections").count() == 1
