"""The coding loop: a person codes the complaints the model is least sure of, fast and safely.

:func:`build_queue` puts the uncoded complaints of an export in order, least confident first,
with the model's codes as suggestions. :class:`LabellingSession` shows them one at a time and
reads single keys (a accept, e edit, s skip, q quit, ? help) from a :class:`KeySource`, so tests
and the terminal drive the same code. :class:`AnswerLog` appends each answer to a CSV (id, text,
one column per scheme, coded_at) and flushes and fsyncs it before the next complaint is shown:
quitting or a crash loses nothing, and a later run skips every id the file already has. The
file is ordinary labelled data for ``themes train`` (for example ``themes train
training_data/complaints.csv labelled.csv:3``).

The session prints complaint text, which is its purpose; it writes to the console it is given.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

import numpy as np

from .data import safe_cell
from .errors import DataError, OutputError
from .scheme import Scheme

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from .bundle import Bundle

CODED_AT = "coded_at"
BOM = b"\xef\xbb\xbf"


# -- the answer file ----------------------------------------------------------------------------


class AnswerLog:
    """An append-only CSV of answers, one row per complaint, durable as soon as it is written."""

    def __init__(self, path: str | Path, scheme_ids: Sequence[str]) -> None:
        self.path = Path(path)
        self.fields = ["id", "text", *scheme_ids, CODED_AT]

    def done_ids(self) -> set[str]:
        """Ids already answered. A last row cut off by a crash mid-write is removed first: it
        was never acknowledged, so its complaint is simply shown again."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return set()
        raw = self.path.read_bytes()
        records, complete = _complete_records(raw)
        header = [h.strip() for h in records[0]] if records else None
        ours = header == self.fields or (header is None and self._header().startswith(raw))
        if not ours:
            raise DataError(
                f"{self.path.name} is not an answer file of this coding loop: expected the columns "
                f"{', '.join(self.fields)}. Give a new file name with --out, or the file an earlier "
                "session wrote."
            )
        if complete < len(raw):
            # Only ever trims our own file, and only the unacknowledged tail.
            with open(self.path, "r+b") as handle:
                handle.truncate(complete)
                handle.flush()
                os.fsync(handle.fileno())
        return {_plain_id(r[0]) for r in records[1:] if r}

    def _header(self) -> bytes:
        return BOM + (",".join(self.fields) + "\r\n").encode("utf-8")

    def append(self, complaint_id: str, text: str, codes: Mapping[str, Sequence[str]]) -> None:
        """Write one answer and make it durable (flush and fsync) before returning."""
        new = not self.path.exists() or self.path.stat().st_size == 0
        row = [complaint_id, text, *(";".join(codes.get(s, ())) for s in self.fields[2:-1])]
        row.append(dt.datetime.now().isoformat(timespec="seconds"))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if new:
            writer.writerow(self.fields)
        writer.writerow([safe_cell(v) for v in row])
        data = (BOM if new else b"") + buffer.getvalue().encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        except OSError as exc:
            raise OutputError(f"Cannot append to {self.path.name} ({exc.strerror}): is it open in Excel?") from None
        finally:
            os.close(fd)


def _plain_id(value: str) -> str:
    """An id as it was before :func:`safe_cell` made it inert ('=A1 was =A1)."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _lines(raw: bytes) -> Iterator[tuple[bytes, int]]:
    start = 0
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end + 1
        yield raw[start:end], end
        start = end


def _complete_records(raw: bytes) -> tuple[list[list[str]], int]:
    """Parse CSV bytes; return the records that end with a line break, and their byte length."""
    offset = len(BOM) if raw.startswith(BOM) else 0
    position = {"end": offset}

    def feed() -> Iterator[str]:
        for line, end in _lines(raw[offset:]):
            position["end"] = offset + end
            yield line.decode("utf-8", errors="replace")

    records: list[list[str]] = []
    complete = offset
    reader = csv.reader(feed())
    try:
        for record in reader:
            if raw[position["end"] - 1 : position["end"]] == b"\n":
                records.append(record)
                complete = position["end"]
    except csv.Error:
        pass
    return records, (complete if records else 0)


# -- what to show, in what order ------------------------------------------------------------------


@dataclass
class Item:
    """One complaint to code, with the model's suggestion."""

    row: int
    complaint_id: str
    text: str
    confidence: float
    suggested: dict[str, list[str]]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)


def build_queue(
    bundle: Bundle,
    frame: pd.DataFrame,
    *,
    text_column: str,
    id_column: str,
    done: set[str],
    name: str = "the input",
) -> tuple[list[Item], int]:
    """Uncoded complaints, least confident first; and how many rows were already coded."""
    from .errors import row_list
    from .predict import predict_texts

    ids = frame[id_column].astype(str).str.strip().tolist()
    texts = frame[text_column].astype(str).tolist()
    blank = [i + 2 for i, v in enumerate(ids) if not v]
    seen: dict[str, int] = {}
    repeats = [i + 2 for i, v in enumerate(ids) if v and seen.setdefault(v, i) != i]
    if blank or repeats:
        where = row_list(blank or repeats)
        raise DataError(
            f"{name}: column '{id_column}' has {'blank' if blank else 'repeated'} ids at {where}; "
            "the coding loop needs one id per complaint to resume safely."
        )
    todo = [i for i, v in enumerate(ids) if v not in done and texts[i].strip()]
    preds = predict_texts(bundle, [texts[i] for i in todo])
    items = []
    for k, i in enumerate(todo):
        scores = {
            s: {leaf: float(p) for leaf, p in zip(bundle.schemes[s].leaves, preds.proba[s][k], strict=True)}
            for s in bundle.schemes
        }
        items.append(
            Item(i + 2, ids[i], texts[i], float(preds.confidence[k]),
                 {s: list(preds.labels(s)[k]) for s in bundle.schemes}, scores)
        )
    order = np.argsort([it.confidence for it in items], kind="stable")
    return [items[j] for j in order], sum(v in done for v in ids)


# -- keys ------------------------------------------------------------------------------------------


class KeySource(Protocol):
    def key(self) -> str:
        """One key ('' at the end of input)."""

    def line(self) -> str | None:
        """One line of text (None at the end of input)."""


class StreamKeys:
    """Keys from a text stream, one command per line: for pipes, tests and screen readers."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self) -> str | None:
        text = self.stream.readline()
        return None if text == "" else text.rstrip("\r\n")

    def key(self) -> str:
        text = self.line()
        if text is None:
            return ""
        return text.strip()[:1].lower() or "\n"


class TerminalKeys:
    """Single key presses from the terminal, without Enter."""

    def key(self) -> str:
        if os.name == "nt":
            import msvcrt

            return msvcrt.getwch().lower()
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            data = os.read(fd, 8)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if not data or data == b"\x04":
            return ""
        return data.decode("utf-8", errors="ignore")[:1].lower()

    def line(self) -> str | None:
        try:
            return input()
        except EOFError:
            return None


# -- the session -----------------------------------------------------------------------------------

HELP = (
    "a  accept the codes shown and save them\n"
    "e  edit: toggle labels by number or id, search label names by typing a word\n"
    "s  skip: leave this complaint uncoded (a later run shows it again)\n"
    "q  quit: every answer given so far is already saved\n"
    "?  this help"
)
EDIT_HELP = (
    "Type label numbers or ids to toggle them (for example: 3 12 pillars.planning),\n"
    "a word to search label names and definitions, 'l' to list every label, '.' or an empty line when done."
)


@dataclass
class Summary:
    saved: int = 0
    skipped: int = 0
    remaining: int = 0
    quit: bool = False


class LabellingSession:
    """Show complaints one at a time and save each answer as it is given."""

    def __init__(
        self,
        items: Sequence[Item],
        schemes: Mapping[str, Scheme],
        log: AnswerLog,
        *,
        keys: KeySource,
        console: Console,
        already: int = 0,
    ) -> None:
        self.items = list(items)
        self.schemes = dict(schemes)
        self.log = log
        self.keys = keys
        self.console = console
        self.already = already
        self.numbered = [(s, leaf) for s, scheme in self.schemes.items() for leaf in scheme.leaves]
        self._listed = False

    # -- output helpers (data is always printed with markup off) -------------------------------
    def _say(self, message: str, style: str | None = None) -> None:
        self.console.print(message, markup=False, highlight=False, style=style)

    def _prompt(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, end="")
        self.console.file.flush()

    def run(self) -> Summary:
        summary = Summary(remaining=len(self.items))
        if not self.items:
            self._say("Nothing to code: every complaint with text is already in the answer file.")
            return summary
        self._say(f"{len(self.items)} complaints to code, least sure first. Press ? for help.")
        try:
            for n, item in enumerate(self.items, start=1):
                outcome = self._one(item, n)
                if outcome == "quit":
                    summary.quit = True
                    break
                if outcome == "saved":
                    summary.saved += 1
                else:
                    summary.skipped += 1
                summary.remaining -= 1
        except KeyboardInterrupt:
            summary.quit = True
        return summary

    def _one(self, item: Item, n: int) -> str:
        codes = {s: list(v) for s, v in item.suggested.items()}
        edited = False
        self._show(item, n, codes, edited)
        while True:
            self._prompt("[a]ccept [e]dit [s]kip [q]uit [?] > ")
            key = self.keys.key()
            if key == "":
                self._say("")
                return "quit"
            if key == "a":
                self.log.append(item.complaint_id, item.text, codes)
                self.already += 1
                self._say(f"Saved ({self.already} coded in {self.log.path.name}).", style="green")
                return "saved"
            if key == "s":
                self._say("Skipped.")
                return "skipped"
            if key == "q":
                self._say(f"Stopped. {self.already} complaints coded in {self.log.path.name}; run again to go on.")
                return "quit"
            if key == "e":
                if self._edit(codes) is None:
                    return "quit"
                edited = True
                self._show_codes(item, codes, edited)
                continue
            if key == "?":
                self._say(HELP)
                continue
            self._say("Press a, e, s, q or ? (help).")

    def _show(self, item: Item, n: int, codes: Mapping[str, list[str]], edited: bool) -> None:
        from rich.rule import Rule
        from rich.text import Text

        title = f"Complaint {n} of {len(self.items)} · id {item.complaint_id} · model confidence {item.confidence:.2f}"
        self.console.print(Rule(Text(title)))
        self.console.print(Text(item.text))
        self._show_codes(item, codes, edited)

    def _show_codes(self, item: Item, codes: Mapping[str, list[str]], edited: bool) -> None:
        self._say("Your codes:" if edited else "Suggested codes:", style="bold")
        for scheme_id, scheme in self.schemes.items():
            labels = codes.get(scheme_id, [])
            if not labels:
                self._say(f"  {scheme_id}: (none)")
            for label in labels:
                number = self._number(scheme_id, label)
                score = item.scores.get(scheme_id, {}).get(label)
                shown = f" ({score:.2f})" if score is not None else ""
                prefix = f"[{number}]" if number else "   "
                self._say(f"  {scheme_id}: {prefix} {label}  {scheme.name_of(label)}{shown}")

    def _number(self, scheme_id: str, label: str) -> int | None:
        try:
            return self.numbered.index((scheme_id, label)) + 1
        except ValueError:
            return None

    # -- editing -----------------------------------------------------------------------------
    def _edit(self, codes: dict[str, list[str]]) -> dict[str, list[str]] | None:
        # The full numbered list once per session; after that 'l' shows it again.
        if not self._listed:
            self._list(codes)
            self._listed = True
        self._say(EDIT_HELP)
        while True:
            self._prompt("edit > ")
            text = self.keys.line()
            if text is None:
                return None
            text = text.strip()
            if text in ("", "."):
                return codes
            if text == "l":
                self._list(codes)
                continue
            if text == "?":
                self._say(EDIT_HELP)
                continue
            targets = self._targets(text)
            if targets is None:
                self._search(text.lstrip("/").strip(), codes)
                continue
            for scheme_id, label in targets:
                chosen = codes.setdefault(scheme_id, [])
                if label in chosen:
                    chosen.remove(label)
                    self._say(f"  - {label}")
                else:
                    chosen.append(label)
                    self._say(f"  + {label}")
            self._say("Now: " + self._summary(codes))

    def _targets(self, text: str) -> list[tuple[str, str]] | None:
        """The labels a line names by number or id, or None when it is a search."""
        found = []
        for token in re.split(r"[\s,;]+", text):
            if not token:
                continue
            if token.isdigit() and 1 <= int(token) <= len(self.numbered):
                found.append(self.numbered[int(token) - 1])
                continue
            owner = next((s for s, scheme in self.schemes.items() if token in scheme.by_id), None)
            if owner is None:
                return None
            found.append((owner, token))
        return found or None

    def _search(self, text: str, codes: Mapping[str, list[str]]) -> None:
        words = text.lower().split()
        if not words:
            self._say(EDIT_HELP)
            return
        hits = []
        for number, (scheme_id, leaf) in enumerate(self.numbered, start=1):
            label = self.schemes[scheme_id].by_id[leaf]
            parent = self.schemes[scheme_id].by_id.get(label.parent or "")
            haystack = " ".join([leaf, label.name, label.definition, parent.name if parent else ""]).lower()
            if all(w in haystack for w in words):
                hits.append(number)
        if not hits:
            self._say(f"No label matches '{text}'. Type 'l' to list them all.")
            return
        self._say(f"{len(hits)} label(s) match; type a number to toggle:")
        for number in hits:
            self._say(self._label_line(number, codes))

    def _list(self, codes: Mapping[str, list[str]]) -> None:
        current = None
        for number in range(1, len(self.numbered) + 1):
            scheme_id = self.numbered[number - 1][0]
            if scheme_id != current:
                self._say(f"{scheme_id}:", style="bold")
                current = scheme_id
            self._say(self._label_line(number, codes))

    def _label_line(self, number: int, codes: Mapping[str, list[str]]) -> str:
        scheme_id, leaf = self.numbered[number - 1]
        mark = "x" if leaf in codes.get(scheme_id, []) else " "
        return f"  [{mark}] {number:>2} {leaf}  {self.schemes[scheme_id].name_of(leaf)}"

    def _summary(self, codes: Mapping[str, list[str]]) -> str:
        return " | ".join(f"{s}: {'; '.join(codes.get(s, [])) or '(none)'}" for s in self.schemes)
