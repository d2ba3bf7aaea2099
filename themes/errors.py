"""Every error the library raises on purpose, in one place.

The CLI turns a :class:`ThemesError` into a one-line message and its exit code, so each message
must say what was expected, what was found and how to fix it, and must never quote complaint
text: messages name files, columns and row numbers only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ThemesError(Exception):
    """Base class: a problem with what the user gave us, reported without a traceback."""

    exit_code = 2


class DataError(ThemesError):
    """An input file cannot be read or does not have what the command needs."""


class SchemeError(ThemesError):
    """A scheme file is missing, malformed or inconsistent."""


class LabelError(DataError):
    """Labelled data uses ids a scheme does not define, or is otherwise unusable for training."""


class BundleError(ThemesError):
    """A model bundle is missing, altered, or from incompatible library versions."""


class OutputError(ThemesError):
    """An output cannot be written safely (would overwrite an input, exists, or is locked)."""


class UsageError(ThemesError):
    """Options that do not make sense together or a malformed expression."""


def row_list(rows: Sequence[int], *, first: int = 5) -> str:
    """Describe row numbers as people count them: 'rows 3, 9, 12 and 4 more (7 in all)'."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:first])
    more = len(rows) - first
    if more > 0:
        return f"rows {shown} and {more} more ({len(rows)} in all)"
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}"


def problems_message(header: str, problems: Iterable[str]) -> str:
    items = list(problems)
    return header + "".join(f"\n  - {p}" for p in items)
