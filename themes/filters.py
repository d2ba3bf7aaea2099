"""The ``--where`` language: a small filter over coded complaints, parsed by hand and never eval'd.

Examples::

    outcome in (Upheld, Partially upheld)
    period = 2023/24 Q3 and team != Fostering
    pillars = planning or causes = communication
    not (stage in (2, 3)) and received >= 2023-04-01
    "Complainant Type" = Parent and Description contains allowance

Grammar (keywords are case-insensitive)::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := FIELD op VALUE | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
                | FIELD "is" ["not"] ("empty" | "blank")
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains"

A FIELD is a column name (any case; quote it if it holds an operator), or ``period`` (the
financial year, quarter or month of the date column), ``received``/``date`` (the date column),
``id``, ``team``, ``stage``, ``outcome``. A VALUE is quoted ('...' or "...") or bare text up to
the next ``and``, ``or``, ``)`` or, inside a list, ``,``. On a scheme column (``causes``,
``cause_categories``, ``pillars``) ``=`` and ``in`` mean "has the label", by id or name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import DataError, UsageError

if TYPE_CHECKING:
    from .breakdown import Coded

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains", "in", "not in", "is empty", "is not empty")
EXAMPLE = "outcome in (Upheld, Partially upheld) and period = 2023/24 Q3"


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        field = _quote(self.field) if not re.fullmatch(r"[\w ]+", self.field) else self.field
        if self.op in ("in", "not in"):
            return f"{field} {self.op} ({', '.join(_quote(v) for v in self.values)})"
        if self.op in ("is empty", "is not empty"):
            return f"{field} {self.op}"
        return f"{field} {self.op} {_quote(self.values[0])}"


@dataclass(frozen=True)
class Not:
    part: Node

    def __str__(self) -> str:
        return f"not ({self.part})"


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]

    def __str__(self) -> str:
        return " and ".join(_grouped(p) for p in self.parts)


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]

    def __str__(self) -> str:
        return " or ".join(_grouped(p) for p in self.parts)


Node = Comparison | Not | And | Or


def _grouped(node: Node) -> str:
    return f"({node})" if isinstance(node, (And, Or)) else str(node)


def _quote(value: str) -> str:
    if re.fullmatch(r"[\w./%&+\- ]*[\w./%&+\-]", value) and not re.search(
        r"(^|\s)(and|or|not|in)(\s|$)", value, re.IGNORECASE
    ):
        return value
    return '"' + value.replace('"', "'") + '"'


# -- parsing ----------------------------------------------------------------------------------

_FIELD_END = re.compile(
    r"\s*(!=|<=|>=|==|=|<|>|(?<![^\s\"'`])(?:not\s+in|in|contains|is\s+not|is)(?=[\s(]|$))",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"(and|or)(?=[\s(]|$)", re.IGNORECASE)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def fail(self, expected: str) -> UsageError:
        # Report the position, not the text: a filter may quote an id or a name.
        return UsageError(
            f"Cannot read the --where filter at character {self.i + 1}: expected {expected}. "
            f"Example: {EXAMPLE}"
        )

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def at_end(self) -> bool:
        self.skip()
        return self.i >= len(self.text)

    def keyword(self, word: str) -> bool:
        self.skip()
        match = re.compile(rf"{word}(?=[\s(),]|$)", re.IGNORECASE).match(self.text, self.i)
        if match:
            self.i = match.end()
            return True
        return False

    def parse(self) -> Node:
        if self.at_end():
            raise self.fail("a condition")
        node = self.expr()
        if not self.at_end():
            raise self.fail("'and', 'or' or the end of the filter")
        return node

    def expr(self) -> Node:
        parts = [self.term()]
        while self.keyword("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def factor(self) -> Node:
        if self.keyword("not"):
            return Not(self.factor())
        self.skip()
        if self.text.startswith("(", self.i):
            self.i += 1
            node = self.expr()
            self.skip()
            if not self.text.startswith(")", self.i):
                raise self.fail("')' to close the '('")
            self.i += 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.field()
        match = _FIELD_END.match(self.text, self.i)
        if not match:
            raise self.fail("an operator (=, !=, <, <=, >, >=, in, not in, contains, is empty)")
        self.i = match.end()
        op = " ".join(match.group(1).lower().split())
        op = "=" if op == "==" else op
        if op in ("in", "not in"):
            return Comparison(field, op, self.value_list())
        if op in ("is", "is not"):
            if not (self.keyword("empty") or self.keyword("blank")):
                raise self.fail("'empty' after 'is'")
            return Comparison(field, f"{op} empty")
        return Comparison(field, op, (self.value(stops=")"),))

    def field(self) -> str:
        self.skip()
        quoted = self.quoted()
        if quoted is not None:
            return quoted
        match = re.compile(r"[^()=!<>\"'`]+?(?=" + _FIELD_END.pattern + ")", re.IGNORECASE)
        found = match.match(self.text, self.i)
        if not found or not found.group(0).strip():
            raise self.fail("a column name such as outcome, team or period")
        self.i = found.end()
        return found.group(0).strip()

    def quoted(self) -> str | None:
        if self.i < len(self.text) and self.text[self.i] in "\"'`":
            mark = self.text[self.i]
            end = self.text.find(mark, self.i + 1)
            if end < 0:
                raise self.fail(f"a closing {mark}")
            value = self.text[self.i + 1 : end]
            self.i = end + 1
            return value
        return None

    def value(self, *, stops: str) -> str:
        self.skip()
        quoted = self.quoted()
        if quoted is not None:
            return quoted
        start = self.i
        while self.i < len(self.text) and self.text[self.i] not in stops:
            if self.text[self.i].isspace() and _KEYWORD.match(self.text, self.i + 1) and "," not in stops:
                break
            self.i += 1
        value = self.text[start : self.i].strip()
        if not value:
            raise self.fail("a value")
        return value

    def value_list(self) -> tuple[str, ...]:
        self.skip()
        if not self.text.startswith("(", self.i):
            raise self.fail("'(' and a list of values after 'in', such as (Upheld, Partially upheld)")
        self.i += 1
        values = [self.value(stops=",)")]
        while True:
            self.skip()
            if self.text.startswith(",", self.i):
                self.i += 1
                values.append(self.value(stops=",)"))
            elif self.text.startswith(")", self.i):
                self.i += 1
                return tuple(values)
            else:
                raise self.fail("',' or ')' in the list of values")


def parse(text: str) -> Node:
    """Parse a ``--where`` filter; raise :class:`UsageError` saying where it went wrong."""
    return _Parser(str(text)).parse()


# -- evaluating -------------------------------------------------------------------------------


def mask(node: Node, coded: Coded) -> np.ndarray:
    """Which rows of ``coded`` the filter keeps, as a boolean array."""
    if isinstance(node, Not):
        return ~mask(node.part, coded)
    if isinstance(node, And):
        out = np.ones(len(coded), dtype=bool)
        for part in node.parts:
            out &= mask(part, coded)
        return out
    if isinstance(node, Or):
        out = np.zeros(len(coded), dtype=bool)
        for part in node.parts:
            out |= mask(part, coded)
        return out
    # A fresh writable array: pandas may hand out read-only views.
    return np.array(_compare(node, coded), dtype=bool)


def _compare(node: Comparison, coded: Coded) -> np.ndarray:
    name = node.field.strip()
    if name.lower() == "period":
        return _compare_period(node, coded)
    scheme_id = coded.scheme_column(name)
    if scheme_id is not None:
        return _compare_codes(node, coded, scheme_id)
    column = coded.column(name)
    if column == coded.date_column and node.op in ("=", "!=", "<", "<=", ">", ">=", "in", "not in"):
        return _compare_dates(node, coded)
    return _compare_text(node, coded.frame[column].astype(str).str.strip(), column)


def _compare_text(node: Comparison, values: pd.Series, column: str) -> np.ndarray:
    folded = values.str.casefold()
    wanted = [v.strip().casefold() for v in node.values]
    if node.op in ("is empty", "is not empty"):
        empty = (values == "").to_numpy()
        return empty if node.op == "is empty" else ~empty
    if node.op == "contains":
        return folded.str.contains(wanted[0], regex=False).to_numpy()
    if node.op in ("=", "!=", "in", "not in"):
        hit = np.zeros(len(values), dtype=bool)
        for value in wanted:
            hit |= _equal(folded, value)
        return hit if node.op in ("=", "in") else ~hit
    number = _number(node.values[0])
    numbers = pd.to_numeric(values, errors="coerce")
    if number is None or numbers.isna().all():
        raise UsageError(
            f"'{node.op}' compares numbers or dates, but column '{column}' or the value is not "
            "numeric: use = or in for text."
        )
    return _ordered(numbers, number, node.op).fillna(False).to_numpy(dtype=bool)


def _equal(folded: pd.Series, value: str) -> np.ndarray:
    same = np.array(folded == value, dtype=bool)
    number = _number(value)
    if number is not None:
        numbers = pd.to_numeric(folded, errors="coerce")
        same |= (numbers == number).fillna(False).to_numpy(dtype=bool)
    return same


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _ordered(values: pd.Series, bound: object, op: str) -> pd.Series:
    if op == "<":
        return values < bound
    if op == "<=":
        return values <= bound
    if op == ">":
        return values > bound
    return values >= bound


def _compare_dates(node: Comparison, coded: Coded) -> np.ndarray:
    from .periods import parse_dates

    dates = coded.dates
    try:
        given = parse_dates(pd.Series(list(node.values)), column="--where")
    except DataError:
        raise UsageError(
            f"--where: compare {node.field} with a date written YYYY-MM-DD or DD/MM/YYYY."
        ) from None
    if node.op in ("=", "!=", "in", "not in"):
        hit = dates.isin(list(given)).to_numpy()
        return hit if node.op in ("=", "in") else ~hit
    return _ordered(dates, given.iloc[0], node.op).fillna(False).to_numpy(dtype=bool)


def _compare_period(node: Comparison, coded: Coded) -> np.ndarray:
    from .periods import parse_period

    dates = coded.dates
    if node.op in ("is empty", "is not empty"):
        empty = dates.isna().to_numpy()
        return empty if node.op == "is empty" else ~empty
    if node.op == "contains":
        raise UsageError("Use =, in, <, <=, > or >= with period, for example: period = 2023/24 Q3.")
    periods = [parse_period(v) for v in node.values]
    if node.op in ("=", "!=", "in", "not in"):
        hit = np.zeros(len(dates), dtype=bool)
        for period in periods:
            hit |= period.contains(dates).to_numpy()
        return hit if node.op in ("=", "in") else ~hit
    period = periods[0]
    # Periods are ranges: "< 2023/24" is before it starts, "<= 2023/24" up to its end.
    bound = pd.Timestamp(period.start if node.op in ("<", ">=") else period.end)
    strict = {"<": "<", "<=": "<", ">": ">=", ">=": ">="}[node.op]
    return _ordered(dates, bound, strict).fillna(False).to_numpy(dtype=bool)


def _compare_codes(node: Comparison, coded: Coded, scheme_id: str) -> np.ndarray:
    if node.op in ("<", "<=", ">", ">="):
        raise UsageError(f"Use =, !=, in or not in with {node.field}, for example: pillars = planning.")
    if node.op in ("is empty", "is not empty"):
        empty = np.array([not row for row in coded.codes[scheme_id]])
        return empty if node.op == "is empty" else ~empty
    hit = np.zeros(len(coded), dtype=bool)
    for value in node.values:
        hit |= coded.has(scheme_id, coded.label_id(scheme_id, value))
    return ~hit if node.op in ("!=", "not in") else hit


# -- rewriting for comparisons with the previous period ---------------------------------------


def period_condition(node: Node | None) -> Comparison | None:
    """The ``period = X`` condition that a filter applies to every row, if it has one."""
    if node is None:
        return None
    parts = node.parts if isinstance(node, And) else (node,)
    found = [
        p for p in parts
        if isinstance(p, Comparison) and p.field.strip().lower() == "period" and p.op == "="
    ]
    return found[0] if len(found) == 1 else None


def mentions_period(node: Node | None) -> bool:
    if node is None:
        return False
    if isinstance(node, Comparison):
        return node.field.strip().lower() == "period"
    if isinstance(node, Not):
        return mentions_period(node.part)
    return any(mentions_period(p) for p in node.parts)


def with_period(node: Node, value: str) -> Node:
    """The same filter with its single ``period = X`` condition replaced by ``period = value``."""
    target = period_condition(node)
    if target is None:
        raise UsageError(
            "--compare-previous needs one 'period = ...' condition joined with 'and', "
            "for example: --where \"period = 2023/24 Q3\"."
        )
    new = replace(target, values=(value,))
    if isinstance(node, And):
        return And(tuple(new if p is target else p for p in node.parts))
    return new
