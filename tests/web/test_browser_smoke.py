"""Browser smoke test: headless Chromium logs in and sees the home page.

Runs Debian's Chromium (``/usr/bin/chromium``) through Playwright; ``.ci/run`` installs it when it is
missing. Where it cannot run, the test is skipped with the reason (shown by ``pytest -ra``).
"""

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
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(container: Container) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a background thread."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_user_logs_in_with_chromium_and_sees_the_home_page(container: Container, live_server: str) -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package to run the browser test")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    tenant = make_tenant(container, "lender-web")
    username = f"{tenant.code}-{Role.SUPERVISOR.value}"

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/")
            assert "/login" in page.url
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/")
            assert page.locator("h1").inner_text() == "lender-web Ltd"
            assert page.locator("#stage-counts").is_visible()
            assert page.locator("nav a", has_text="Collections").count() == 1
        finally:
            browser.close()
