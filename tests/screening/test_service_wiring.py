"""The screening service on the batch path, and the statistical setting honoured by the API and the policy hook.

The ``settings`` fixture is overridden here: every test runs once with the rule layer alone and once
with ``screening.statistical`` on (``LENDGUARD_SCREENING__STATISTICAL``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient

from lendguard.collections.screening import ScreenResult, load_screener
from lendguard.collections.screening.service import Message, screen_grouped
from lendguard.collections.screening.statistical import RULE_ID, WithInsultModel
from lendguard.collections.screening.wiring import service as screening_service
from lendguard.collections.wiring import service as collections_service
from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Role
from lendguard.platform.settings import Settings
from tests.conftest import Tenant

SCREEN = "/v1/collections/messages:screen"
# A COLD dev comment of the model's held-out 20 % that no rule flags and the model does (as in
# test_statistical.py): an insult the rules miss.
MISSED_INSULT = "为啥不拍男的不好查的情节，为了黑女性的，把污水泼到女人身上"
LAWFUL = "您的借款已逾期30天，请尽快还款，如有困难可申请分期"


@pytest.fixture(params=[False, True], ids=["rules", "statistical"])
def settings(request: pytest.FixtureRequest, db_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        security={"password_cost": 10},
        screening={"statistical": request.param},
    )


class Recorder:
    """A screener that records its batch calls (and screens with the real one)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], str, str]] = []
        self.inner = load_screener()

    def screen(self, text: str, *, party: str = "debtor", lang: str = "auto") -> ScreenResult:
        raise AssertionError("the service screens a batch through screen_many")

    def screen_many(self, texts: Sequence[str], *, party: str = "debtor", lang: str = "auto") -> list[ScreenResult]:
        self.calls.append((tuple(texts), party, lang))
        return self.inner.screen_many(texts, party=party, lang=lang)


def test_batch_is_grouped_by_party_and_language_and_kept_in_order() -> None:
    messages = [
        Message("1", "他欠我们的贷款逾期了", "third_party"),
        Message("2", "他欠我们的贷款逾期了"),
        Message("3", "you worthless deadbeat", "debtor", "en"),
        Message("4", "请转告他尽快还款", "designated_contact", "zh"),
        Message("5", LAWFUL),
        Message("6", "Tell him he owes us money", "third_party"),
    ]
    recorder = Recorder()
    results = screen_grouped(recorder, messages)
    screener = load_screener()
    assert results == [screener.screen(m.text, party=m.party, lang=m.lang) for m in messages]
    assert [r.verdict for r in results] == ["block", "pass", "block", "block", "pass", "block"]
    assert sorted((party, lang, len(texts)) for texts, party, lang in recorder.calls) == [
        ("debtor", "auto", 2),
        ("debtor", "en", 1),
        ("designated_contact", "zh", 1),
        ("third_party", "auto", 2),
    ]
    assert screen_grouped(recorder, []) == []


def test_api_adds_a_statistical_finding_only_with_the_setting_on(
    client: TestClient, tenant_a: Tenant, settings: Settings
) -> None:
    body = {
        "messages": [
            {"id": "insult", "text": MISSED_INSULT},
            {"id": "lawful", "text": LAWFUL},
            {"id": "blocked", "text": "再不还钱就打断你的腿"},
        ]
    }
    response = client.post(SCREEN, json=body, headers=tenant_a.headers(Role.COLLECTOR))
    assert response.status_code == 200, response.text
    results = {r["id"]: r for r in response.json()["results"]}
    assert results["lawful"]["verdict"] == "pass"
    assert results["blocked"]["verdict"] == "block"
    assert RULE_ID not in [f["rule"] for f in results["blocked"]["findings"]]
    if settings.screening.statistical:
        assert results["insult"]["verdict"] == "review"
        [finding] = results["insult"]["findings"]
        assert (finding["category"], finding["rule"]) == ("insult", RULE_ID)
        assert MISSED_INSULT[finding["start"] : finding["end"]] == finding["evidence"]
    else:
        assert results["insult"] == {"id": "insult", "verdict": "pass", "findings": []}


def test_service_and_policy_hook_follow_the_setting(container: Container, settings: Settings) -> None:
    on = settings.screening.statistical
    with container.engine.connect() as conn:
        screener = screening_service(container).screener_for(conn, 1)
    assert isinstance(screener, WithInsultModel) is on
    hook = collections_service(container).screener
    assert hook is not None
    outcome = hook.screen(MISSED_INSULT, "debtor")
    assert outcome.verdict == ("review" if on else "pass")
    assert [f.rule for f in outcome.findings] == ([RULE_ID] if on else [])
    assert hook.screen(LAWFUL, "debtor").verdict == "pass"
