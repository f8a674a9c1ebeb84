"""Equivalence check of screener changes (issue 4): identical verdicts and findings, offsets included.

Dumps the results of one version of the screener on a fixed corpus, to compare with another version:
the labelled set (every party and language setting), 20,000 benchmark messages (debtor; the first
5,000 also as a third party) and 20,000 random strings of lexicon terms, evasion characters, digits
and fragments of labelled messages (debtor and third party): 76,385 screenings.

    git archive OLD src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/screen_equivalence.py dump /tmp/old.pkl
    .venv/bin/python benchmarks/screen_equivalence.py dump /tmp/new.pkl --batch   # Screener.screen_many
    .venv/bin/python benchmarks/screen_equivalence.py compare /tmp/old.pkl /tmp/new.pkl
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen import DATASET, make_messages

Case = tuple[str, str, str]  # text, party, lang
Outcome = tuple[str, str, tuple[tuple[str, int, int, str, str], ...]]  # verdict, lang, findings


def corpus(screener: object) -> list[Case]:
    """The fixed corpus (seeded), built from the labelled set and the screener's own lexicons."""
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    labelled = [str(r["text"]) for r in rows]
    rng = random.Random(7)
    pieces: list[str] = []
    base = screener.base  # type: ignore[attr-defined]
    for lexicon in (base.zh, base.en):
        for entry in lexicon.entries:
            pieces.extend(entry.terms)
        for _, terms in lexicon.lawful:
            pieces.extend(terms)
        pieces.extend(lexicon.negation)
        pieces.extend(lexicon.quote_cues)
    alphabet = list(
        "傻逼你這個老賴 ,.*-_|、。！？abcSBfuck1d0t@$ＡＢｎｍ１２３🔪🙂👊\u200b\u3000您的买手机\t“”「」\"'号路栋室单元"
        "0123456789-XＸ\n㈱①ﬁß\U00020000İ"
    )

    def random_text() -> str:
        out = []
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            if r < 0.4:
                piece = rng.choice(pieces)
                if rng.random() < 0.3:
                    piece = rng.choice([" ", ".", "🙂", "\u200b", "*", "\u3000"]).join(piece)
                out.append(piece)
            elif r < 0.7:
                out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10))))
            elif r < 0.85:
                text = rng.choice(labelled)
                at = rng.randint(0, len(text))
                out.append(text[at : at + rng.randint(1, 30)])
            else:
                out.append("".join(rng.choice("0123456789 -") for _ in range(rng.randint(5, 22))))
        return "".join(out)

    randoms = [random_text() for _ in range(20_000)]
    bench = make_messages(20_000, 4)
    cases: list[Case] = [
        (t, p, lang)
        for t in labelled
        for p in ("debtor", "designated_contact", "third_party")
        for lang in ("auto", "zh", "en")
    ]
    cases += [(t, "debtor", "auto") for t in bench] + [(t, "third_party", "auto") for t in bench[:5_000]]
    cases += [(t, p, "auto") for t in randoms for p in ("debtor", "third_party")]
    return cases


def dump(path: str, batch: bool) -> None:
    from lendguard.collections.screening.engine import load_screener

    screener = load_screener()
    cases = corpus(screener)

    def outcome(r: object) -> Outcome:
        findings = tuple((f.category, f.start, f.end, f.evidence, f.rule) for f in r.findings)  # type: ignore[attr-defined]
        return (r.verdict, r.lang, findings)  # type: ignore[attr-defined]

    results: list[Outcome | None] = [None] * len(cases)
    if batch:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, (_, party, lang) in enumerate(cases):
            groups[(party, lang)].append(i)
        for (party, lang), indices in groups.items():
            for low in range(0, len(indices), 777):  # batches that do not line up with the chunks
                part = indices[low : low + 777]
                screened = screener.screen_many([cases[i][0] for i in part], party=party, lang=lang)
                for i, r in zip(part, screened, strict=True):
                    results[i] = outcome(r)
    else:
        results = [outcome(screener.screen(t, party=p, lang=lang)) for t, p, lang in cases]
    Path(path).write_bytes(pickle.dumps((cases, results)))
    print(f"{len(cases):,} screenings, {sum(1 for r in results if r and r[2]):,} with findings -> {path}")


def compare(old: str, new: str) -> int:
    cases_a, a = pickle.loads(Path(old).read_bytes())
    cases_b, b = pickle.loads(Path(new).read_bytes())
    if cases_a != cases_b:
        print("the corpora differ")
        return 1
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    print(f"{len(a):,} screenings, {len(differ)} differ")
    for i in differ[:10]:
        print(repr(cases_a[i]), "\n  old", a[i], "\n  new", b[i])
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--batch", action="store_true", help="screen with Screener.screen_many")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.batch)
    else:
        raise SystemExit(compare(args.old, args.new))


if __name__ == "__main__":
    main()
