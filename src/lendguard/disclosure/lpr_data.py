"""Loads the packaged one-year LPR table (I/O lives here so :mod:`lendguard.disclosure.lpr` stays pure)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from lendguard.disclosure.lpr import LprTable, parse_lpr_csv


@cache
def packaged_lpr_table() -> LprTable:
    """The table shipped in ``lendguard/disclosure/data/lpr_1y.csv`` (see its PROVENANCE.md)."""
    text = resources.files("lendguard.disclosure").joinpath("data/lpr_1y.csv").read_text(encoding="utf-8")
    return parse_lpr_csv(text)
