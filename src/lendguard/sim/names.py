"""Plausible Chinese personal names and e-mail addresses, drawn vectorised.

Surnames follow a rough frequency order of the most common surnames; given names take one or two
characters from pools that lean male or female (the ID number's sex digit agrees with the pool).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
from pypinyin import Style, lazy_pinyin

from lendguard.sim import writer

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林博文东建国志成海峰亮晨阳"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英梅琳雪燕红萍婷玉兰慧颖洁琴云莉倩佳欣悦彤怡晶璐丹妍瑶蓉薇菲"
# Zipf-like: the top surnames (王, 李, 张 ...) carry a large share of the population.
_SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
SURNAME_P = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()

MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "foxmail.com", "outlook.com", "gmail.com")
MAIL_DOMAIN_P = np.array([0.38, 0.2, 0.1, 0.06, 0.08, 0.06, 0.07, 0.05])


@cache
def pinyin_of(chars: str) -> tuple[str, ...]:
    """Toneless pinyin of each character of ``chars`` (for e-mail local parts)."""
    return tuple(lazy_pinyin(ch, style=Style.NORMAL)[0] for ch in chars)


def draw_names(rng: np.random.Generator, male: np.ndarray) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:
    """Names for people of the given sex; also the surname and given-character indices.

    Returns ``(names, surname_idx, first_idx, second_idx)``; ``second_idx`` is -1 for one-character
    given names (about a quarter of people).
    """
    n = len(male)
    surname = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    pool_size = len(MALE_CHARS)
    first = rng.integers(0, pool_size, n)
    second = np.where(rng.random(n) < 0.75, rng.integers(0, pool_size, n), -1)
    return names_from(surname, first, second, male), surname, first, second


def names_from(surname: np.ndarray, first: np.ndarray, second: np.ndarray, male: np.ndarray) -> pa.Array:
    """Assemble names from indices (used for relatives who share a surname)."""
    given_pool = list(MALE_CHARS) + list(FEMALE_CHARS)
    offset = np.where(male, 0, len(MALE_CHARS))
    sur = writer.pick(list(SURNAMES), surname)
    g1 = writer.pick(given_pool, first + offset)
    g2 = writer.pick([*given_pool, ""], np.where(second < 0, len(given_pool), second + offset))
    return writer.cat(sur, g1, g2)


def draw_emails(
    rng: np.random.Generator,
    surname: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    male: np.ndarray,
) -> pa.Array:
    """E-mail addresses: numeric QQ mailboxes or pinyin-based names with a few digits."""
    n = len(surname)
    domain = rng.choice(len(MAIL_DOMAINS), size=n, p=MAIL_DOMAIN_P)
    sur_py = pinyin_of(SURNAMES)
    given_py = pinyin_of(MALE_CHARS) + pinyin_of(FEMALE_CHARS)
    offset = np.where(male, 0, len(MALE_CHARS))
    local = writer.cat(
        writer.pick(sur_py, surname),
        writer.pick(given_py, first + offset),
        writer.pick([*given_py, ""], np.where(second < 0, len(given_py), second + offset)),
        writer.ints(rng.integers(1, 9999, n)),
    )
    qq_number = writer.ints(rng.integers(10_000_000, 3_000_000_000, n))
    is_qq = domain == 0
    local = writer.where(is_qq & (rng.random(n) < 0.8), qq_number, local)
    return writer.cat(local, "@", writer.pick(MAIL_DOMAINS, domain))
