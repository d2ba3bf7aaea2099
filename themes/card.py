"""The readable model card written into every bundle (``MODEL_CARD.md``)."""

from __future__ import annotations

from .bundle import Bundle, heldout_evaluations

WEAK_F1 = 0.5


def render(bundle: Bundle) -> str:
    m = bundle.manifest
    training = m["training"]
    lines = [
        f"# Model card: {m['name']}",
        "",
        f"Trained {m['created']} with themes, seed {m['seed']}, on {training['rows']:,} complaints.",
        "It codes each complaint with every label it raises, for these schemes:",
        "",
    ]
    for scheme in bundle.schemes.values():
        lines.append(f"- `{scheme.id}` {scheme.version}: {scheme.name} ({len(scheme.leaves)} labels)")
    lines += [
        "",
        "## Intended use",
        "",
        "Suggesting codes for complaints about children's social care, for a person to check:",
        "rows flagged `needs_review` should be read before their codes are relied on. It is not",
        "for decisions about any child or family. It runs offline; no text leaves the machine.",
        "",
        "## Training data",
        "",
        "| file | rows | weight | sha256 |",
        "|---|---|---|---|",
    ]
    for source in training["sources"]:
        weight = f"{source['weight']}"
        if "row_weights" in source:
            column = source["row_weights"]
            shares = ", ".join(f"{count:,} rows x{value}" for value, count in column["counts"].items())
            weight += f" x column `{column['column']}` ({shares})"
        lines.append(f"| {source['file']} | {source['rows']:,} | {weight} | `{source['sha256'][:16]}…` |")
    lines += [
        "",
        "## Method",
        "",
        _method(m["params"]),
        "",
        "```",
        *(f"{k} = {v}" for k, v in sorted(m["params"].items()) if k not in _unused(m["params"])),
        "```",
        "",
    ]
    metrics = m.get("metrics", {})
    for n, held in enumerate(heldout_evaluations(metrics)):
        lines += [
            f"## Held-out evaluation ({held['file']})",
            "",
            "Complaints never used in training or tuning: the honest estimate."
            if n == 0
            else "A further file never used in training or tuning.",
            "",
        ]
        results = {k: v for k, v in held.items() if isinstance(v, dict)}
        lines += _summary_table(results)
        lines += _weak_labels(results)
        lines += _extras(results)
        for scheme_id, result in results.items():
            lines += _label_table(f"Held-out, per label: {scheme_id}", result)
    lines += [
        "## Cross-validated on the training data",
        "",
        "Out-of-fold predictions at the tuned thresholds. Optimistic: folds share writers' styles.",
        "",
    ]
    lines += _summary_table(metrics.get("cross_validated", {}))
    for scheme_id, result in metrics.get("cross_validated", {}).items():
        lines += _label_table(f"Cross-validated, per label: {scheme_id}", result)
    review = m.get("review", {})
    lines += [
        "## Review rule",
        "",
        "A row is flagged `needs_review` when its text is empty; when no label of "
        f"{', '.join(review.get('empty_schemes', []))} passes; when a label is within "
        f"{review.get('margin')} of its threshold; when it has fewer than {review.get('min_words')} "
        f"or more than {review.get('max_words')} words; or when under {review.get('min_known')} of "
        "its distinct words occur in the training vocabulary.",
        "",
        "## Limitations",
        "",
        "- The default training data was written for this project, not taken from real case files;",
        "  real complaints will differ in vocabulary and style. Retrain with a council's own coded",
        "  complaints (`themes train default.csv council.csv:3`) where there are any.",
        "- Words seen in fewer than `min_df` complaints are dropped, so rare names never enter the",
        "  model, and neither do rare ways of saying things.",
        "",
        "## Versions",
        "",
        *(f"- {k} {v}" for k, v in m.get("libraries", {}).items()),
        "",
    ]
    return "\n".join(lines)


def _summary_table(results: dict) -> list[str]:
    lines = ["| scheme | level | micro-F1 | macro-F1 | micro precision | micro recall |", "|---|---|---|---|---|---|"]
    for scheme_id, result in results.items():
        for row in result.get("summary", []):
            lines.append(
                f"| {scheme_id} | {row['level']} | {row['micro_f1']:.3f} | {row['macro_f1']:.3f} | "
                f"{row['micro_precision']:.3f} | {row['micro_recall']:.3f} |"
            )
    return lines + [""]


def _weak_labels(results: dict) -> list[str]:
    weak = []
    for scheme_id, result in results.items():
        for row in result.get("labels", []):
            if row["support"] and row["f1"] < WEAK_F1:
                weak.append((scheme_id, row))
    if not weak:
        return [f"No label scored below F1 {WEAK_F1}.", ""]
    lines = [f"Weak labels (F1 below {WEAK_F1}) and why:", ""]
    for scheme_id, row in sorted(weak, key=lambda x: x[1]["f1"]):
        lines.append(f"- `{row['label']}` (F1 {row['f1']:.2f}, support {row['support']}): {_why(row)}")
    return lines + [""]


def _why(row: dict) -> str:
    if row["support"] < 10:
        reason = "too few examples to measure well"
    elif row["recall"] < row["precision"] - 0.15:
        reason = "mostly missed: the model does not recognise many ways of raising it"
    elif row["precision"] < row["recall"] - 0.15:
        reason = "over-called: text about neighbouring topics triggers it"
    else:
        reason = "both missed and over-called: its boundary with neighbouring labels is blurred"
    return f"{reason} (precision {row['precision']:.2f}, recall {row['recall']:.2f})"


def _unused(params: dict) -> set[str]:
    """Settings the card leaves out: label names (listed elsewhere) and the other solver's."""
    if params.get("solver", "logistic") == "ridge":
        return {"labels", "categories", "C", "class_weight"}
    return {"labels", "categories", "alpha"}


def _method(params: dict) -> str:
    words = f"spaCy lookup lemmas ({params['word_ngrams'][0]}- to {params['word_ngrams'][1]}-grams)"
    if params.get("tokenizer") == "regex":
        words = f"plain words ({params['word_ngrams'][0]}- to {params['word_ngrams'][1]}-grams)"
    chars = f" and character {tuple(params['char_ngrams'])}-grams" if params.get("char_ngrams") else ""
    if params.get("solver", "logistic") == "ridge":
        learner = (
            f"one ridge least-squares fit for all labels (alpha {params['alpha']}, solved in its "
            "dual form)"
        )
    else:
        learner = f"one logistic regression per label (C {params['C']}, class weight {params['class_weight']})"
    calibrated = (
        " Scores are calibrated per label (Platt scaling on the out-of-fold scores)."
        if params.get("calibrate", False) else ""
    )
    raised = (
        f" Every threshold is then raised by {params['threshold_raise']}, as writing unlike the "
        "training data's scores lower (`bench/decision_rules.py`)."
        if params.get("threshold_raise") else ""
    )
    filled = (
        f" Where no reason of a category passes but the chance that one of them applies reaches "
        f"{params['category_fill']}, the category's reason nearest its threshold is coded too "
        "(`bench/decision_rules.py`)."
        if params.get("category_fill") else ""
    )
    return (
        f"TF-IDF features of {words}{chars}, words in fewer than {params['min_df']} complaints "
        f"dropped; {learner}; per-label thresholds chosen to maximise F1 on out-of-fold scores "
        f"({params['cv']} multi-label stratified folds of the training data only).{calibrated}{raised}{filled} "
        "Rows where no label passes get none and are flagged for review. The configuration was "
        "chosen by leave-one-batch-out cross-validation (`bench/model_selection.py`). Parameters:"
    )


def _label_table(title: str, result: dict) -> list[str]:
    lines = [f"### {title}", "", "| level | label | precision | recall | F1 | support | kappa |", "|---|---|---|---|---|---|---|"]
    for row in result["labels"]:
        lines.append(
            f"| {row['level']} | `{row['label']}` | {row['precision']:.2f} | {row['recall']:.2f} | "
            f"{row['f1']:.2f} | {row['support']} | {row['kappa']:.2f} |"
        )
    return lines + [""]


def _extras(results: dict) -> list[str]:
    lines = []
    for scheme_id, result in results.items():
        cal, review = result.get("calibration"), result.get("review")
        if cal:
            lines.append(
                f"- `{scheme_id}` calibration: expected calibration error {cal['ece']:.3f}, "
                f"Brier score {cal['brier']:.4f}."
            )
        if review:
            lines.append(
                f"- `{scheme_id}` review flag: {review['flagged_share']:.0%} of complaints flagged; "
                f"they hold {review['errors_caught']:.0%} of this scheme's label errors."
            )
    return lines + [""] if lines else []
