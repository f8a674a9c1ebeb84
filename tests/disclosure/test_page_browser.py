"""Headless Chromium fills the disclosure page and HTMX swaps in the rate (no build step, vendored HTMX)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from lendguard.platform.app import create_app
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from tests.conftest import TEST_PASSWORD, make_tenant

CHROMIUM = os.environ.get("LENDGUARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture
def server(container: Container) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    app_server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not app_server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    app_server.should_exit = True
    thread.join(timeout=10)


def test_borrower_computes_the_rate_in_the_browser(container: Container, server: str) -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    tenant = make_tenant(container, "lender-apr")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/login?next=/disclosure")
            page.fill("input[name=username]", f"{tenant.code}-{Role.BORROWER.value}")
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/disclosure")
            page.fill("input[name=principal]", "29000")
            page.fill("input[name=payment]", "1524")
            page.fill("input[name=count]", "24")
            page.click("text=Compute the rate")
            page.wait_for_selector("#apr-pct")
            assert page.locator("#apr-pct").inner_text() == "23.36 %"
            assert page.url == f"{server}/disclosure"  # swapped in place by HTMX, no navigation
        finally:
            browser.close()
