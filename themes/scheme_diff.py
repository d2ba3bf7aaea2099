"""What changed between two versions of a scheme: labels added, removed, renamed, moved, split, merged.

Without a crosswalk the changes are inferred from ids and names:

- *renamed*: the same id with a new name, or the same name (ignoring case and spacing) under a
  new id;
- *split*: an old label whose id became a category (it now has children), or an old id that is
  gone while new ids extend it (``delay.slow`` -> ``delay.slow_start``, ``delay.slow_wait``);
- *moved*: the same id under another parent;
- *removed* and *added*: whatever is left.

A crosswalk between the versions (the same kind of file as a legacy crosswalk, with
``[from]`` the old version and ``[to]`` the new) settles the old labels it maps: several
targets is a split, one new id is a rename, several old labels onto one new id is a merge,
and ``none = true`` is a removal.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .crosswalk import Crosswalk
from .scheme import Scheme

COLUMNS = ("change", "old_id", "old_name", "new_id", "new_name", "detail")
_SEPARATORS = (".", "_", "-")


@dataclass
class _Diff:
    old: Scheme
    new: Scheme
    rows: list[dict]
    used_new: set[str]

    def add(self, change: str, old_id: str | None, new_ids: tuple[str, ...] = (), detail: str = "") -> None:
        self.rows.append({
            "change": change,
            "old_id": old_id or "",
            "old_name": self.old.name_of(old_id) if old_id else "",
            "new_id": ";".join(new_ids),
            "new_name": "; ".join(self.new.name_of(i) for i in new_ids if i in self.new.by_id),
            "detail": detail,
        })
        self.used_new.update(new_ids)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def diff(old: Scheme, new: Scheme, *, crosswalk: Crosswalk | None = None) -> pd.DataFrame:
    """One row per change from ``old`` to ``new`` (columns: change, old_id, old_name, new_id,
    new_name, detail), in the old scheme's order, then labels added in the new one's order."""
    d = _Diff(old=old, new=new, rows=[], used_new=set())
    mapped = _crosswalk_changes(d, crosswalk) if crosswalk is not None else set()
    new_by_name = {_key(label.name): label.id for label in new.labels if label.id not in old.by_id}
    for label in old.labels:
        if label.id in mapped:
            continue
        if label.id in new.by_id:
            _same_id(d, label.id)
            continue
        extended = [i for i in new.by_id if i not in old.by_id and i.startswith(_prefixes(label.id))]
        if extended:
            d.add("split", label.id, tuple(extended), "new ids extend the old id")
        elif _key(label.name) in new_by_name:
            d.add("renamed", label.id, (new_by_name[_key(label.name)],), "same name, new id")
        else:
            d.add("removed", label.id)
    for label in new.labels:
        if label.id not in old.by_id and label.id not in d.used_new:
            d.add("added", None, (label.id,))
    return pd.DataFrame(d.rows, columns=list(COLUMNS))


def _prefixes(label_id: str) -> tuple[str, ...]:
    return tuple(label_id + sep for sep in _SEPARATORS)


def _same_id(d: _Diff, label_id: str) -> None:
    before, after = d.old.by_id[label_id], d.new.by_id[label_id]
    d.used_new.add(label_id)
    if label_id not in d.old.children and label_id in d.new.children:
        kids = tuple(k for k in d.new.children[label_id] if k not in d.old.by_id)
        d.add("split", label_id, kids, "the label became a category with these reasons")
    if _key(before.name) != _key(after.name):
        d.add("renamed", label_id, (label_id,), "same id, new name")
    if before.parent != after.parent:
        d.add("moved", label_id, (label_id,), f"parent {before.parent or '(none)'} -> {after.parent or '(none)'}")


def _crosswalk_changes(d: _Diff, crosswalk: Crosswalk) -> set[str]:
    """Record the changes a crosswalk settles; return the old ids it settled."""
    into: dict[str, list[str]] = {}
    for m in crosswalk.mappings:
        if len(m.targets) == 1:
            into.setdefault(m.targets[0], []).append(m.source)
    settled: set[str] = set()
    for m in crosswalk.mappings:
        if m.source not in d.old.by_id:
            continue
        note = "crosswalk" + (" (judgement)" if m.judgement else "")
        if m.none:
            if m.source in d.new.by_id:
                continue
            d.add("removed", m.source, (), f"{note}: no equivalent")
        elif len(m.targets) > 1:
            d.add("split", m.source, m.targets, note)
        elif len(into[m.targets[0]]) > 1:
            d.add("merged", m.source, m.targets, f"{note}: with {', '.join(o for o in into[m.targets[0]] if o != m.source)}")
        elif m.targets[0] != m.source:
            d.add("renamed", m.source, m.targets, f"{note}: new id")
        else:
            continue
        settled.add(m.source)
    return settled
