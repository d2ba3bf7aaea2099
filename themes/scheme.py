"""Label schemes: which codes exist, what they mean, and how reasons roll up into categories.

A scheme is a TOML file (read with the standard library's ``tomllib``)::

    id = "causes"
    name = "Complaint causes"
    version = "1.0"
    description = "..."            # optional
    notes = "..."                  # optional: boundary rules for coders

    [[labels]]
    id = "communication"           # a category: other labels name it as parent
    name = "Communication"
    definition = "..."

    [[labels]]
    id = "communication.data_breach"
    parent = "communication"
    name = "Data breach"
    definition = "..."

A scheme is flat (no label has a parent) or two-level (category > reason). The model predicts
the *leaves* (labels with no children); a category is derived: a complaint has it when it has any
of its reasons. Labelled data may give a category alone when the reason is unclear.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import SchemeError, problems_message

BUILTIN = ("causes", "pillars")
SEPARATOR = ";"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    definition: str = ""
    parent: str | None = None


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    version: str
    labels: tuple[Label, ...]
    description: str = ""
    notes: str = ""
    source: bytes = field(default=b"", repr=False, compare=False)

    # -- structure -------------------------------------------------------------------------
    @cached_property
    def by_id(self) -> dict[str, Label]:
        return {label.id: label for label in self.labels}

    @cached_property
    def children(self) -> dict[str, tuple[str, ...]]:
        kids: dict[str, list[str]] = {}
        for label in self.labels:
            if label.parent:
                kids.setdefault(label.parent, []).append(label.id)
        return {k: tuple(v) for k, v in kids.items()}

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """The labels a model predicts, in file order."""
        return tuple(label.id for label in self.labels if label.id not in self.children)

    @cached_property
    def categories(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels if label.id in self.children)

    @property
    def is_hierarchical(self) -> bool:
        return bool(self.categories)

    def category_of(self, label_id: str) -> str | None:
        return self.by_id[label_id].parent

    def name_of(self, label_id: str) -> str:
        return self.by_id[label_id].name

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source).hexdigest()

    # -- codes in data ---------------------------------------------------------------------
    def split_codes(self, cell: object) -> list[str]:
        """Split a ``;``-separated cell into ids, keeping order and dropping blanks and repeats."""
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return []
        seen: dict[str, None] = {}
        for part in str(cell).split(SEPARATOR):
            part = part.strip()
            if part:
                seen.setdefault(part, None)
        return list(seen)

    def unknown_codes(self, codes: list[str]) -> list[str]:
        return [c for c in codes if c not in self.by_id]

    def derive_categories(self, leaves: list[str]) -> list[str]:
        """Categories implied by reasons, in scheme order."""
        wanted = {self.by_id[c].parent for c in leaves if c in self.by_id and self.by_id[c].parent}
        return [c for c in self.categories if c in wanted]

    def target_matrix(self, codes: list[list[str]]) -> np.ndarray:
        """Encode rows of codes as a leaf matrix: 1 raised, 0 not raised, -1 unknown.

        A category given alone ("communication": the coder knew the category but not the
        reason) makes its reasons unknown for that row rather than negative, unless a reason of
        the same category is also given.
        """
        index = {leaf: j for j, leaf in enumerate(self.leaves)}
        y = np.zeros((len(codes), len(self.leaves)), dtype=np.int8)
        for i, row in enumerate(codes):
            given = set(row)
            for code in row:
                if code in index:
                    y[i, index[code]] = 1
                elif code in self.children:
                    kids = self.children[code]
                    if not given.intersection(kids):
                        for kid in kids:
                            y[i, index[kid]] = -1
        return y

    def category_matrix(self, codes: list[list[str]]) -> np.ndarray:
        """Rows x categories, 1 where the row has the category (given directly or via a reason)."""
        index = {cat: j for j, cat in enumerate(self.categories)}
        y = np.zeros((len(codes), len(self.categories)), dtype=np.int8)
        for i, row in enumerate(codes):
            for code in row:
                label = self.by_id.get(code)
                if label is None:
                    continue
                cat = code if code in index else label.parent
                if cat in index:
                    y[i, index[cat]] = 1
        return y


# -- loading and validating -----------------------------------------------------------------


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("themes") / "schemes" / f"{name}.toml"))


def resolve(name_or_path: str | Path) -> Path:
    """A built-in scheme name ("causes", "pillars") or a path to a scheme file."""
    if str(name_or_path) in BUILTIN:
        return builtin_path(str(name_or_path))
    path = Path(name_or_path)
    if not path.is_file():
        raise SchemeError(
            f"No scheme called '{name_or_path}': give a built-in name ({', '.join(BUILTIN)}) "
            "or the path of a scheme .toml file."
        )
    return path


def check(data: object) -> list[str]:
    """Every problem with a parsed scheme, in reading order (an empty list means valid)."""
    if not isinstance(data, dict):
        return ["The file must be a table of keys (id, name, version, [[labels]])."]
    problems: list[str] = []
    for key in ("id", "name", "version"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"Top-level '{key}' is missing or not text.")
    scheme_id = data.get("id")
    if isinstance(scheme_id, str) and scheme_id and not _ID_PATTERN.match(scheme_id):
        problems.append(f"Scheme id '{scheme_id}' may use only letters, digits, _ . and -.")
    labels = data.get("labels")
    if not isinstance(labels, list) or not labels:
        problems.append("No labels: add at least one [[labels]] table with an id and a name.")
        return problems
    ids: list[str] = []
    parents: dict[str, str] = {}
    for n, label in enumerate(labels, start=1):
        where = f"Label {n}"
        if not isinstance(label, dict):
            problems.append(f"{where} is not a table.")
            continue
        unknown_keys = set(label) - {"id", "name", "definition", "parent"}
        if unknown_keys:
            problems.append(f"{where} has unknown keys: {', '.join(sorted(unknown_keys))}.")
        label_id = label.get("id")
        if not isinstance(label_id, str) or not label_id.strip():
            problems.append(f"{where} has no id.")
            continue
        where = f"Label {n} ('{label_id}')"
        if not _ID_PATTERN.match(label_id):
            problems.append(
                f"{where}: ids may use only letters, digits, _ . and - (no spaces or ';')."
            )
        if label_id in ids:
            problems.append(f"{where}: duplicate id.")
        ids.append(label_id)
        if not isinstance(label.get("name"), str) or not label["name"].strip():
            problems.append(f"{where} has no name.")
        if "definition" in label and not isinstance(label["definition"], str):
            problems.append(f"{where}: definition must be text.")
        parent = label.get("parent")
        if parent is not None:
            if not isinstance(parent, str) or not parent:
                problems.append(f"{where}: parent must be a label id.")
            else:
                parents[label_id] = parent
    known = set(ids)
    for child, parent in parents.items():
        if parent not in known:
            problems.append(f"Label '{child}' names parent '{parent}', which is not defined.")
        elif parent in parents:
            problems.append(
                f"Label '{child}' has parent '{parent}', which has a parent itself: "
                "schemes have at most two levels (category > reason)."
            )
        elif parent == child:
            problems.append(f"Label '{child}' is its own parent.")
    return problems


def validate_file(path: str | Path) -> list[str]:
    """Every problem with a scheme file; an empty list means it loads."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [f"Cannot read {path}: {exc.strerror}."]
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [f"{path.name} is not UTF-8 text: save it as UTF-8."]
    except tomllib.TOMLDecodeError as exc:
        return [f"{path.name} is not valid TOML: {exc}."]
    return check(data)


def load(name_or_path: str | Path) -> Scheme:
    """Load a built-in scheme by name or a scheme file; raise :class:`SchemeError` listing every problem."""
    path = resolve(name_or_path)
    problems = validate_file(path)
    if problems:
        raise SchemeError(problems_message(f"Scheme file {path.name} has problems:", problems))
    raw = path.read_bytes()
    return from_toml(raw)


def from_toml(raw: bytes) -> Scheme:
    data = tomllib.loads(raw.decode("utf-8-sig"))
    problems = check(data)
    if problems:
        raise SchemeError(problems_message("Scheme has problems:", problems))
    labels = tuple(
        Label(
            id=item["id"],
            name=item["name"].strip(),
            definition=str(item.get("definition", "")).strip(),
            parent=item.get("parent"),
        )
        for item in data["labels"]
    )
    return Scheme(
        id=data["id"],
        name=data["name"],
        version=str(data["version"]),
        labels=labels,
        description=str(data.get("description", "")).strip(),
        notes=str(data.get("notes", "")).strip(),
        source=raw,
    )


def list_builtin() -> list[Scheme]:
    return [load(name) for name in BUILTIN]
