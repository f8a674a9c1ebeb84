"""Every page a demo user can reach from the navigation renders, for every role of a loaded world."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lendguard.platform.app import create_app
from lendguard.platform.bootstrap import Container
from lendguard.sim.load import DEMO_PASSWORD, load_world
from lendguard.sim.world import generate_world


@pytest.fixture
def demo_client(container: Container, tmp_path: Path) -> tuple[TestClient, list[str]]:
    generate_world(borrowers=150, seed=5, out=tmp_path / "world")
    logins = load_world(container, tmp_path / "world")
    return TestClient(create_app(container)), sorted({login.username for login in logins})


def test_every_navigation_page_renders_for_every_demo_user(demo_client: tuple[TestClient, list[str]]) -> None:
    client, usernames = demo_client
    checked = 0
    for username in usernames:
        client.cookies.clear()
        login = client.post("/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False)
        assert login.status_code == 303, username
        home = client.get("/")
        assert home.status_code == 200, username
        links = re.findall(r"<nav>(.*?)</nav>", home.text, re.S)[0]
        for href in re.findall(r'href="([^"]+)"', links):
            page = client.get(href)
            assert page.status_code == 200, f"{username} {href}: {page.status_code}"
            assert "<html" in page.text
            checked += 1
    assert checked > len(usernames)  # every user sees more than the home page
