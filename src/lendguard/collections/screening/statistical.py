"""Optional statistical ``insult`` layer: a small logistic regression over character n-grams (pure).

Off by default (``LENDGUARD_SCREENING__STATISTICAL`` / ``--statistical``). When on, it runs AFTER the
rule layer on Chinese text and, if the rules found no ``insult``, adds one ``review`` finding
(rule ``stat.insult``) when the model's score reaches the threshold shipped with the weights. It never
removes or weakens a rule finding and never blocks: a score learnt from social-media comments about
race, gender and region (COLD) is evidence for a person to look at, not a reason to stop a message on
its own; the rule layer alone decides ``block``.

The weights are the JSON file ``data/insult_model.json`` written by ``datasets/cold/train_insult_model.py``
(which also records the training command, seed and the training file's checksum in it). Scoring is
plain Python: binary character 1-3-grams of the text (full-width forms and ASCII case folded, one
character for one, so offsets stay those of the original), the sum of their weights scaled by
1/sqrt(number of distinct n-grams), plus the bias. Nothing is fetched at run time.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import repeat

from lendguard.collections.screening.model import Category, Finding, ScreenResult, ScreensText, Verdict
from lendguard.collections.screening.normalise import without_surrogates

FORMAT = "lendguard.insult-ngram-lr/1"
NGRAMS: tuple[int, ...] = (1, 2, 3)
RULE_ID = "stat.insult"
MODEL_FILE = "insult_model.json"
# Weights are shipped rounded to 5 decimals and held as integers in units of 1e-5: their sum is exact,
# so a score does not depend on the (hash-randomised) order in which a set of n-grams is walked.
SCALE = 100_000

# One character for one character, so n-gram positions are offsets into the original text.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20})
_FOLD.update({code: code + 32 for code in range(ord("A"), ord("Z") + 1)})
_FOLD.update({code: code + 32 - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # full-width capitals
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Clause ends: the evidence of a finding is the clause that contributes most to the score.
_CLAUSE_END = re.compile(r"[。！？!?；;，,、\n…~～]+")


def fold(text: str) -> str:
    """Full-width forms to ASCII and ASCII capitals to lower case; same length as ``text``."""
    return text.translate(_FOLD)


def grams(folded: str) -> set[str]:
    """The distinct character 1-, 2- and 3-grams (:data:`NGRAMS`) of an already folded text."""
    length = len(folded)
    return {*folded, *(folded[i : i + 2] for i in range(length - 1)), *(folded[i : i + 3] for i in range(length - 2))}


@dataclass(frozen=True)
class InsultModel:
    """Weights of the n-gram logistic regression and the logit threshold chosen on held-out data.

    ``weights`` are integers in units of ``1 / SCALE``.
    """

    weights: dict[str, int]
    bias: float
    threshold: float

    @classmethod
    def from_json(cls, text: str) -> InsultModel:
        """Parse the JSON written by the training script; a wrong format or n-gram set is refused."""
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            raise ValueError(f"insult model: format {raw.get('format')!r}, expected {FORMAT!r}")
        if tuple(raw.get("ngrams", ())) != NGRAMS:
            raise ValueError(f"insult model: n-grams {raw.get('ngrams')!r}, this scorer computes {list(NGRAMS)}")
        weights = {str(g): round(float(w) * SCALE) for g, w in raw["weights"].items()}
        return cls(weights=weights, bias=float(raw["bias"]), threshold=float(raw["threshold"]))

    def logit(self, text: str) -> float:
        """The model's log-odds that ``text`` is offensive."""
        gs = grams(fold(text))
        if not gs:
            return self.bias
        return self.bias + sum(map(self.weights.get, gs, repeat(0))) / SCALE / math.sqrt(len(gs))

    def probability(self, text: str) -> float:
        """The model's probability that ``text`` is offensive."""
        return 1.0 / (1.0 + math.exp(-self.logit(text)))

    def flags(self, text: str) -> bool:
        """Whether the score reaches the shipped threshold."""
        return self.logit(text) >= self.threshold

    def best_span(self, text: str) -> tuple[int, int]:
        """``(start, end)`` of the clause whose n-grams add most to the score (the whole text if one clause)."""
        folded = fold(text)
        get = self.weights.get
        best, best_span = -(2**62), (0, len(text))
        start = 0
        for end_mark in [*_CLAUSE_END.finditer(folded), None]:
            end = end_mark.start() if end_mark else len(folded)
            if end > start:
                clause = folded[start:end]
                total = sum(map(get, grams(clause), repeat(0)))
                if total > best:
                    best, best_span = total, (start, end)
            start = end_mark.end() if end_mark else end
        return best_span


def applies(text: str, lang: str) -> bool:
    """The model reads Chinese: it runs for ``lang="zh"`` and for ``auto`` text with a Chinese character."""
    return lang == "zh" or (lang == "auto" and _CJK.search(text) is not None)


def augment(model: InsultModel, text: str, result: ScreenResult, lang: str = "auto") -> ScreenResult:
    """``result`` plus a ``review`` ``stat.insult`` finding when the model flags ``text`` and no rule did.

    Rule findings are kept unchanged; the verdict only moves from ``pass`` to ``review``.
    """
    if Category.INSULT.value in result.categories or not applies(text, lang) or not model.flags(text):
        return result
    start, end = model.best_span(text)
    # A lone surrogate shows as U+FFFD, as in the rule findings (same length, offsets unchanged).
    finding = Finding(Category.INSULT.value, start, end, without_surrogates(text[start:end]), RULE_ID)
    findings = sorted([*result.findings, finding], key=lambda f: f.start)
    verdict = Verdict.REVIEW.value if result.verdict == Verdict.PASS.value else result.verdict
    return ScreenResult(verdict=verdict, findings=findings, lang=result.lang)


class WithInsultModel:
    """A rule screener followed by the statistical layer; ``screen``/``screen_many`` as the screener's.

    Wraps from the outside: the rule screener is unchanged and still decides every ``block``.
    """

    def __init__(self, screener: ScreensText, model: InsultModel) -> None:
        self.screener = screener
        self.model = model

    def screen(self, text: str, *, party: str = "debtor", lang: str = "auto") -> ScreenResult:
        """The rule result for ``text``, plus a ``stat.insult`` review finding when the model flags it."""
        return augment(self.model, text, self.screener.screen(text, party=party, lang=lang), lang)

    def screen_many(self, texts: Sequence[str], *, party: str = "debtor", lang: str = "auto") -> list[ScreenResult]:
        """:meth:`screen` for many messages (the rule screener's batch call, then the layer on each)."""
        results = self.screener.screen_many(texts, party=party, lang=lang)
        return [augment(self.model, t, r, lang) for t, r in zip(texts, results, strict=True)]


@lru_cache(maxsize=1)
def load_insult_model() -> InsultModel:
    """The weights shipped in the package, parsed once per process (nothing is downloaded)."""
    package = __name__.rsplit(".", 1)[0]
    return InsultModel.from_json(resources.files(package).joinpath("data", MODEL_FILE).read_text(encoding="utf-8"))
