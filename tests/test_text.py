"""Tokenising and sentence splitting: one spaCy pass gives both, matching spaCy's components."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from themes.text import Analyzer, blank_pipeline, sentences, tokenise_with_sentences

from .conftest import TRAINING

_LINE_BREAK = re.compile(r"\n")


def _reference_sentences(text: str) -> list[tuple[int, int]]:
    """spaCy's Sentencizer component run on each line, with white space trimmed."""
    nlp = blank_pipeline(with_sentences=True)
    spans, start = [], 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            for sent in nlp(chunk).sents:
                piece = chunk[sent.start_char : sent.end_char]
                if piece.strip():
                    lead = len(piece) - len(piece.lstrip())
                    spans.append((start + sent.start_char + lead, start + sent.start_char + len(piece.rstrip())))
        if match:
            start = match.end()
    return spans


HARD = [
    "",
    "   \n\n  ",
    "No full stop at all",
    "Dear Sir,\n\nI am writing to complain.\n- point one\n- point two\r\nThanks",
    "What?! Really... yes. (She said so.) OK",
    "Mr. Smith said 3.5 hours!!! then left.\tNext  one.\n\n\n",
    "“Quoted.” Then more… and more?",
    "1) first\n2) second. Third sentence here.",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return pd.read_csv(TRAINING, dtype=str, keep_default_na=False)["text"].tolist()[:600] + HARD


def test_sentences_match_spacys_sentencizer_line_by_line(texts):
    _, spans = tokenise_with_sentences(texts)
    for text, found in zip(texts, spans, strict=True):
        assert [(s.start, s.end) for s in found] == _reference_sentences(text), text[:80]
        assert sentences(text) == _reference_sentences(text)


def test_words_are_the_analyzers_and_sentences_slice_them(texts):
    words, spans = tokenise_with_sentences(texts)
    assert words == Analyzer().words(texts)
    for text, ws, found in zip(texts, words, spans, strict=True):
        assert [w for s in found for w in ws[s.first : s.stop]] == ws
        for s in found:
            assert Analyzer().words([text[s.start : s.end]])[0] == ws[s.first : s.stop]
