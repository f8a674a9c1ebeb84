"""Build the labelled collection-message set of the screener (issue 4): ``messages.jsonl``.

Run ``.venv/bin/python datasets/screening/build.py``; the output is deterministic (fixed seed).
Messages come from templates (slots for names, amounts, days and the offending phrase) plus the
hand-written items in ``hand_items.py``. Evasions are applied to the offending phrase: traditional
characters, full-width forms, spaces or symbols between characters, pinyin, initials, homophones,
emoji; English: leetspeak, spelled-out letters, masking with ``*``, full-width forms.

The split is fixed and documented in ``README.md``: whole template families (and hand items one by
one) go to ``test`` when the first 8 hex digits of SHA-256 of their id, taken within each
(language, category) stratum in sorted order, fall in the first 30 % of that stratum.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import opencc
from hand_items import HAND
from templates import EN_KEYS, EN_NEG, EN_POS, ZH_KEYS, ZH_NEG, ZH_POS

OUT = Path(__file__).resolve().parent / "messages.jsonl"
SEED = 20261126
PER_POS_TEMPLATE = {"zh": 9, "en": 8}
PER_NEG_TEMPLATE = {"zh": 12, "en": 10}

ZH_NAMES = [
    "张先生",
    "李女士",
    "王伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴婷",
    "徐强",
    "孙丽",
    "马俊",
    "胡小姐",
    "郭先生",
    "何芳",
    "高翔",
    "林女士",
    "罗斌",
    "郑先生",
    "梁静",
    "宋女士",
    "谢先生",
    "韩梅",
]
EN_NAMES = [
    "Mr. Smith",
    "Ms. Garcia",
    "John",
    "Maria",
    "David Lee",
    "Sarah",
    "Mr. Johnson",
    "Ms. Brown",
    "Kevin",
    "Ms. Nguyen",
    "Robert",
    "Aisha",
    "Mr. Patel",
    "Emily",
    "Carlos",
    "Ms. Wilson",
    "James",
    "Linda",
]
COMPANIES_ZH = ["安信消费金融", "恒通小贷", "融e借", "快易花", "佳和金融"]
COMPANIES_EN = ["ABC Recovery", "Summit Credit", "Harbor Lending", "Northside Collections", "Bluebird Finance"]
# A lawful location message to someone other than the debtor must not name a debt-collection business
# (15 USC 1692b; 12 CFR 1006.10): those templates use neutral trading names (same count, same draws).
NEUTRAL_EN = ["ABC Services", "Summit Partners", "Harbor Group", "Northside Associates", "Bluebird Office"]
GOODS_ZH = ["苹果手机", "笔记本电脑", "名牌包", "电动车", "化妆品", "游戏机"]
GOODS_EN = ["iPhone", "MacBook", "designer handbag", "PlayStation", "sofa", "engagement ring"]
PHONES = ["400-820-1234", "400-600-8888", "95188", "(800) 555-0100", "1-888-555-0199"]

HOMOPHONES = {
    "傻逼": ["煞笔", "傻比", "沙比", "傻b", "傻X"],
    "去死": ["去屎", "趣死"],
    "废物": ["废wu", "费物"],
    "老赖": ["老癞", "老濑"],
    "人渣": ["人楂", "人渣渣"],
    "脑残": ["脑惨", "nc"],
    "草泥马": ["艹泥马", "草尼马"],
    "你妈死了": ["你马死了", "你吗死了"],
    "打断你的腿": ["打段你的腿"],
    "爆通讯录": ["暴通讯录", "爆通迅录"],
    "上门": ["尚门"],
    "黑名单": ["嘿名单", "黑明单"],
    "公安局": ["公按局"],
}
PINYIN = {
    "傻逼": ["shabi", "sha bi", "SB", "sb"],
    "你妈死了": ["nmsl", "ni ma si le"],
    "草泥马": ["cnm", "caonima"],
    "他妈的": ["tmd"],
    "脑残": ["naocan"],
    "去死": ["qusi"],
    "白痴": ["baichi"],
    "智障": ["zhizhang", "mdzz"],
    "王八蛋": ["wbd", "wangbadan"],
}
EMOJI = {"刀": "🔪", "砍": "🔪", "猪": "🐷", "狗": "🐶", "死": "💀", "火": "🔥", "炸": "💣"}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$"}


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def zh_evasion(rng: random.Random, key: str) -> tuple[str, str]:
    """Apply one Chinese evasion to the offending phrase; return (new phrase, evasion name)."""
    options = ["none", "none", "space", "symbol", "trad", "fullwidth", "emoji"]
    kind = rng.choice(options)
    if any(k in key for k in PINYIN) and rng.random() < 0.4:
        kind = "pinyin"
    elif any(k in key for k in HOMOPHONES) and rng.random() < 0.35:
        kind = "homophone"
    if kind == "space":
        return " ".join(key), kind
    if kind == "symbol":
        sep = rng.choice(["*", ".", "-", "~", "|", "、", "_"])
        return sep.join(key), kind
    if kind == "emoji":
        for ch, em in EMOJI.items():
            if ch in key:
                return key.replace(ch, em, 1), kind
        mid = max(1, len(key) // 2)
        return key[:mid] + rng.choice(["😡", "👊", "🙂", "💢"]) + key[mid:], kind
    if kind == "pinyin":
        for word, forms in PINYIN.items():
            if word in key:
                return key.replace(word, rng.choice(forms), 1), kind
    if kind == "homophone":
        for word, forms in HOMOPHONES.items():
            if word in key:
                return key.replace(word, rng.choice(forms), 1), kind
    return key, kind  # trad / fullwidth are applied to the whole message, "none" does nothing


def en_evasion(rng: random.Random, key: str) -> tuple[str, str]:
    """Apply one English evasion to the offending phrase."""
    kind = rng.choice(["none", "none", "leet", "spaced", "dotted", "masked", "fullwidth", "upper", "emoji"])
    words = key.split()
    target = max(words, key=len)
    if kind == "leet":
        new = "".join(LEET.get(c, c) if rng.random() < 0.6 else c for c in target)
    elif kind == "spaced":
        new = " ".join(target)
    elif kind == "dotted":
        new = ".".join(target)
    elif kind == "masked" and len(target) > 3:
        new = target[0] + "*" + target[2:]
    elif kind == "upper":
        new = target.upper()
    elif kind == "emoji":
        return key.replace(" ", " 😡 ", 1) if " " in key else key + " 😡", kind
    else:
        return key, kind
    return key.replace(target, new, 1), kind


def fill(rng: random.Random, text: str, lang: str, neutral: bool = False) -> str:
    zh = lang == "zh"
    last4 = f"{rng.randint(0, 9999):04d}"
    return text.format(
        name=rng.choice(ZH_NAMES if zh else EN_NAMES),
        amount=rng.choice([860, 1200, 2350, 3999, 5000, 12800, 450, 760, 1580, 2999, 620, 8800, 315, 4200]),
        days=rng.choice([3, 7, 15, 30, 45, 60, 90]),
        company=rng.choice(COMPANIES_ZH if zh else (NEUTRAL_EN if neutral else COMPANIES_EN)),
        goods=rng.choice(GOODS_ZH if zh else GOODS_EN),
        phone=rng.choice(PHONES),
        last4=last4,
        date=rng.choice(["3月15日", "4月1日", "本月20日"] if zh else ["March 15", "April 1", "the 20th"]),
        k="{k}",
        k2="{k2}",
    )


def make_positive(rng: random.Random, lang: str, template: dict[str, Any]) -> dict[str, Any]:
    keys = ZH_KEYS if lang == "zh" else EN_KEYS
    text = fill(rng, template["text"], lang)
    cats = set(template.get("also", []))
    verdict = "pass"
    evasions = []
    for slot, category in (("k", template["cat"]), ("k2", template.get("cat2"))):
        if category is None:
            continue
        phrase, severity = rng.choice(keys[category])
        new, kind = zh_evasion(rng, phrase) if lang == "zh" else en_evasion(rng, phrase)
        evasions.append(kind)
        text = text.replace("{" + slot + "}", new)
        cats.add(category)
        verdict = _worse(verdict, severity)
    party = template.get("party", "debtor")
    if "disclosure" in cats or ("goods_mention" in cats and party != "debtor"):
        verdict = "block"
    for kind in evasions:
        if kind == "trad" and lang == "zh":
            text = opencc.OpenCC("s2t").convert(text)
        elif kind == "fullwidth":
            text = fullwidth(text) if lang == "en" else text.translate(_ZH_FULLWIDTH_DIGITS)
    return {"text": text, "party": party, "categories": sorted(cats), "verdict": verdict, "evasion": evasions}


_ZH_FULLWIDTH_DIGITS = {ord(str(i)): chr(0xFF10 + i) for i in range(10)}


def _worse(a: str, b: str) -> str:
    order = {"pass": 0, "review": 1, "block": 2}
    return a if order[a] >= order[b] else b


def assign_splits(groups: dict[tuple[str, str], list[str]]) -> dict[str, str]:
    """Within each (language, category) stratum, the first 30 % of ids by SHA-256 go to test."""
    split: dict[str, str] = {}
    for members in groups.values():
        ordered = sorted(set(members), key=lambda g: hashlib.sha256(g.encode()).hexdigest())
        cut = round(len(ordered) * 0.3)
        for i, group in enumerate(ordered):
            split[group] = "test" if i < cut else "train"
    return split


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for lang, positives, negatives in (("zh", ZH_POS, ZH_NEG), ("en", EN_POS, EN_NEG)):
        for template in positives:
            strata[(lang, template["cat"])].append(template["id"])
            for _ in range(PER_POS_TEMPLATE[lang]):
                row = make_positive(rng, lang, template)
                if row["text"] not in seen:
                    seen.add(row["text"])
                    rows.append({"group": template["id"], "lang": lang, "source": "template", **row})
        for template in negatives:
            strata[(lang, "negative")].append(template["id"])
            for _ in range(PER_NEG_TEMPLATE[lang]):
                text = fill(rng, template["text"], lang, neutral=template.get("party", "debtor") != "debtor")
                evasion = []
                if lang == "zh" and rng.random() < 0.15:
                    text, evasion = opencc.OpenCC("s2t").convert(text), ["trad"]
                if text not in seen:
                    seen.add(text)
                    rows.append(
                        {
                            "group": template["id"],
                            "lang": lang,
                            "source": "template",
                            "text": text,
                            "party": template.get("party", "debtor"),
                            "categories": [],
                            "verdict": template.get("verdict", "pass"),
                            "evasion": evasion,
                        }
                    )
    for n, item in enumerate(HAND, start=1):
        group = f"hand.{item['lang']}.{n:03d}"
        cats = item.get("categories", [])
        strata[(item["lang"], cats[0] if cats else "negative")].append(group)
        rows.append({"group": group, "source": "hand", "party": "debtor", "evasion": [], **item, "categories": cats})
    split = assign_splits(strata)
    counters: dict[str, int] = defaultdict(int)
    for row in rows:
        counters[row["lang"]] += 1
        row["id"] = f"{row['lang']}-{counters[row['lang']]:04d}"
        row["split"] = split[row["group"]]
    return rows


def main() -> None:
    rows = build()
    keys = ["id", "lang", "party", "text", "verdict", "categories", "evasion", "source", "group", "split"]
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({k: row[k] for k in keys}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages to {OUT}")


if __name__ == "__main__":
    main()
