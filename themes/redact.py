"""Mask personal details in complaint text before it is shared.

What is masked, and with what:

- names ``[NAME]``: spaCy Matcher patterns on a blank English pipeline (a title such as Mr or
  Dr, a family word such as "my son", a staff role such as "social worker", "called", "my name
  is", sign-offs such as "Regards,", possessives and "X and Y" pairs); capitalised words that
  English text rarely writes in lower case (by spaCy's word probabilities, from
  ``spacy-lookups-data``: 'Okafor' yes, 'Placement' no); and every name found in the export's
  own name columns;
- addresses ``[ADDRESS]`` (house number and street), postcodes ``[POSTCODE]`` (UK format), phone
  numbers ``[PHONE]`` (UK numbers, checked for length), email addresses ``[EMAIL]``, dates of
  birth ``[DOB]`` (a date after "DOB", "born", "date of birth"), NHS numbers ``[NHS]`` (3-3-4
  digits with a valid check digit or the word NHS nearby), National Insurance numbers ``[NI]``
  and case references ``[REF]`` (shapes such as CSC-2021-0143, or any token with digits after
  "case ref", "ref no", "case number" and the like).

These are rules, not a trained model: they miss names with no clue around them and sometimes
mask a word that is not personal. Recall and precision per kind are measured on the invented
sentences in ``tests/fixtures/redaction_set.jsonl`` (``python bench/redaction_recall.py``).
Check a sample of the output before sharing it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

KINDS = ("NAME", "ADDRESS", "POSTCODE", "PHONE", "EMAIL", "DOB", "NHS", "NI", "REF")
# When two findings overlap, the kind listed first wins (an email holds name-like words, a
# reference can look like a date).
PRIORITY = ("EMAIL", "NHS", "NI", "PHONE", "DOB", "REF", "POSTCODE", "ADDRESS", "NAME")
# Headers with 'name' that do not hold people's names ('Team name', 'School name').
NOT_PEOPLE = (
    "file", "team", "service", "school", "sheet", "scheme", "organisation", "company", "setting",
    "provider", "placement", "unit",
)
NAME_COLUMN_WORDS = ("name", "surname", "forename", "first name", "last name", "family name")

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? {0,2}\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
_PHONE = re.compile(r"(?<![\w+/])(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?|\(0|0)\d[\d )-]*\d")
_NHS = re.compile(r"(?<![\w/-])\d{3}([ -]?)\d{3}\1\d{4}(?![\w/-])")
_NHS_CONTEXT = re.compile(r"\bNHS\b", re.IGNORECASE)
_NI = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?[\s-]+{_MONTH},?[\s-]+\d{{2,4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\b\.?|date\s+of\s+birth|born(?:\s+on)?|birthday)"
    r"(?:\s*(?:is|was|as|of|[:(,–-])\s*)*\s*"
    rf"(?P<date>{_DATE})\b"
    rf"|\bborn\s+in\s+(?P<month>{_MONTH}\s+\d{{4}})\b",
    re.IGNORECASE,
)
_REF_SHAPE = re.compile(r"\b(?!COVID)[A-Z]{1,5}(?:[-/][A-Z]{1,5})*[-/]\d{2,6}(?:[-/]\d{1,6})*\b")
_REF_CONTEXT = re.compile(
    r"\b(?:ref(?:erence)?|(?:case|file)\s+(?:number|no)|record|(?:lcs|mosaic|eclipse|liquidlogic)"
    r"(?:\s+(?:id|number|no))?|nino?)\b\.?"
    r"(?:\s+(?:no|number|is|id)\b\.?)*[\s:#]*"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9/-]*\d[A-Za-z0-9/-]*)",
    re.IGNORECASE,
)
_REF_AFTER_COMPLAINT = re.compile(
    r"\bcomplaint\s+(?:no\.?\s+|number\s+)?(\d+[/-]\d+(?:[/-]\d+)*)\b", re.IGNORECASE
)
_STREET = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|"
    r"Gardens|Gdns|Grove|Terrace|Walk|Hill|Row|Square|Sq|Mews|Park|View|Rise|Green|Parade|"
    r"Vale|Yard|Wharf|Gate|Fields|Meadows|Estate|Heights|Boulevard)"
)
_ADDRESS = re.compile(
    r"\b(?:(?:Flat|Apartment|Apt|Unit|Room)\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+"
    rf"(?:[A-Z][A-Za-z'’-]*\s+){{1,3}}?{_STREET}\b"
)
# A street named without a house number ("on Larch Drive"): a narrower list of street words.
_STREET_NAME = re.compile(
    r"\b(?:[A-Z][a-z'’]+\s+){1,2}(?:Road|Street|Avenue|Lane|Close|Drive|Crescent|Grove|Terrace|"
    r"Gardens|Mews|Business\s+Park)\b"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")

TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "master", "mr.", "mrs.", "ms.", "dr.", "mx.")
KIN = (
    "son", "daughter", "child", "grandson", "granddaughter", "grandchild", "niece", "nephew",
    "brother", "sister", "husband", "wife", "partner", "mum", "mother", "dad", "father",
    "stepson", "stepdaughter", "stepdad", "stepmum", "nan", "nana", "grandma", "grandad",
    "grandmother", "grandfather", "cousin", "aunt", "auntie", "uncle", "baby", "boy", "girl",
    "youngest", "eldest", "oldest", "twin", "twins", "sibling", "fiance", "fiancée", "boyfriend",
    "girlfriend", "friend", "neighbour", "carer",
)
KIN_ADJECTIVES = (
    "little", "foster", "adopted", "adoptive", "step", "birth", "ex", "-", "baby", "new",
    "younger", "older", "big",
)
OWNERS = ("my", "our", "her", "his", "their", "your", "the")
ROLES = (
    "worker", "sw", "manager", "iro", "pa", "adviser", "advisor", "officer", "teacher", "nurse",
    "supervisor", "guardian", "coordinator", "co-ordinator", "assistant", "practitioner",
    "therapist", "senco", "head", "headteacher", "lado", "chair", "solicitor", "caseworker",
)
SIGN_OFFS = ("regards", "thanks", "cheers", "sincerely", "faithfully", "dear", "hi", "love", "from")
# Capitalised words that are not names: function words at the start of a sentence, days and
# months, and the services, teams and places complaints talk about.
STOP = frozenset(
    """a an the i i'm i've i'd it its it's this that these those there here he she they we you
    my our your his her their me him them us who what when where why how which while whilst
    if then than so but and or nor not no yes on in at of to for from by with as after before
    since until during about into over under again also just only still even all any some
    every each both either neither none nobody someone somebody everyone everybody anyone
    nothing something everything today tomorrow yesterday tonight now later soon once
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december christmas easter eid diwali
    mr mrs ms miss mx dr sir madam mum mam mom dad nan nana grandma grandad auntie uncle
    please thank thanks dear regards hello hi yours kind best many sincerely faithfully
    social worker workers team teams service services council councils authority local
    children child children's family families care cared leaving early help fostering foster
    adoption adopted adoptive special guardianship sgo court courts police school schools
    virtual head college nursery hospital gp nhs camhs cafcass ofsted lado iro pa sw mash
    health education safety disabled disability youth justice housing benefits universal
    credit department director manager managers complaints complaint stage panel conference
    plan plans review reviews assessment assessments protection need needs in-house
    england english british uk london city county borough street road house home centre
    contact duty emergency front door hub office unit board trust agency
    was were is are be been being have has had do does did will would can could should shall
    might must may also very really however although because whether
    no. ref case number eve barnardo's barnardo mosaic liquidlogic eclipse sirs level
    facebook whatsapp instagram snapchat tiktok google youtube""".split()
)


@dataclass(frozen=True)
class Span:
    """A character range of one kind of personal detail."""

    start: int
    end: int
    kind: str


@dataclass
class RedactionReport:
    """How much was masked: counts by kind and the cells changed (never the values)."""

    counts: Counter = field(default_factory=Counter)
    cells: int = 0
    name_cells: int = 0

    def describe(self) -> str:
        found = ", ".join(f"{self.counts[k]} {k}" for k in KINDS if self.counts[k])
        text = f"masked {found or 'nothing'} in {self.cells} text cell(s)"
        if self.name_cells:
            text += f" and {self.name_cells} name cell(s)"
        return text


# -- finding ------------------------------------------------------------------------------------


def find_spans(text: str, *, names: Iterable[str] = ()) -> list[Span]:
    """Every personal detail found in ``text``, as non-overlapping spans in text order."""
    if not text or not text.strip():
        return []
    spans = _pattern_spans(text) + _name_spans(text) + _listed_name_spans(text, name_set(names))
    return _resolve(spans)


def redact_text(text: str, *, names: Iterable[str] = ()) -> str:
    """``text`` with each personal detail replaced by its kind in brackets, e.g. ``[NAME]``."""
    return apply_spans(text, find_spans(text, names=names))


def apply_spans(text: str, spans: Sequence[Span]) -> str:
    pieces, last = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        pieces.append(text[last : span.start])
        pieces.append(f"[{span.kind}]")
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def _pattern_spans(text: str) -> list[Span]:
    spans = [Span(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    spans += [Span(m.start(), m.end(), "POSTCODE") for m in _POSTCODE.finditer(text)]
    spans += [Span(m.start(), m.end(), "NI") for m in _NI.finditer(text)]
    spans += [Span(*m.span("date" if m.group("date") else "month"), "DOB") for m in _DOB.finditer(text)]
    spans += [Span(m.start(), m.end(), "REF") for m in _REF_SHAPE.finditer(text)]
    spans += [Span(m.start("ref"), m.end("ref"), "REF") for m in _REF_CONTEXT.finditer(text)
              if len(re.sub(r"\D", "", m.group("ref"))) >= 3]
    spans += [Span(*m.span(1), "REF") for m in _REF_AFTER_COMPLAINT.finditer(text)]
    spans += [Span(m.start(), m.end(), "ADDRESS") for m in _ADDRESS.finditer(text)]
    spans += [Span(m.start(), m.end(), "ADDRESS") for m in _STREET_NAME.finditer(text)]
    spans += _nhs_spans(text)
    spans += _phone_spans(text)
    return spans


def _nhs_spans(text: str) -> list[Span]:
    spans = []
    for m in _NHS.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        context = _NHS_CONTEXT.search(text[max(0, m.start() - 30) : m.start()])
        if context or _nhs_check_digit_ok(digits):
            spans.append(Span(m.start(), m.end(), "NHS"))
    return spans


def _nhs_check_digit_ok(digits: str) -> bool:
    """The NHS number's Modulus 11 check: it turns most other 10-digit numbers away."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone_spans(text: str) -> list[Span]:
    """UK numbers: the longest run of digit groups that makes 10 or 11 national digits."""
    spans = []
    for m in _PHONE.finditer(text):
        candidate = m.group()
        best = None
        for end in range(len(candidate), 0, -1):
            if not candidate[end - 1].isdigit() or (end < len(candidate) and candidate[end].isdigit()):
                continue
            if _national_digits(candidate[:end]) in (10, 11):
                best = end
                break
        if best is not None:
            spans.append(Span(m.start(), m.start() + best, "PHONE"))
    return spans


def _national_digits(candidate: str) -> int:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith(("+44", "0044")):
        digits = "0" + digits.removeprefix("00")[2:].removeprefix("0")
    return len(digits) if digits.startswith("0") and digits[1:2] != "0" else 0


# -- names ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _matcher():  # noqa: ANN202 - spaCy Matcher
    from spacy.matcher import Matcher

    from .text import blank_pipeline

    nlp = blank_pipeline()
    name = {"TEXT": {"REGEX": r"^[A-Z][A-Za-z'’]*$"}, "LOWER": {"NOT_IN": sorted(STOP)}}
    comma = {"ORTH": ",", "OP": "?"}
    matcher = Matcher(nlp.vocab)
    initial = {"TEXT": {"REGEX": r"^[A-Z]\.?$"}}
    matcher.add("TITLE", [
        [{"LOWER": {"IN": list(TITLES)}}, {"ORTH": ".", "OP": "?"}, name],
        [{"LOWER": {"IN": list(TITLES)}}, {"ORTH": ".", "OP": "?"}, initial],
    ])
    matcher.add("KIN", [[
        {"LOWER": {"IN": list(OWNERS)}}, {"LOWER": {"IN": list(KIN_ADJECTIVES)}, "OP": "*"},
        {"LOWER": {"IN": list(KIN)}}, comma, name,
    ]])
    matcher.add("ROLE", [[{"LOWER": {"IN": list(ROLES)}}, comma, name]])
    matcher.add("CALLED", [
        [{"LOWER": {"IN": ["called", "named"]}}, name],
        [{"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s"]}}, name],
        [{"LOWER": "i"}, {"LOWER": {"IN": ["am", "'m"]}}, name, name],
        [{"LOWER": {"IN": ["this", "it"]}}, {"LOWER": {"IN": ["is", "'s"]}}, name, {"LOWER": "from"}],
        [{"LOWER": {"IN": ["spoke", "speak", "spoken", "speaking", "talked", "talking"]}},
         {"LOWER": {"IN": ["to", "with"]}}, name],
    ])
    matcher.add("SIGN_OFF", [
        [{"LOWER": {"IN": list(SIGN_OFFS)}}, comma, name],
        [{"LOWER": "thank"}, {"LOWER": "you"}, comma, name],
    ])
    # Without a clue word, only a word shaped like a name counts (not 'YP' or 'EDT').
    proper = {"TEXT": {"REGEX": _PROPER_SHAPE}, "LOWER": {"NOT_IN": sorted(STOP)}}
    matcher.add("POSSESSIVE", [[proper, {"LOWER": {"IN": ["'s", "’s"]}}]])
    matcher.add("PAIR", [[proper, {"LOWER": "and"}, proper]])
    return nlp, matcher


_PROPER_SHAPE = r"^(?:[A-Z][a-z'’]+)+$"
_SENTENCE_END = frozenset({".", "!", "?", ":", ";", "(", "[", '"', "“", "‘", "'", "-", "–", "•", "*"})


@lru_cache(maxsize=1)
def _word_probabilities() -> dict[str, float]:
    """spaCy's English word log-probabilities, keyed by the word as written (case matters)."""
    try:
        import spacy_lookups_data
        from spacy.util import load_language_data

        return load_language_data(spacy_lookups_data.en["lexeme_prob"])
    except (ImportError, AttributeError, KeyError, OSError, ValueError):
        return {}


def _capital_odds(word: str) -> float | None:
    """How much more often ``word`` is written capitalised than lower case (log odds).

    'Liam' and 'Okafor' score well above 0: proper nouns. 'Placement' and 'Personal' score
    below: common words capitalised at the start of a sentence or in a job title. ``None``
    when the word list is not installed.
    """
    probs = _word_probabilities()
    if not probs:
        return None
    floor = -21.0  # below the rarest word in the list
    lower = word.lower()
    return probs.get(lower.capitalize(), floor) - probs.get(lower, floor)


def _common_word(word: str) -> bool:
    """A word English text usually writes in lower case ('will', 'grace'; not 'kacper')."""
    odds = _capital_odds(word)
    return odds is not None and word.lower() in _word_probabilities() and odds <= 0


def _looks_proper(token) -> bool:  # noqa: ANN001 - spaCy Token
    """A capitalised word that is rarely a common word: anywhere but the start of a sentence,
    any such word; at the start, only a word far more often capitalised (or unknown)."""
    text = token.text
    if not re.fullmatch(r"[A-Z][a-z'’]+", text) or text.lower() in STOP:
        return False
    odds = _capital_odds(re.sub(r"['’]s$", "", text))
    if odds is None or odds <= 0:
        return False
    previous = token.doc[token.i - 1] if token.i else None
    starts = previous is None or previous.text in _SENTENCE_END or "\n" in previous.text
    return not starts or odds > 1.5


def _is_name_token(token) -> bool:  # noqa: ANN001 - spaCy Token
    text = token.text
    return bool(re.fullmatch(r"[A-Z][A-Za-z'’]*", text)) and text.lower() not in STOP


def _name_spans(text: str) -> list[Span]:
    nlp, matcher = _matcher()
    doc = nlp.make_doc(text)
    spans = []
    for match_id, start, end in matcher(doc):
        rule = nlp.vocab.strings[match_id]
        if rule == "POSSESSIVE":
            end -= 1
        names = [i for i in range(start, end) if _is_name_token(doc[i])]
        if rule in ("TITLE",):
            names = list(range(start, end))
        if rule == "CALLED" and doc[end - 1].lower_ == "from":
            names = [i for i in names if i < end - 1]
        if rule == "PAIR":
            spans += [Span(doc[i].idx, doc[i].idx + len(doc[i]), "NAME") for i in names]
            continue
        if not names:
            continue
        first, last = names[0], _extend_name(doc, names[-1])
        spans.append(Span(doc[first].idx, _name_end(doc[last]), "NAME"))
    for token in doc:
        if _looks_proper(token):
            last = _extend_name(doc, token.i)
            spans.append(Span(token.idx, _name_end(doc[last]), "NAME"))
    return spans


def _name_end(token) -> int:  # noqa: ANN001 - spaCy Token
    """Where a name ends: an initial's full stop is left in place ('Hannah P.' -> '[NAME].')."""
    return token.idx + len(token.text.rstrip("."))


def _extend_name(doc, last: int) -> int:  # noqa: ANN001 - spaCy Doc
    """Take in surnames and hyphenated parts: 'Ellie' -> 'Ellie-May', 'Paul' -> 'Paul Reeves'."""
    added = 0
    while added < 3:
        nxt = last + 1
        hyphen = nxt + 1 < len(doc) and doc[nxt].text in ("-", "‐") and not doc[nxt].whitespace_
        if hyphen and not doc[last].whitespace_ and re.fullmatch(r"[A-Z][A-Za-z'’]*", doc[nxt + 1].text):
            last = nxt + 1
        elif nxt < len(doc) and doc[last].whitespace_ == " " and (
            _is_name_token(doc[nxt]) or re.fullmatch(r"[A-Z]\.?", doc[nxt].text)
        ):
            last = nxt
        else:
            break
        added += 1
    return last


def name_set(values: Iterable[str]) -> frozenset[str]:
    """Names worth looking for from name-column cells: each part and each full value."""
    found: set[str] = set()
    for value in values:
        value = str(value or "").strip()
        if not value or value.startswith("["):
            continue
        parts = [p for p in _WORD.findall(value) if len(p) >= 2 and p.lower() not in STOP]
        found.update(p.lower() for p in parts)
    return frozenset(found)


def _listed_name_spans(text: str, names: frozenset[str]) -> list[Span]:
    """Words of the text that are names from the export's name columns (capitalised uses only)."""
    if not names:
        return []
    spans = []
    for m in _WORD.finditer(text):
        word = m.group()
        base = re.sub(r"['’]s$", "", word)
        if base.lower() in names and (base[:1].isupper() or not _common_word(base)):
            spans.append(Span(m.start(), m.start() + len(base), "NAME"))
    return spans


def _resolve(spans: list[Span]) -> list[Span]:
    """Merge touching names ('Imogen' 'Walsh'), then keep the higher-priority of overlaps."""
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    ordered = sorted(spans, key=lambda s: (rank[s.kind], -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: s.start)
    merged: list[Span] = []
    for span in kept:
        if merged and span.kind == merged[-1].kind == "NAME" and 0 <= span.start - merged[-1].end <= 1:
            merged[-1] = Span(merged[-1].start, span.end, "NAME")
        else:
            merged.append(span)
    return merged


# -- tables -----------------------------------------------------------------------------------


def name_columns_of(frame: pd.DataFrame) -> list[str]:
    """Columns whose header says they hold names ('Child name', 'Surname', 'Complainant name')."""
    from .data import _norm

    found = []
    for column in frame.columns:
        words = _norm(column)
        if any(re.search(rf"\b{w}\b", words) for w in NAME_COLUMN_WORDS) and not any(
            re.search(rf"\b{w}\b", words) for w in NOT_PEOPLE
        ):
            found.append(column)
    return found


def redact_frame(
    frame: pd.DataFrame,
    *,
    text_columns: Sequence[str],
    name_columns: Sequence[str] = (),
) -> tuple[pd.DataFrame, RedactionReport]:
    """A copy with personal details masked in ``text_columns`` and every name cell set to [NAME].

    Names from ``name_columns`` (all rows: a sibling's name can appear in another complaint)
    are masked wherever they appear capitalised in the text columns. Other columns are kept.
    """
    from .errors import DataError

    missing = [c for c in [*text_columns, *name_columns] if c not in frame.columns]
    if missing:
        raise DataError(f"No column '{missing[0]}' to redact: check the column names.")
    names = name_set(v for c in name_columns for v in frame[c].astype(str))
    out = frame.copy()
    report = RedactionReport()
    for column in text_columns:
        values = []
        for value in out[column].tolist():
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            spans = find_spans(text, names=names)
            if spans:
                report.cells += 1
                report.counts.update(s.kind for s in spans)
                text = apply_spans(text, spans)
            values.append(text if spans else value)
        out[column] = values
    for column in name_columns:
        if column in text_columns:
            continue
        filled = out[column].astype(str).str.strip() != ""
        report.name_cells += int(filled.sum())
        out[column] = out[column].where(~filled, "[NAME]")
    return out, report


def redact_export(
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    name_columns: Sequence[str] | None = None,
    also: Sequence[str] = (),
) -> tuple[pd.DataFrame, RedactionReport]:
    """Redact an export as commands do: the detected text column (and any of ``also`` present,
    such as classify's evidence column), and the named or detected name columns."""
    from .data import TEXT_CANDIDATES, find_column

    text = find_column(
        frame, text_column, candidates=TEXT_CANDIDATES, role="complaint text", option="--text-column"
    )
    texts = [text] + [c for c in also if c in frame.columns and c != text]
    if name_columns is None:
        names = [c for c in name_columns_of(frame) if c not in texts]
    else:
        names = [
            find_column(frame, c, candidates=(), role="names", option="--name-columns")
            for c in name_columns
        ]
    return redact_frame(frame, text_columns=texts, name_columns=names)


@dataclass(frozen=True)
class RedactingClassifier:
    """A per-chunk classify function whose output leaves with personal details masked.

    Codes are made from the full text first; then the text column, the evidence column and
    name columns are redacted. Picklable, so ``themes classify --jobs N`` can send it to workers.
    Names from name columns are taken chunk by chunk.
    """

    classify: Callable[..., pd.DataFrame]
    text_column: str | None = None
    name_columns: tuple[str, ...] | None = None

    def __call__(self, bundle: object, frame: pd.DataFrame) -> pd.DataFrame:
        coded = self.classify(bundle, frame)
        redacted, _ = redact_export(
            coded, text_column=self.text_column, name_columns=self.name_columns, also=("evidence",)
        )
        return redacted


# -- measuring --------------------------------------------------------------------------------


def load_examples(path: str | Path) -> list[dict]:
    """Labelled sentences: one JSON object a line with text, spans (start, end, kind), names."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure(examples: Sequence[dict]) -> dict[str, dict[str, float]]:
    """Recall and precision per kind, plus recall counting a detail masked as any kind.

    A labelled detail is recalled when every character of it is inside found spans of its
    kind; a found span is precise when it overlaps a labelled detail of its kind.
    """
    gold_n, hit, any_hit, found_n, right = Counter(), Counter(), Counter(), Counter(), Counter()
    for example in examples:
        text = example["text"]
        gold = [Span(s["start"], s["end"], s["kind"]) for s in example["spans"]]
        found = find_spans(text, names=example.get("names", ()))
        for g in gold:
            gold_n[g.kind] += 1
            hit[g.kind] += _covered(g, [f for f in found if f.kind == g.kind], text)
            any_hit[g.kind] += _covered(g, found, text)
        for f in found:
            found_n[f.kind] += 1
            right[f.kind] += any(g.kind == f.kind and g.start < f.end and f.start < g.end for g in gold)
    results = {}
    for kind in KINDS:
        results[kind] = {
            "labelled": gold_n[kind],
            "found": found_n[kind],
            "recall": round(hit[kind] / gold_n[kind], 3) if gold_n[kind] else None,
            "recall_any_kind": round(any_hit[kind] / gold_n[kind], 3) if gold_n[kind] else None,
            "precision": round(right[kind] / found_n[kind], 3) if found_n[kind] else None,
        }
    return results


def _covered(gold: Span, found: Sequence[Span], text: str) -> bool:
    return all(
        any(f.start <= i < f.end for f in found)
        for i in range(gold.start, gold.end)
        if not text[i].isspace()
    )
