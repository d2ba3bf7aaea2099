"""Collate completed dip-sample review sheets under the Seven Pillars of Practice.

A review sheet is the workbook ``themes dip-sample`` writes, filled in by reviewers: for each
pillar a ``<Pillar>: finding (yes/no)`` column and a ``<Pillar>: note`` column, then
``Overall learning`` and ``Actions``. Several sheets (one per reviewer) may be collated at once;
a complaint reviewed in more than one has a finding for a pillar if any reviewer recorded one.
The share of a pillar is of the sampled complaints that were reviewed (a row with any entry).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .breakdown import percent
from .data import ID_CANDIDATES, _cell_text, _norm
from .errors import DataError, row_list
from .sample import ACTIONS, LEARNING
from .scheme import Scheme, load

YES = {"yes", "y", "true", "1", "x", "✓", "✔"}
NO = {"no", "n", "false", "0", ""}
_FINDING = re.compile(r"^(?P<theme>.+?)\s*:\s*finding\b", re.IGNORECASE)
_NOTE = re.compile(r"^(?P<theme>.+?)\s*:\s*notes?\b", re.IGNORECASE)
SHEET = "Review"


@dataclass(frozen=True)
class ReviewSheet:
    """One filled-in review sheet: its rows, and where its columns are."""

    name: str
    frame: pd.DataFrame
    id_column: str
    findings: dict[str, str]
    notes: dict[str, str]
    header_row: int


@dataclass(frozen=True)
class ReviewSummary:
    """What reviewers found, pillar by pillar."""

    pillars: pd.DataFrame
    notes: pd.DataFrame
    learning: pd.DataFrame
    sampled: int
    reviewed: int
    sources: tuple[str, ...]


def read_review(path: str | Path) -> ReviewSheet:
    """Read a review workbook, finding its header row below any notes at the top."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not zipfile.is_zipfile(path):
        raise DataError(f"{path.name}: expected a review workbook (.xlsx) written by 'themes dip-sample'.")
    rows, sheet = _rows(path)
    header_at = next((i for i, r in enumerate(rows[:30]) if _is_header(r)), None)
    if header_at is None:
        raise DataError(
            f"{path.name}, sheet '{sheet}': no header row with a complaint id column and "
            "'<Pillar>: finding' columns in the first 30 rows. Is this a sheet from 'themes dip-sample'?"
        )
    header = [h.strip() for h in rows[header_at]]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[header_at + 1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    id_column = next(c for c in header if _norm(c) in ID_CANDIDATES)
    frame = frame[frame[id_column].astype(str).str.strip() != ""].reset_index(drop=True)
    findings = {m.group("theme").strip(): c for c in header if (m := _FINDING.match(c))}
    notes = {m.group("theme").strip(): c for c in header if (m := _NOTE.match(c))}
    return ReviewSheet(path.name, frame, id_column, findings, notes, header_at + 1)


def _rows(path: Path) -> tuple[list[list[str]], str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataError(
            f"{path.name} cannot be opened as a workbook ({type(exc).__name__}): save it again as .xlsx."
        ) from None
    try:
        ws = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        return rows, ws.title
    finally:
        book.close()


def _is_header(row: list[str]) -> bool:
    cells = [c.strip() for c in row]
    return any(_norm(c) in ID_CANDIDATES for c in cells) and any(_FINDING.match(c) for c in cells)


def _finding(value: object) -> bool | None:
    text = str(value).strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _entries(sheet: ReviewSheet, theme: str) -> tuple[list[bool], list[str]]:
    column = sheet.findings[theme]
    parsed = [_finding(v) for v in sheet.frame[column]]
    bad = [i + sheet.header_row + 1 for i, v in enumerate(parsed) if v is None]
    if bad:
        raise DataError(
            f"{sheet.name}: column '{column}' has entries other than yes or no at "
            f"{row_list(bad)}: write yes or no (leave it blank for no)."
        )
    note_column = sheet.notes.get(theme)
    notes = sheet.frame[note_column].astype(str).str.strip().tolist() if note_column else [""] * len(parsed)
    return [bool(v) for v in parsed], notes


def summarise(sheets: Sequence[ReviewSheet], *, scheme: Scheme | None = None) -> ReviewSummary:
    """For each pillar: complaints with a finding, of those reviewed, and the reviewers' notes."""
    if not sheets:
        raise DataError("Give at least one completed review sheet.")
    scheme = scheme or load("pillars")
    themes = _themes(sheets, scheme)
    found: dict[str, set[str]] = {t: set() for t in themes}
    notes: list[dict] = []
    learning: list[dict] = []
    sampled: set[str] = set()
    reviewed: set[str] = set()
    for sheet in sheets:
        ids = sheet.frame[sheet.id_column].astype(str).str.strip().tolist()
        sampled.update(ids)
        reviewed.update(i for i, row in zip(ids, _touched(sheet), strict=True) if row)
        for theme in themes:
            if theme not in sheet.findings:
                continue
            flags, texts = _entries(sheet, theme)
            for cid, flag, text in zip(ids, flags, texts, strict=True):
                if flag:
                    found[theme].add(cid)
                if text:
                    finding = "yes" if flag else "no"
                    notes.append({"Pillar": theme, "Complaint id": cid, "Finding": finding, "Note": text})
        learning += _learning(sheet, ids)
    if not reviewed:
        raise DataError(
            "No sampled complaint has a review entry yet: fill in the finding and note columns, "
            "then collate."
        )
    n = len(reviewed)
    table = pd.DataFrame({
        "Pillar": themes,
        "Complaints with a finding": [len(found[t] & reviewed) for t in themes],
        "Reviewed": n,
        "%": [percent(len(found[t] & reviewed), n) for t in themes],
        "Summary": [finding_text(len(found[t] & reviewed), n) for t in themes],
    })
    return ReviewSummary(
        pillars=table,
        notes=pd.DataFrame(notes, columns=["Pillar", "Complaint id", "Finding", "Note"]),
        learning=pd.DataFrame(learning, columns=["Complaint id", LEARNING, ACTIONS]),
        sampled=len(sampled),
        reviewed=n,
        sources=tuple(s.name for s in sheets),
    )


def finding_text(count: int, total: int) -> str:
    """'3 of 11 (27%)'."""
    share = percent(count, total)
    return f"{count} of {total} ({share:.0f}%)"


def _themes(sheets: Sequence[ReviewSheet], scheme: Scheme) -> list[str]:
    """The scheme's labels in order (named as in the sheets), then any other themes the sheets have."""
    seen: list[str] = []
    for sheet in sheets:
        seen += [t for t in sheet.findings if t not in seen]
    by_key = {t.casefold(): t for t in seen}
    ordered = []
    for label in scheme.labels:
        match = by_key.get(label.name.casefold()) or by_key.get(label.id.casefold())
        ordered.append(match or label.name)
    return ordered + [t for t in seen if t not in ordered]


def _touched(sheet: ReviewSheet) -> list[bool]:
    columns = list(sheet.findings.values()) + list(sheet.notes.values())
    columns += [c for c in sheet.frame.columns if _norm(c) in (_norm(LEARNING), _norm(ACTIONS))]
    filled = sheet.frame[columns].astype(str).apply(lambda col: col.str.strip() != "")
    return filled.any(axis=1).tolist()


def _learning(sheet: ReviewSheet, ids: list[str]) -> list[dict]:
    by_norm = {_norm(c): c for c in sheet.frame.columns}
    learn = by_norm.get(_norm(LEARNING))
    act = by_norm.get(_norm(ACTIONS))
    out = []
    for i, cid in enumerate(ids):
        text = str(sheet.frame.at[i, learn]).strip() if learn else ""
        action = str(sheet.frame.at[i, act]).strip() if act else ""
        if text or action:
            out.append({"Complaint id": cid, LEARNING: text, ACTIONS: action})
    return out
