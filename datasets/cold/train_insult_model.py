"""Train the optional statistical ``insult`` layer of the screener from COLD ``dev.csv`` (never ``test.csv``).

COLD's ``train.csv`` is not in this repository, so the model learns from a fixed, seeded, stratified
split of ``dev.csv``: 80 % to fit the weights, 20 % held out to choose the threshold. The model is a
logistic regression over binary character 1-3-grams (an explicit vocabulary of the n-grams seen in at
least ``--min-df`` training comments, each vector scaled to unit length), the same features that
``src/lendguard/collections/screening/statistical.py`` computes at run time with plain Python.

The regularisation strength is chosen by 5-fold cross-validation on the 80 % (log-loss). The
threshold is the lowest score at which, on the held-out 20 %, comments of label 0 flagged by the rule
layer OR the model stay at or under ``--fp-budget`` (the issue's 5 %) — the layer only ever adds
findings, so the budget is spent on what the rules already flag plus what the model adds.

The project's own labelled set can add collection messages to the training data (``--with-own``,
on by default): the Chinese messages of its *train* split (never the test split), label 1 when they
carry an ``insult`` category and 0 otherwise, so the model sees lawful reminders and the other
categories as "not an insult".

Needs NumPy and SciPy at training time only (SciPy comes with the package's dependencies); the
package scores with plain Python from the JSON it writes:

    .venv/bin/python datasets/cold/train_insult_model.py \
        [--seed 20261126] [--out src/lendguard/collections/screening/data/insult_model.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from lendguard.collections.screening.statistical import FORMAT, NGRAMS, fold, grams

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "datasets" / "cold" / "dev.csv"
OWN = ROOT / "datasets" / "screening" / "messages.jsonl"
OUT = ROOT / "src" / "lendguard" / "collections" / "screening" / "data" / "insult_model.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_dev() -> list[tuple[str, int]]:
    with DEV.open(encoding="utf-8-sig", newline="") as fh:
        return [(row["TEXT"], int(row["label"])) for row in csv.DictReader(fh)]


def read_own_train() -> list[tuple[str, int]]:
    """Chinese messages of the labelled set's train split: 1 when they carry ``insult``, else 0."""
    out = []
    with OWN.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("split") != "train" or row.get("lang") not in ("zh", None):
                continue
            if not any("\u4e00" <= ch <= "\u9fff" for ch in row["text"]):
                continue
            out.append((row["text"], int("insult" in row.get("categories", []))))
    return out


def stratified_split(rows: list[tuple[str, int]], seed: int, held: float) -> tuple[list[int], list[int]]:
    """Indices of the fitting part and the held-out part, the same share of each label in both."""
    rng = random.Random(seed)
    fit: list[int] = []
    out: list[int] = []
    for label in (0, 1):
        idx = [i for i, (_, y) in enumerate(rows) if y == label]
        rng.shuffle(idx)
        cut = round(len(idx) * held)
        out += idx[:cut]
        fit += idx[cut:]
    return sorted(fit), sorted(out)


def matrix(texts: list[str], vocab: dict[str, int]) -> sparse.csr_matrix:
    """Binary n-gram rows scaled by 1/sqrt(number of distinct n-grams), as the run-time scorer does."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        gs = grams(fold(text))
        scale = 1.0 / math.sqrt(len(gs)) if gs else 0.0
        cols = sorted(vocab[g] for g in gs if g in vocab)
        indices += cols
        data += [scale] * len(cols)
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab)))


def fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (bias not penalised) by L-BFGS."""
    _, d = x.shape
    s = 2.0 * y - 1.0

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:d], params[d]
        z = s * (x @ w + b)
        value = np.logaddexp(0.0, -z).sum() + 0.5 / c * float(w @ w)
        g = -s * (1.0 / (1.0 + np.exp(z)))
        grad = np.empty(d + 1)
        grad[:d] = x.T @ g + w / c
        grad[d] = g.sum()
        return float(value), grad

    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x[:d], float(result.x[d])


def build_vocab(texts: list[str], min_df: int) -> dict[str, int]:
    df: Counter[str] = Counter()
    for text in texts:
        df.update(grams(fold(text)))
    kept = sorted(g for g, n in df.items() if n >= min_df)
    return {g: i for i, g in enumerate(kept)}


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def choose_c(texts: list[str], y: np.ndarray, min_df: int, seed: int, grid: list[float]) -> float:
    """The C of the grid with the lowest 5-fold cross-validated log-loss on the fitting part."""
    order = list(range(len(texts)))
    random.Random(seed + 1).shuffle(order)
    folds = [order[k::5] for k in range(5)]
    best = (math.inf, grid[0])
    for c in grid:
        losses = []
        for k in range(5):
            test_idx = folds[k]
            train_idx = [i for j, f in enumerate(folds) if j != k for i in f]
            vocab = build_vocab([texts[i] for i in train_idx], min_df)
            w, b = fit(matrix([texts[i] for i in train_idx], vocab), y[train_idx], c)
            z = matrix([texts[i] for i in test_idx], vocab) @ w + b
            losses.append(log_loss(1 / (1 + np.exp(-z)), y[test_idx]))
        mean = float(np.mean(losses))
        print(f"  C={c:g}: cross-validated log-loss {mean:.4f}", file=sys.stderr)
        if mean < best[0]:
            best = (mean, c)
    return best[1]


def rule_insult(texts: list[str]) -> np.ndarray:
    """Whether the rule layer alone (as shipped) gives each text an ``insult`` finding."""
    from lendguard.collections.screening.engine import load_screener

    screener = load_screener()
    return np.array(["insult" in screener.screen(t, lang="zh").categories for t in texts])


def choose_threshold(z: np.ndarray, y: np.ndarray, rules: np.ndarray, budget: float) -> float:
    """The lowest score threshold keeping (rules OR model) false positives on label 0 within ``budget``."""
    neg = y == 0
    best = math.inf
    for t in sorted(set(np.round(z, 6)), reverse=True):
        flagged = rules | (z >= t)
        if flagged[neg].mean() <= budget:
            best = t
        else:
            break
    return float(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--fp-budget", type=float, default=0.05)
    parser.add_argument("--min-weight", type=float, default=1e-3, help="drop smaller |weights| from the file")
    parser.add_argument("--with-own", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    dev = read_dev()
    fit_idx, held_idx = stratified_split(dev, args.seed, args.held_out)
    train = [dev[i] for i in fit_idx]
    own = read_own_train() if args.with_own else []
    train += own
    texts = [t for t, _ in train]
    y = np.array([float(label) for _, label in train])
    print(
        f"fitting on {len(fit_idx)} dev comments + {len(own)} own train messages; {len(held_idx)} held out",
        file=sys.stderr,
    )

    c = choose_c(texts, y, args.min_df, args.seed, [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0])
    vocab = build_vocab(texts, args.min_df)
    w, b = fit(matrix(texts, vocab), y, c)
    # What ships: rounded weights, the smallest dropped. The threshold is chosen on exactly these.
    w = np.where(np.abs(w) >= args.min_weight, np.round(w, 5), 0.0)
    b = round(b, 6)

    held_texts = [dev[i][0] for i in held_idx]
    held_y = np.array([dev[i][1] for i in held_idx])
    z = matrix(held_texts, vocab) @ w + b
    rules = rule_insult(held_texts)
    threshold = choose_threshold(z, held_y, rules, args.fp_budget)
    model = z >= threshold
    pos, neg = held_y == 1, held_y == 0
    figures = {
        "held_out_rows": len(held_idx),
        "rules_recall": round(float(rules[pos].mean()), 4),
        "rules_fp": round(float(rules[neg].mean()), 4),
        "model_recall": round(float(model[pos].mean()), 4),
        "model_fp": round(float(model[neg].mean()), 4),
        "combined_recall": round(float((rules | model)[pos].mean()), 4),
        "combined_fp": round(float((rules | model)[neg].mean()), 4),
        "accuracy_at_0": round(float(((z >= 0) == pos).mean()), 4),
    }
    print(json.dumps(figures), file=sys.stderr)

    weights = {g: float(w[i]) for g, i in vocab.items() if w[i] != 0.0}
    payload = {
        "format": FORMAT,
        "ngrams": list(NGRAMS),
        "bias": b,
        "threshold": round(threshold, 6),
        "provenance": {
            "script": "datasets/cold/train_insult_model.py",
            "command": " ".join(["python", "datasets/cold/train_insult_model.py", *sys.argv[1:]]),
            "seed": args.seed,
            "train_file": "datasets/cold/dev.csv",
            "train_file_sha256": sha256(DEV),
            "own_file": "datasets/screening/messages.jsonl (split=train, Chinese)" if own else None,
            "own_file_sha256": sha256(OWN) if own else None,
            "licence": "COLD (thu-coai/COLDataset) is Apache-2.0, see datasets/cold/LICENSE.upstream.txt",
            "held_out": args.held_out,
            "min_df": args.min_df,
            "C": c,
            "fp_budget": args.fp_budget,
            "held_out_figures": figures,
        },
        "weights": weights,
    }
    args.out.write_text(
        json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out} ({len(weights)} weights, {args.out.stat().st_size:,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
