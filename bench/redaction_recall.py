"""Recall and precision of ``themes.redact`` per kind of personal detail, on invented sentences.

Usage: python bench/redaction_recall.py

The labelled set is ``tests/fixtures/redaction_set.jsonl``: sentences written for this purpose
(no real data), each with character spans of NAME, ADDRESS, POSTCODE, PHONE, EMAIL, DOB, NHS,
NI and REF. Two parts, reported apart as well as together:

- ``with-rules-in-mind``: written before the rules, by the author of the rules, who knew what
  kinds of clue they would use. Optimistic.
- ``to-break-the-rules``: written afterwards to find formats the rules miss (lower-case names,
  initials, numbers without spaces, street names without numbers...). The rules were then
  improved on some of them, so this part is no longer unseen either.

A labelled detail is recalled when every character of it is masked as its kind
(``recall_any_kind`` counts it masked as any kind, which is what matters for privacy). A mask
is precise when it overlaps a labelled detail of its kind. Prints a table and saves
bench/results/redaction.json.
"""

from __future__ import annotations

from pathlib import Path

from themes.redact import KINDS, load_examples, measure
from _results import save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "fixtures" / "redaction_set.jsonl"
RESULTS = ROOT / "bench" / "results" / "redaction.json"


def run() -> dict:
    examples = load_examples(SET)
    parts = sorted({e.get("written", "all") for e in examples})
    return {
        "command": "python bench/redaction_recall.py",
        "set": str(SET.relative_to(ROOT)),
        "sentences": len(examples),
        "sentences_by_part": {p: sum(e.get("written") == p for e in examples) for p in parts},
        "all": measure(examples),
        "by_part": {p: measure([e for e in examples if e.get("written") == p]) for p in parts},
    }


def show(results: dict) -> None:
    def fmt(value: float | None) -> str:
        return "  -  " if value is None else f"{value:.3f}"

    print(f"{results['sentences']} sentences in {results['set']}")
    for title, table in [("all", results["all"]), *results["by_part"].items()]:
        print(f"\n{title}")
        print(f"  {'kind':<9}{'labelled':>9}{'found':>7}{'recall':>8}{'any kind':>9}{'precision':>10}")
        for kind in KINDS:
            row = table[kind]
            print(
                f"  {kind:<9}{row['labelled']:>9}{row['found']:>7}{fmt(row['recall']):>8}"
                f"{fmt(row['recall_any_kind']):>9}{fmt(row['precision']):>10}"
            )


def main() -> None:
    results = run()
    show(results)
    save(results, RESULTS)


if __name__ == "__main__":
    main()
