"""Should a complaint's scores also look at its sentences one by one? Compared leave-one-batch-out.

Usage: python bench/sentence_pooling.py [--without BATCH ...]

A summary that lists six issues in one paragraph spreads its words over all six, and each
label's score, tuned on complaints that raise about two, falls under its threshold: the model
trained on batches A-R found 40% of the reasons in summaries raising six or more, and 79% in
those raising one (``bench/batch_scores.py``). Scoring each sentence with the same model and blending the best sentence's score
into the whole text's is one answer. This script
measures it: the bundled model's configuration (thresholds raised by 0.05) is trained once per
batch left out, as in bench/model_selection.py, and the left-out batch is decided by

- ``whole text``: the scores of the whole text (what the model does);
- ``sentences w``: (1 - w) x whole text + w x best sentence, sentences as classify's evidence
  splits them;
- ``parts w``: the same with sentences split further at semicolons and list markers;
- ``sentences w, +r``: the sentence blend with every threshold raised by r more;

with the thresholds unchanged unless said. Prints and saves bench/results/sentence_pooling.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_selection import add_batch_scores, batches, fitted_per_batch  # noqa: E402

from themes.evaluate import compare  # noqa: E402
from themes.model import ThemeClassifier  # noqa: E402
from themes.scheme import load  # noqa: E402
from themes.text import Tokens, tokenise_with_sentences  # noqa: E402
from _results import save  # noqa: E402

MIXES = (0.2, 0.3, 0.4, 0.5)
# Blended scores run higher than whole-text ones, so the blend is also tried with every
# threshold raised a little more, to see whether that gives back the single-issue complaints.
MORE_RAISE = {0.2: (0.03, 0.06), 0.3: (0.03, 0.06, 0.1), 0.4: (0.06, 0.1, 0.15)}
# Within a sentence: semicolons, line breaks and list markers ("a)", "(ii)", "3.", "- ").
SPLIT = re.compile(r";|\n|(?:^|\s)(?:[a-z]\)|\(\w{1,3}\)|\d{1,2}[.)]|-|•)\s")


def parts(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Every part of every text (sentences, split further), and the text each came from."""
    _, sentences = tokenise_with_sentences(texts)
    out, owner = [], []
    for i, (text, spans) in enumerate(zip(texts, sentences, strict=True)):
        found = [
            p for s in spans for p in SPLIT.split(text[s.start : s.end]) if p and len(p.split()) >= 3
        ] or [text]
        out += found
        owner += [i] * len(found)
    return out, np.asarray(owner)


def best_part(model: ThemeClassifier, texts: list[str]) -> np.ndarray:
    pieces, owner = parts(texts)
    scores = model.predict_proba(pieces)
    best = np.zeros((len(texts), scores.shape[1]))
    np.maximum.at(best, owner, scores)
    return best


def best_sentence(model: ThemeClassifier, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Whole-text scores, and each text's best sentence's on its own, with the sentences that
    classify's evidence uses (one spaCy pass, ``Tokens(sentences=True)``)."""
    tokens = Tokens(texts, sentences=True)
    whole = model.proba_from_features(model.features_from_tokens(tokens))
    best = np.zeros_like(whole)
    bounds = tokens.sentences.bounds
    has = np.diff(bounds) > 0
    if has.any():
        scores = model.proba_from_features(model.features_from_arrays(tokens.sentence_arrays(np.arange(len(texts)))))
        best[has] = np.maximum.reduceat(scores, bounds[:-1][has], axis=0)
    return whole, best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--without", nargs="*", default=[], metavar="BATCH")
    args = parser.parse_args()
    data = batches()
    data = data[~data.batch.isin(args.without)].reset_index(drop=True)
    start = time.perf_counter()
    rules = ["whole text"] + [f"sentences {w}" for w in MIXES] + [f"parts {w}" for w in MIXES]
    rules += [f"sentences {w}, +{r}" for w, raises in MORE_RAISE.items() for r in raises]
    results: dict = {r: {} for r in rules}
    for scheme in (load("causes"), load("pillars")):
        y = scheme.target_matrix(data[scheme.id].tolist())
        whole = np.zeros(y.shape)
        part = np.zeros(y.shape)
        sentence = np.zeros(y.shape)
        thresholds = np.zeros(y.shape)
        for held, test, model in fitted_per_batch(data, scheme, y, threshold_raise=0.05):
            texts = data.text[test].tolist()
            whole[test], sentence[test] = best_sentence(model, texts)
            part[test] = best_part(model, texts)
            thresholds[test] = model.thresholds_
            print(f"{scheme.id} {held} done at {time.perf_counter() - start:.0f} s", flush=True)
        decided = {"whole text": whole}
        decided |= {f"sentences {w}": (1 - w) * whole + w * sentence for w in MIXES}
        decided |= {f"parts {w}": (1 - w) * whole + w * part for w in MIXES}
        decided = {rule: (scores, thresholds) for rule, scores in decided.items()}
        for w, raises in MORE_RAISE.items():
            for r in raises:
                decided[f"sentences {w}, +{r}"] = ((1 - w) * whole + w * sentence, np.minimum(thresholds + r, 1.0))
        for rule, (scores, cut) in decided.items():
            passed = scores >= cut
            codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in passed]
            result = compare(scheme, data[scheme.id].tolist(), codes)
            for row in result.summary.to_dict(orient="records"):
                results[rule][f"{scheme.id}/{row['level']} micro"] = round(row["micro_f1"], 4)
                results[rule][f"{scheme.id}/{row['level']} macro"] = round(row["macro_f1"], 4)
            results[rule][f"{scheme.id} per complaint"] = round(float(passed.sum()) / len(passed), 2)
            add_batch_scores(results[rule].setdefault("by batch", {}), scheme, data, codes)
    gold = {f"{s} per complaint": round(sum(len(v) for v in data[s]) / len(data), 2) for s in ("causes", "pillars")}
    for rule in rules:
        print(f"{rule:18s} {json.dumps({k: v for k, v in results[rule].items() if k != 'by batch'})}")
    print("gold", json.dumps(gold))
    save({"seconds": round(time.perf_counter() - start, 1), "batches": int(data.batch.nunique()),
          "complaints": len(data), "without": args.without, "gold": gold, "rules": results},
         ROOT / "bench" / "results" / "sentence_pooling.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
