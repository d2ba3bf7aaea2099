"""Dip samples of coded complaints for a practice learning review, drawn so they can be defended.

How a sample is drawn (and what its manifest records):

- the population is the complaints that match the filter; the size is ``--size`` or the fraction
  of the population rounded half up (30% of 39 is 11.7, so 12);
- with strata, the size is shared out in proportion to the strata (largest remainders), with at
  least one complaint from every non-empty stratum when the size allows; a complaint with several
  labels of a scheme column (pillars) belongs to the stratum of its least common label in the
  population, so that rare themes are not crowded out;
- within a stratum, each complaint's key is the SHA-256 of the seed and its id, and the complaints
  with the smallest keys are taken. The same input, filter and seed therefore give the same ids
  whatever the order of the rows, and anyone can recompute the choice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, filters
from .breakdown import BLANK, Coded, percent
from .errors import DataError, UsageError, row_list
from .scheme import Scheme, load

ID_HASH_RULE = "SHA-256 of the ids, sorted and joined with newlines, as UTF-8"
METHOD = (
    "Each complaint's key is SHA-256('<seed>:<id>'); within each stratum the complaints with the "
    "smallest keys are taken. Strata share the sample in proportion to their size (largest "
    "remainders), with at least one complaint each when the sample is large enough."
)
FINDING = "finding (yes/no)"
NOTE = "note"
LEARNING = "Overall learning"
ACTIONS = "Actions"
ID_HEADER = "Complaint id"
TEXT_HEADER = "Complaint text"


@dataclass(frozen=True)
class DipSample:
    """A drawn sample: the review sheet, the strata and the manifest that records the draw."""

    sheet: pd.DataFrame
    strata: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return self.sheet[ID_HEADER].tolist()


def sample_size(population: int, *, fraction: float | None = None, size: int | None = None) -> tuple[int, str]:
    """The number to draw and a sentence saying how it was reached."""
    if (fraction is None) == (size is None):
        raise UsageError("Give either --fraction (such as 0.3) or --size (such as 12), not both or neither.")
    if population <= 0:
        raise DataError("No complaints match the filter, so there is nothing to sample: loosen --where.")
    if size is not None:
        if size < 1:
            raise UsageError(f"--size must be at least 1, not {size}.")
        if size > population:
            raise UsageError(
                f"--size {size} is more than the {population} complaints that match the filter: "
                "ask for fewer, or loosen --where."
            )
        return size, f"{size} of {population} complaints, as asked"
    if not 0 < fraction <= 1:  # type: ignore[operator]
        raise UsageError(f"--fraction must be above 0 and at most 1 (0.3 means 30%), not {fraction}.")
    exact = Decimal(repr(float(fraction))) * population
    n = max(1, int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    shown = f"{Decimal(repr(float(fraction))) * 100:f}".rstrip("0").rstrip(".")
    return n, f"{shown}% of {population} complaints is {exact.normalize():f}, rounded to {n}"


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Share ``n`` among strata in proportion to ``sizes``, each non-empty stratum getting one if possible."""
    total = sum(sizes.values())
    quota = {k: Decimal(n) * v / total for k, v in sizes.items()}
    alloc = {k: int(q.to_integral_value(rounding=ROUND_FLOOR)) for k, q in quota.items()}
    non_empty = [k for k, v in sizes.items() if v > 0]
    if n >= len(non_empty):
        for k in non_empty:
            alloc[k] = max(alloc[k], 1)
    floor = 1 if n >= len(non_empty) else 0
    # Ties go to the larger stratum, then by name, so the allocation never depends on row order.
    while sum(alloc.values()) > n:
        k = min((k for k in alloc if alloc[k] > floor), key=lambda k: (quota[k] - alloc[k], sizes[k], k))
        alloc[k] -= 1
    while sum(alloc.values()) < n:
        k = max(
            (k for k in alloc if alloc[k] < sizes[k]),
            key=lambda k: (quota[k] - alloc[k], sizes[k], _reverse(k)),
        )
        alloc[k] += 1
    return alloc


def _reverse(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def sample_key(seed: int, complaint_id: str) -> str:
    return hashlib.sha256(f"{seed}:{complaint_id}".encode()).hexdigest()


def ids_hash(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def strata_of(coded: Coded, stratify: str | None) -> list[str]:
    """Each complaint's stratum: a column's value, or its least common label of a scheme column."""
    if stratify is None:
        return ["All"] * len(coded)
    scheme_id = coded.scheme_column(stratify)
    if scheme_id is None:
        values = coded.frame[coded.column(stratify)].astype(str).str.strip()
        return [v or BLANK for v in values]
    scheme = coded.schemes[scheme_id]
    by_category = scheme.is_hierarchical and stratify.strip().lower() != scheme_id
    rows = [_stratum_labels(scheme, r, by_category=by_category) for r in coded.codes[scheme_id]]
    counts = Counter(label for row in rows for label in set(row))
    order = {label.id: i for i, label in enumerate(scheme.labels)}
    none = f"(no {scheme_id[:-1] if scheme_id.endswith('s') else scheme_id})"
    return [
        scheme.name_of(min(row, key=lambda lab: (counts[lab], order[lab]))) if row else none
        for row in rows
    ]


def _stratum_labels(scheme: Scheme, codes: list[str], *, by_category: bool) -> list[str]:
    if by_category:
        return list(dict.fromkeys(scheme.derive_categories(codes) + [c for c in codes if c in scheme.children]))
    return [c for c in codes if c not in scheme.children]


def _checked_ids(coded: Coded) -> list[str]:
    if coded.id_column is None:
        raise DataError(
            f"{coded.name} has no complaint id column, which a reproducible sample needs: expected "
            "one named like 'id', 'Complaint Ref' or 'Reference'. Name it with --id-column."
        )
    ids = coded.ids
    blank = [i + 2 for i, v in enumerate(ids) if not v]
    if blank:
        raise DataError(f"Column '{coded.id_column}' has blank ids at {row_list(blank)}: fill them in.")
    seen = pd.Series(ids).duplicated(keep=False)
    if seen.any():
        rows = [i + 2 for i, d in enumerate(seen) if d]
        raise DataError(
            f"Column '{coded.id_column}' repeats ids at {row_list(rows)}: a sample needs one row per complaint."
        )
    return ids


def dip_sample(
    coded: Coded,
    *,
    seed: int,
    fraction: float | None = None,
    size: int | None = None,
    where: str | None = None,
    stratify: str | None = None,
    review_scheme: Scheme | None = None,
) -> DipSample:
    """Draw a dip sample from the complaints that match ``where``; see the module docstring."""
    ids = _checked_ids(coded)
    node = filters.parse(where) if where and where.strip() else None
    keep = filters.mask(node, coded) if node is not None else np.ones(len(coded), dtype=bool)
    population = coded.subset(keep)
    pop_ids = [i for i, k in zip(ids, keep, strict=True) if k]
    n, rule = sample_size(len(population), fraction=fraction, size=size)
    strata = strata_of(population, stratify)
    # Named strata in order, then "(blank)" or "(no pillar)" last.
    sizes = dict(sorted(Counter(strata).items(), key=lambda kv: (kv[0].startswith("("), kv[0].casefold())))
    alloc = allocate(sizes, n)
    chosen: list[int] = []
    for stratum, take in alloc.items():
        members = [i for i, s in enumerate(strata) if s == stratum]
        members.sort(key=lambda i: sample_key(seed, pop_ids[i]))
        chosen.extend(members[:take])
    # The sheet lists complaints in id order, so it never reflects the order of the input rows.
    chosen.sort(key=lambda i: _natural_id(pop_ids[i]))
    picked = population.take(chosen)
    picked_strata = [strata[i] for i in chosen]
    sheet = review_sheet(picked, picked_strata if stratify else None, review_scheme=review_scheme)
    table = strata_table(sizes, alloc)
    manifest = _manifest(coded, node, stratify, seed, n, rule, table, pop_ids, sheet[ID_HEADER].tolist())
    return DipSample(sheet=sheet, strata=table, manifest=manifest)


def _natural_id(value: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", value))


def strata_table(sizes: dict[str, int], alloc: dict[str, int]) -> pd.DataFrame:
    total = sum(sizes.values())
    drawn = sum(alloc.values())
    return pd.DataFrame({
        "Stratum": list(sizes),
        "Population": [sizes[k] for k in sizes],
        f"% of {total} in population": [percent(sizes[k], total, places=1) for k in sizes],
        "Sampled": [alloc[k] for k in sizes],
        f"% of {drawn} in sample": [percent(alloc[k], drawn, places=1) for k in sizes],
    })


def _manifest(
    coded: Coded, node: filters.Node | None, stratify: str | None, seed: int, n: int, rule: str,
    table: pd.DataFrame, pop_ids: list[str], sample_ids: list[str],
) -> dict:
    notes = []
    empty = table[table["Sampled"] == 0]
    if len(empty):
        notes.append(
            f"The sample ({n}) is smaller than the number of strata ({len(table)}), so "
            f"{len(empty)} stratum/strata have no complaint in it."
        )
    return {
        "tool": f"themes {__version__}",
        "created": dt.date.today().isoformat(),
        "source": coded.name,
        "filter": str(node) if node is not None else None,
        "population": len(pop_ids),
        "sample_size": n,
        "size_rule": rule,
        "seed": seed,
        "stratify": stratify,
        "strata": [
            {"stratum": r["Stratum"], "population": int(r["Population"]), "sampled": int(r["Sampled"])}
            for r in table.to_dict("records")
        ],
        "method": METHOD,
        "population_ids_sha256": ids_hash(pop_ids),
        "sample_ids_sha256": ids_hash(sample_ids),
        "id_hash_rule": ID_HASH_RULE,
        "notes": notes,
    }


EVIDENCE_HEADER = "Evidence (sentences behind the codes)"


def review_sheet(
    coded: Coded, strata: list[str] | None = None, *, review_scheme: Scheme | None = None
) -> pd.DataFrame:
    """One row per sampled complaint: what it is, how it was coded, and blank reviewer columns."""
    pillars = review_scheme or coded.schemes.get("pillars") or load("pillars")
    out: dict[str, list] = {ID_HEADER: coded.ids}
    for header, column in (("Team", coded.role("team")), ("Received", coded.date_column),
                           ("Stage", coded.role("stage")), ("Outcome", coded.role("outcome"))):
        if column is not None:
            out[header] = coded.frame[column].tolist()
    if strata is not None:
        out["Stratum"] = strata
    for scheme_id, scheme in coded.schemes.items():
        title = "Reasons" if scheme.is_hierarchical else scheme.name if scheme_id != "pillars" else "Pillars"
        out[f"{title} (as coded)"] = [
            "\n".join(scheme.name_of(c) for c in row) for row in coded.codes[scheme_id]
        ]
    if coded.text_column is not None:
        out[TEXT_HEADER] = coded.frame[coded.text_column].tolist()
    evidence = next((c for c in coded.frame.columns if str(c).strip().lower() == "evidence"), None)
    if evidence is not None:
        # classify's evidence: the sentences behind each code, so a reviewer can check it fast.
        out[EVIDENCE_HEADER] = [
            str(v).replace(" | ", "\n") for v in coded.frame[evidence].tolist()
        ]
    for label in pillars.labels:
        out[f"{label.name}: {FINDING}"] = [""] * len(coded)
        out[f"{label.name}: {NOTE}"] = [""] * len(coded)
    out[LEARNING] = [""] * len(coded)
    out[ACTIONS] = [""] * len(coded)
    return pd.DataFrame(out)


def manifest_json(sample: DipSample) -> str:
    return json.dumps(sample.manifest, indent=2, ensure_ascii=False) + "\n"


def manifest_frame(sample: DipSample) -> pd.DataFrame:
    """The manifest as two columns for a worksheet."""
    items = [(k, v) for k, v in sample.manifest.items() if k != "strata"]
    return pd.DataFrame({
        "Item": [k.replace("_", " ") for k, _ in items],
        "Value": ["" if v is None else "; ".join(v) if isinstance(v, list) else str(v) for _, v in items],
    })


def write_review_workbook(sample: DipSample, path: str | Path) -> None:
    """Write the review sheet, the strata and the manifest as one workbook that opens cleanly in Excel."""
    from .data import write_workbook

    m = sample.manifest
    notes = [
        f"Dip sample of {m['sample_size']} from {m['population']} complaints"
        + (f" matching: {m['filter']}" if m["filter"] else "") + f". Seed {m['seed']}"
        + (f"; stratified by {m['stratify']}" if m["stratify"] else "") + ".",
        f"Size: {m['size_rule']}. Sample ids SHA-256: {m['sample_ids_sha256']}.",
        "For each pillar write yes or no in the finding column, and what you found in the note.",
    ]
    write_workbook(
        {"Review": sample.sheet, "Strata": sample.strata, "Manifest": manifest_frame(sample)},
        path,
        notes={"Review": notes},
    )
    _finish_review_sheet(Path(path))


def _finish_review_sheet(path: Path) -> None:
    """Set widths and wrapping for reviewers and offer yes/no in the finding columns."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .data import atomic_path

    book = load_workbook(path)
    ws = book["Review"]
    header_row = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == ID_HEADER
    )
    last = max(ws.max_row, header_row + 1)
    choice = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    choice.error = "Write yes or no."
    choice.errorTitle = "Finding"
    ws.add_data_validation(choice)
    for j in range(1, ws.max_column + 1):
        header = str(ws.cell(row=header_row, column=j).value or "")
        letter = get_column_letter(j)
        width = _width_for(header)
        if width is None:
            continue
        ws.column_dimensions[letter].width = width
        for row in ws.iter_rows(min_row=header_row + 1, max_row=last, min_col=j, max_col=j):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
        if header.endswith(FINDING):
            choice.add(f"{letter}{header_row + 1}:{letter}{last}")
    with atomic_path(path) as tmp:
        book.save(tmp)
    book.close()


def _width_for(header: str) -> int | None:
    if header.endswith(FINDING):
        return 14
    if header.endswith(f": {NOTE}"):
        return 40
    if header == TEXT_HEADER:
        return 80
    if header in (LEARNING, ACTIONS):
        return 50
    if header.endswith("(as coded)"):
        return 32
    return None
