"""Crosswalks: convert codes from one scheme (a legacy one, or an older version) to another.

A crosswalk is a TOML file (the format is in ``docs/crosswalks.md``)::

    description = "optional"

    [from]
    id = "legacy_single_reason"       # the scheme the data is coded in
    name = "Legacy: single reason category"
    version = "1.0"
    scheme = "legacy_single_reason.toml"   # optional: the scheme file, relative to this file

    [to]
    id = "causes"                     # a built-in scheme, or give `scheme = "path.toml"`
    version = "1.0"

    [[mappings]]
    from = "financial_issues"         # the source label's id ...
    name = "Financial issues"         # ... and its display name: data may use either
    to = ["cost"]                     # one or more target ids (a category id: reason unknown)
    judgement = true                  # a person chose this mapping; the meanings differ
    note = "why"

    [[mappings]]
    from = "physical_environment_issues"
    name = "Physical environment issues"
    none = true                       # explicitly: no equivalent in the target scheme

Several source labels may map to the same target (many-to-one). Converting a row gives every
target of every label in it; a category is dropped when one of its reasons is also given.
Shipped crosswalks and the legacy schemes they convert from live in ``themes/crosswalks/``.
"""

from __future__ import annotations

import difflib

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import scheme as scheme_io
from .coded import CODED_CANDIDATES, DEFAULT_BLANK_VALUES, person_codes
from .data import Labelled, find_column, labelled_from_frame, read_table, _norm
from .errors import DataError, SchemeError, UsageError, problems_message, row_list
from .predict import category_column
from .scheme import SEPARATOR, Scheme

if TYPE_CHECKING:
    from .breakdown import Coded
    from .train import Source

JUDGEMENT = "crosswalk_judgement"
"""Output column: ``true`` where any mapping used for the row was a judgement."""

LEGACY_CANDIDATES = CODED_CANDIDATES + (
    "category", "categories", "complaint category", "reason category", "theme", "themes",
    "complaint type", "type",
)
_MAPPING_KEYS = {"from", "name", "to", "none", "judgement", "note"}


@dataclass(frozen=True)
class Mapping:
    """Where one source label goes: ``targets`` (empty when ``none``)."""

    source: str
    name: str
    targets: tuple[str, ...] = ()
    none: bool = False
    judgement: bool = False
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    """A loaded, checked crosswalk and the schemes at either end (``from_scheme`` if given)."""

    from_id: str
    from_name: str
    from_version: str
    to_scheme: Scheme
    mappings: tuple[Mapping, ...]
    from_scheme: Scheme | None = None
    description: str = ""
    path: Path | None = None

    @property
    def to_id(self) -> str:
        return self.to_scheme.id

    @property
    def title(self) -> str:
        return f"{self.from_id} {self.from_version} -> {self.to_id} {self.to_scheme.version}"

    @cached_property
    def lookup(self) -> dict[str, Mapping]:
        """Each mapping by its source id and by its name, normalised as :func:`label_key` does."""
        table: dict[str, Mapping] = {}
        for m in self.mappings:
            table[label_key(m.source)] = m
            table[label_key(m.name)] = m
        return table

    def mapping_for(self, label: str) -> Mapping | None:
        return self.lookup.get(label_key(label))


def label_key(text: str) -> str:
    """A label as typed in an export, compared ignoring case, spacing, dash style and & / and."""
    key = str(text).casefold()
    key = re.sub(r"[\u2010-\u2015\u2212]", "-", key)
    key = key.replace("&", " and ")
    key = " ".join(key.split())
    return re.sub(r"\s+-\s*|\s*-\s+", " - ", key)


# -- loading ---------------------------------------------------------------------------------


def shipped_folder() -> Path:
    return Path(str(resources.files("themes") / "crosswalks"))


def _read_toml(path: Path, what: str) -> dict:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise SchemeError(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise SchemeError(f"The {what} {path.name} is not UTF-8 text: save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"The {what} {path.name} is not valid TOML: {exc}.") from None


def is_crosswalk_file(path: Path) -> bool:
    """A TOML file with a [from] table and [[mappings]] (a scheme file has [[labels]])."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("from"), dict) and "mappings" in data


def shipped() -> list[Path]:
    """The crosswalk files that ship with the package."""
    return sorted(p for p in shipped_folder().glob("*.toml") if is_crosswalk_file(p))


def legacy_schemes() -> list[Path]:
    """The legacy scheme files that ship with the package (the shipped crosswalks' sources)."""
    return sorted(p for p in shipped_folder().glob("*.toml") if not is_crosswalk_file(p))


def legacy_scheme(name: str) -> Scheme:
    """A shipped legacy scheme by id (``legacy_single_reason``) or a scheme file path."""
    path = shipped_folder() / f"{name}.toml"
    if path.is_file() and not is_crosswalk_file(path):
        return scheme_io.load(path)
    return scheme_io.load(name)


def check(data: object) -> list[str]:
    """Every problem with a parsed crosswalk's structure (schemes are checked by :func:`load`)."""
    if not isinstance(data, dict):
        return ["The file must be a table of keys ([from], [to], [[mappings]])."]
    problems: list[str] = []
    for end, keys in (("from", ("id", "version")), ("to", ("id", "version"))):
        table = data.get(end)
        if not isinstance(table, dict):
            problems.append(f"No [{end}] table: add one with {' and '.join(keys)}.")
            continue
        for key in keys:
            if not isinstance(table.get(key), str) or not table[key].strip():
                problems.append(f"[{end}] '{key}' is missing or not text.")
        if "scheme" in table and not isinstance(table["scheme"], str):
            problems.append(f"[{end}] 'scheme' must be a file path (text).")
    mappings = data.get("mappings")
    if not isinstance(mappings, list) or not mappings:
        problems.append("No mappings: add a [[mappings]] table for every source label.")
        return problems
    seen: dict[str, int] = {}
    for n, item in enumerate(mappings, start=1):
        problems += _check_mapping(n, item, seen)
    return problems


def _check_mapping(n: int, item: object, seen: dict[str, int]) -> list[str]:
    where = f"Mapping {n}"
    if not isinstance(item, dict):
        return [f"{where} is not a table."]
    problems = []
    unknown = set(item) - _MAPPING_KEYS
    if unknown:
        problems.append(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
    for key in ("from", "name"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            problems.append(f"{where} has no '{key}' (the source label's {'id' if key == 'from' else 'display name'}).")
    if isinstance(item.get("from"), str):
        where = f"Mapping {n} ('{item['from']}')"
    targets, none = item.get("to"), item.get("none", False)
    if not isinstance(none, bool):
        problems.append(f"{where}: 'none' must be true or false.")
    elif none and targets:
        problems.append(f"{where} has both 'to' and 'none = true': keep one.")
    elif not none and not (isinstance(targets, list) and targets and all(isinstance(t, str) and t for t in targets)):
        problems.append(f"{where} needs 'to = [\"target id\", ...]' or 'none = true' (no equivalent).")
    if not isinstance(item.get("judgement", False), bool):
        problems.append(f"{where}: 'judgement' must be true or false.")
    if not isinstance(item.get("note", ""), str):
        problems.append(f"{where}: 'note' must be text.")
    for key in ("from", "name"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            k = label_key(value)
            if k in seen and seen[k] != n:
                problems.append(f"{where}: '{value}' is already used by mapping {seen[k]}.")
            seen.setdefault(k, n)
    return problems


def load(path: str | Path) -> Crosswalk:
    """Load and check a crosswalk file; raise :class:`SchemeError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise SchemeError(f"No crosswalk file {path}: give the path of a crosswalk .toml file.")
    data = _read_toml(path, "crosswalk")
    problems = check(data)
    if problems:
        raise SchemeError(problems_message(f"Crosswalk {path.name} has problems:", problems))
    to_scheme = _end_scheme(data["to"], path, "to")
    from_scheme = _end_scheme(data["from"], path, "from") if "scheme" in data["from"] else None
    mappings = tuple(
        Mapping(
            source=m["from"].strip(), name=m["name"].strip(),
            targets=tuple(t.strip() for t in m.get("to", [])), none=bool(m.get("none", False)),
            judgement=bool(m.get("judgement", False)), note=str(m.get("note", "")).strip(),
        )
        for m in data["mappings"]
    )
    crosswalk = Crosswalk(
        from_id=data["from"]["id"].strip(), from_name=str(data["from"].get("name", "")).strip(),
        from_version=data["from"]["version"].strip(), to_scheme=to_scheme, mappings=mappings,
        from_scheme=from_scheme, description=str(data.get("description", "")).strip(), path=path,
    )
    problems = problems_with(crosswalk, version=data["to"]["version"].strip())
    if problems:
        raise SchemeError(problems_message(f"Crosswalk {path.name} has problems:", problems))
    return crosswalk


def _end_scheme(table: dict, path: Path, end: str) -> Scheme:
    given = table.get("scheme")
    if given:
        file = (path.parent / given) if not Path(given).is_absolute() else Path(given)
        if not file.is_file():
            raise SchemeError(f"Crosswalk {path.name}: the [{end}] scheme file {given} does not exist (paths are relative to the crosswalk).")
        return scheme_io.load(file)
    if table["id"] in scheme_io.BUILTIN:
        return scheme_io.load(table["id"])
    raise SchemeError(
        f"Crosswalk {path.name}: [{end}] scheme '{table['id']}' is not built in: add "
        f"scheme = \"its-file.toml\" to the [{end}] table."
    )


def problems_with(crosswalk: Crosswalk, *, version: str | None = None) -> list[str]:
    """Targets not in the target scheme, and source labels the crosswalk misses or invents."""
    to = crosswalk.to_scheme
    problems = []
    if version is not None and version != to.version:
        problems.append(
            f"it maps to {to.id} version {version} but the scheme is version {to.version}: "
            "check the mappings against the new version and update [to] version."
        )
    for m in crosswalk.mappings:
        bad = [t for t in m.targets if t not in to.by_id]
        if bad:
            problems.append(f"mapping '{m.source}' names {', '.join(repr(b) for b in bad)}, not ids in scheme '{to.id}'.")
    source = crosswalk.from_scheme
    if source is None:
        return problems
    if source.id != crosswalk.from_id or source.version != crosswalk.from_version:
        problems.append(
            f"[from] says {crosswalk.from_id} {crosswalk.from_version} but its scheme file is "
            f"{source.id} {source.version}."
        )
    by_source = {m.source: m for m in crosswalk.mappings}
    missing = [label.id for label in source.labels if label.id not in by_source]
    if missing:
        problems.append(
            f"no mapping for {', '.join(repr(i) for i in missing)}: map every source label, "
            "or say 'none = true' where there is no equivalent."
        )
    extra = [m.source for m in crosswalk.mappings if m.source not in source.by_id]
    if extra:
        problems.append(f"mappings for {', '.join(repr(i) for i in extra)}, not labels of '{source.id}'.")
    for m in crosswalk.mappings:
        if m.source in source.by_id and label_key(m.name) != label_key(source.name_of(m.source)):
            problems.append(f"mapping '{m.source}' is named '{m.name}' but the scheme calls it '{source.name_of(m.source)}'.")
    return problems


def resolve(spec: str | Path, *, to: str | None = None) -> Crosswalk:
    """A crosswalk from ``spec``: a crosswalk file, a scheme file or the id of a shipped scheme.

    For a scheme, the shipped crosswalk from it to ``to`` (default: ``causes``) is used.
    """
    target = to or "causes"
    path = Path(spec)
    if path.is_file() and is_crosswalk_file(path):
        crosswalk = load(path)
    else:
        source_id = scheme_io.load(path).id if path.is_file() else str(spec)
        found = [p for p in shipped() if _ends(p) == (source_id, target)]
        if not found:
            available = sorted(f"{a} -> {b}" for a, b in (_ends(p) for p in shipped()))
            raise UsageError(
                f"No crosswalk from '{source_id}' to '{target}' ships with themes. Shipped: "
                f"{'; '.join(available)}. For another scheme, write a crosswalk file "
                "(see docs/crosswalks.md) and give its path."
            )
        crosswalk = load(found[0])
    if to is not None and crosswalk.to_id != to:
        raise UsageError(
            f"The crosswalk {crosswalk.path.name if crosswalk.path else ''} converts to "
            f"'{crosswalk.to_id}', not '{to}': give --to {crosswalk.to_id} or another crosswalk."
        )
    return crosswalk


def _ends(path: Path) -> tuple[str, str]:
    data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    return str(data["from"]["id"]), str(data["to"]["id"])


# -- converting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCodes:
    """One row converted: the target codes, those reached only through judgement mappings,
    whether any judgement was used, and whether a label had no equivalent."""

    codes: tuple[str, ...]
    judged: tuple[str, ...]
    judgement: bool
    no_equivalent: bool


def convert_labels(crosswalk: Crosswalk, labels: Sequence[str]) -> RowCodes:
    """Target codes for a row's source labels (each must be in the crosswalk)."""
    targets: dict[str, bool] = {}  # target -> reached only through judgement mappings
    judgement = none = False
    for label in labels:
        m = crosswalk.lookup[label_key(label)]
        judgement = judgement or m.judgement
        none = none or m.none
        for t in m.targets:
            targets[t] = targets.get(t, True) and m.judgement
    to = crosswalk.to_scheme
    given = set(targets)
    codes = tuple(t for t in targets if not (t in to.children and given.intersection(to.children[t])))
    judged = tuple(t for t in codes if targets[t])
    return RowCodes(codes=codes, judged=judged, judgement=judgement, no_equivalent=none)


def source_column(frame: pd.DataFrame, crosswalk: Crosswalk, wanted: str | None) -> str:
    """The column with the source scheme's labels: ``wanted``, or one named like its id or 'Primary cause'."""
    return find_column(
        frame, wanted, candidates=(_norm(crosswalk.from_id),) + LEGACY_CANDIDATES,
        role=f"codes in scheme '{crosswalk.from_id}'", option="--column",
    )


def restate(
    frame: pd.DataFrame,
    crosswalk: Crosswalk,
    *,
    column: str | None = None,
    blank_values: Sequence[str] = DEFAULT_BLANK_VALUES,
    name: str = "the data",
) -> pd.DataFrame:
    """The rows restated in the target scheme: every column kept, plus the target column and
    ``crosswalk_judgement`` (``true``/``false``) at the end.

    Labels are matched by id or display name, ignoring case and spacing; blank cells and
    placeholders such as "Not recorded" stay blank. Labels the crosswalk does not know are a
    :class:`DataError` listing them with their rows. If the source column is itself named like
    the target scheme, it is kept renamed ``"<column> (<source scheme id>)"``.
    """
    frame = frame.reset_index(drop=True)
    column = source_column(frame, crosswalk, column)
    rows = [_split(cell, blank_values) for cell in frame[column]]
    _check_known(rows, crosswalk, column, name)
    converted = [convert_labels(crosswalk, labels) for labels in rows]
    out = _make_room(frame, crosswalk, column, name)
    out[crosswalk.to_id] = [SEPARATOR.join(r.codes) for r in converted]
    out[JUDGEMENT] = ["true" if r.judgement else "false" for r in converted]
    return out


def _split(cell: object, blank_values: Sequence[str]) -> list[str]:
    return person_codes(cell, blank_values)


def _check_known(rows: list[list[str]], crosswalk: Crosswalk, column: str, name: str) -> None:
    unknown: dict[str, list[int]] = {}
    for i, labels in enumerate(rows):
        for label in labels:
            if crosswalk.mapping_for(label) is None:
                unknown.setdefault(label, []).append(i + 2)
    if not unknown:
        return
    # A mistyped cell could hold anything, complaint text or a name among it: cells are never
    # quoted. The hint names the closest label of the scheme, which is ours to show.
    known = sorted({m.source for m in crosswalk.mappings} | {m.name for m in crosswalk.mappings if m.name})
    by_hint: dict[str, set[int]] = {}
    for label, where in unknown.items():
        close = difflib.get_close_matches(label, known, n=1, cutoff=0.75)
        hint = f" (closest label in the scheme: '{close[0]}')" if close else ""
        by_hint.setdefault(hint, set()).update(where)
    problems = [f"a label not in the scheme at {row_list(sorted(rows))}{hint}" for hint, rows in by_hint.items()]
    raise DataError(
        problems_message(
            f"{name}: column '{column}' has labels that are not in scheme '{crosswalk.from_id}' "
            f"(crosswalk {crosswalk.title}):", problems,
        )
        + "\n  Correct the labels (ids or names, separated by ';'), or add them to the crosswalk."
    )


def _make_room(frame: pd.DataFrame, crosswalk: Crosswalk, column: str, name: str) -> pd.DataFrame:
    out = frame.copy()
    if column == crosswalk.to_id:
        out = out.rename(columns={column: f"{column} ({crosswalk.from_id})"})
    taken = [crosswalk.to_id, JUDGEMENT]
    if crosswalk.to_scheme.is_hierarchical:
        taken.append(category_column(crosswalk.to_scheme))
    clash = [c for c in out.columns if c in taken]
    if clash:
        raise DataError(
            f"{name} already has column(s) {', '.join(repr(c) for c in clash)}, which the "
            "converted file needs: rename them in the input and run again."
        )
    return out


def judgement_figures(
    frame: pd.DataFrame,
    crosswalk: Crosswalk,
    *,
    column: str | None = None,
    blank_values: Sequence[str] = DEFAULT_BLANK_VALUES,
) -> pd.DataFrame:
    """For each target label (categories too), the complaints restated with it and how many of
    those rest only on judgement mappings: the figures a restated breakdown should qualify."""
    frame = frame.reset_index(drop=True)
    column = source_column(frame, crosswalk, column)
    rows = [_split(cell, blank_values) for cell in frame[column]]
    _check_known(rows, crosswalk, column, "the data")
    converted = [convert_labels(crosswalk, labels) for labels in rows]
    to = crosswalk.to_scheme
    out = []
    for label in to.labels:
        wanted = {label.id, *to.children.get(label.id, ())}
        having = [r for r in converted if wanted.intersection(r.codes)]
        judged = [r for r in having if not wanted.intersection(set(r.codes) - set(r.judged))]
        out.append({
            "id": label.id, "name": label.name,
            "level": "category" if label.id in to.children else "label",
            "complaints": len(having), "judgement": len(judged),
        })
    return pd.DataFrame(out, columns=["id", "name", "level", "complaints", "judgement"])


def judgement_lines(figures: pd.DataFrame) -> list[str]:
    """'Cost: 3 of 3 complaints' for every label whose figure rests partly on judgement."""
    hit = figures[figures["judgement"] > 0]
    return [f"  - {r.name}: {r.judgement} of {r.complaints} complaints" for r in hit.itertuples()]


def summary(restated: pd.DataFrame, crosswalk: Crosswalk) -> dict[str, int]:
    """Counts for the summary line: rows, rows with codes, rows resting on a judgement."""
    coded = restated[crosswalk.to_id].astype(str).str.strip() != ""
    return {
        "rows": len(restated),
        "coded": int(coded.sum()),
        "judgement": int((restated[JUDGEMENT] == "true").sum()),
    }


# -- training on crosswalked data --------------------------------------------------------------


def needs_crosswalk(path: str | Path, crosswalk: Crosswalk) -> bool:
    """True when a labelled file has no column for the crosswalk's target scheme."""
    frame = read_table(path)
    return _norm(crosswalk.to_id) not in {_norm(c) for c in frame.columns}


def read_crosswalked(
    path: str | Path,
    crosswalk: Crosswalk,
    schemes: Sequence[Scheme],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
) -> Labelled:
    """Labelled data from a file coded in another scheme, converted through ``crosswalk``.

    Rows left with no target code (blank, or only labels with no equivalent) carry no evidence
    and are dropped; the rest are checked and returned like :func:`themes.data.read_labelled`.
    """
    path = Path(path)
    if crosswalk.to_id not in {s.id for s in schemes}:
        raise UsageError(
            f"The crosswalk converts to '{crosswalk.to_id}', which is not among the schemes being "
            f"trained ({', '.join(s.id for s in schemes)})."
        )
    restated = restate(read_table(path), crosswalk, name=path.name)
    labelled = labelled_from_frame(
        restated, schemes, name=path.name, text_column=text_column, id_column=id_column
    )
    keep = [i for i, codes in enumerate(labelled.codes[crosswalk.to_id]) if codes]
    if not keep:
        raise DataError(
            f"{path.name}: no row has a code that the crosswalk maps to '{crosswalk.to_id}', so "
            "there is nothing to learn from it."
        )
    return Labelled(
        frame=labelled.frame.iloc[keep].reset_index(drop=True),
        text_column=labelled.text_column,
        id_column=labelled.id_column,
        codes={k: [rows[i] for i in keep] for k, rows in labelled.codes.items()},
    )


def with_crosswalk(sources: Sequence[Source], spec: str | Path, *, weight: float = 0.5) -> list[Source]:
    """Mark the training sources coded in another scheme (no column for the crosswalk's target)
    to be converted through ``spec``, with their weight multiplied by ``weight``.

    An error if none of them needs the crosswalk.
    """
    if not 0 < weight <= 1:
        raise UsageError(f"--crosswalk-weight must be above 0 and at most 1, not {weight}.")
    crosswalk = resolve(spec)
    marked = [
        replace(s, weight=s.weight * weight, crosswalk=crosswalk.path) if needs_crosswalk(s.path, crosswalk) else s
        for s in sources
    ]
    if all(m.crosswalk is None for m in marked):
        raise UsageError(
            f"--crosswalk: every data file already has a '{crosswalk.to_id}' column, so none is "
            f"coded in '{crosswalk.from_id}'. Give the file coded in the other scheme too."
        )
    return marked


def read_restated(
    path: str | Path,
    spec: str | Path,
    *,
    schemes: Sequence[Scheme] | None = None,
    date_column: str | None = None,
    sheet: str | None = None,
) -> tuple[Coded, list[str]]:
    """A file coded in another scheme, restated for a breakdown, and the lines that qualify the
    figures resting on judgement mappings (empty when none do).

    The restated rows carry ``crosswalk_judgement``, so a breakdown can also be split by it.
    """
    from .breakdown import coded_from_frame

    path = Path(path)
    crosswalk = resolve(spec)
    frame = read_table(path, sheet=sheet)
    restated = restate(frame, crosswalk, name=path.name)
    coded = coded_from_frame(
        restated, name=path.name, schemes=schemes or [crosswalk.to_scheme], date_column=date_column
    )
    lines = judgement_lines(judgement_figures(frame, crosswalk))
    if lines:
        lines.insert(0, f"Figures that rest on judgement mappings ({crosswalk.title}; see its notes, or split with --by {JUDGEMENT}):")
    return coded, lines
