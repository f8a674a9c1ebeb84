"""The library interface the contact-policy engine calls: verdicts, categories, offsets, evasions."""

from __future__ import annotations

import pytest

from lendguard.collections.screening import ExtraTerm, Finding, load_screener
from lendguard.collections.screening.detectors import cn_id_valid, luhn_valid

VALID_ID = "110105199003071239"
VALID_CARD = "6222020200000000006"


def check_offsets(text: str, findings: list[Finding]) -> None:
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.evidence


@pytest.mark.parametrize(
    "text",
    [
        "您的借款已逾期30天，请尽快还款，如有困难可申请分期",
        "we may report the account to a credit bureau as the contract allows",
        "您好，您本期账单应还1200元，可通过App自助还款。",
        "If you are having trouble paying, we can offer a payment plan with no additional fees.",
        "我们不会联系您的家人或通讯录中的任何人。",
    ],
)
def test_lawful_firm_messages_pass(text: str) -> None:
    result = load_screener().screen(text)
    assert result.verdict == "pass", result.findings


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("再不还钱就打断你的腿", "threat"),
        ("你这个傻逼赶紧还钱", "insult"),
        ("我们是公安局的，明天来抓你", "false_authority"),
        ("不还钱就爆你通讯录", "exposure_threat"),
        ("you worthless deadbeat, pay up", "insult"),
        ("We will tell your employer about this", "exposure_threat"),
        ("You will be arrested if you do not pay today", "false_authority"),
        ("逾期要交500元催收费", "unfair_demand"),
        ("去借网贷还我们的钱", "unfair_demand"),
        ("There is a $35 collection fee added to your account", "unfair_demand"),
        (f"你的身份证号{VALID_ID}我们都有", "privacy_exposure"),
        (f"card {VALID_CARD} is on file with us", "privacy_exposure"),
    ],
)
def test_each_category_blocks(text: str, category: str) -> None:
    result = load_screener().screen(text)
    assert result.verdict == "block"
    assert category in result.categories
    check_offsets(text, result.findings)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("你這個傻逼", "傻逼"),  # traditional
        ("你这个傻 逼", "傻 逼"),  # space inserted
        ("你这个傻.*.逼", "傻.*.逼"),  # symbols inserted
        ("ｎｍｓｌ 快还钱", "ｎｍｓｌ"),  # full-width initials
        ("你就是个sb", "sb"),  # initials
        ("shabi 快还", "shabi"),  # pinyin
        ("你个煞笔", "煞笔"),  # homophone
        ("拿🔪砍你", "拿🔪"),  # emoji
        ("you are an 1d10t", "1d10t"),  # leetspeak
        ("f.u.c.k you", "f.u.c.k"),  # spelled out
    ],
)
def test_evasions_map_back_to_original_offsets(text: str, evidence: str) -> None:
    result = load_screener().screen(text)
    assert result.verdict == "block"
    assert evidence in [f.evidence for f in result.findings]
    check_offsets(text, result.findings)


def test_disclosure_depends_on_party() -> None:
    screener = load_screener()
    text = "请转告张三，他的贷款已经逾期，请尽快还款"
    assert screener.screen(text, party="debtor").verdict == "pass"
    for party in ("designated_contact", "third_party"):
        result = screener.screen(text, party=party)
        assert result.verdict == "block"
        assert "disclosure" in result.categories
    assert screener.screen("请转告张三尽快回电", party="third_party").verdict == "pass"


def test_goods_mention_is_reviewed_for_the_debtor_and_blocked_for_others() -> None:
    screener = load_screener()
    text = "你分期买的苹果手机还没还清"
    assert screener.screen(text).verdict == "review"
    assert screener.screen("他买的苹果手机", party="third_party").verdict == "block"


def test_context_rules_negation_and_quoting_the_debtor() -> None:
    screener = load_screener()
    assert screener.screen("我们不会上门，也不会联系您的家人").verdict == "pass"
    assert screener.screen("您说“你们这些骗子”，我们理解您的情绪，请按时还款").verdict == "pass"
    assert screener.screen("你们这些骗子").verdict == "block"
    assert screener.screen("We will not contact your employer.").verdict == "pass"


def test_extra_terms_add_blocking_rules_and_are_cached() -> None:
    base = load_screener()
    assert base.screen("请立即结清尾款").verdict == "pass"
    strict = load_screener([ExtraTerm(category="unfair_demand", term="结清尾款", id="inst.7.1")])
    result = strict.screen("请立即结清尾款")
    assert result.verdict == "block"
    assert result.findings[0].rule == "inst.7.1"
    assert load_screener([("unfair_demand", "结清尾款")]) is load_screener([("unfair_demand", "结清尾款")])
    assert load_screener() is base


def test_bad_party_and_lang_are_rejected() -> None:
    with pytest.raises(ValueError, match="party"):
        load_screener().screen("x", party="boss")
    with pytest.raises(ValueError, match="language"):
        load_screener().screen("x", lang="fr")


def test_number_validators() -> None:
    assert cn_id_valid(VALID_ID)
    assert not cn_id_valid(VALID_ID[:-1] + "0")
    assert luhn_valid(VALID_CARD)
    assert not luhn_valid(VALID_CARD[:-1] + "1")
    # masked numbers and amounts are lawful
    assert load_screener().screen("您尾号0006的银行卡将于明日扣款1200.00元").verdict == "pass"
