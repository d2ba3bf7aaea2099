"""Text features: spaCy tokenising, lemmatising and sentence splitting, all offline.

We use ``spacy.blank("en")`` with the lemma lookup table from ``spacy-lookups-data``: nothing is
downloaded at run time. A pretrained pipeline (``en_core_web_sm`` and so on) is used only when one
is named and installed (``THEMES_SPACY_PIPELINE``); the blank pipeline is the default because
pretrained pipelines cannot be installed on every council machine.

Analyzers are plain picklable objects holding parameters only; spaCy objects are built lazily
and cached per process, so a saved model never contains them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

_WORD = re.compile(r"[a-z0-9£']+")
_DIGITS = re.compile(r"\d")
_KEEP = re.compile(r"[a-z£]")
# Words that carry meaning in complaints although generic stop-word lists drop them.
_NEGATIONS = frozenset({"not", "no", "never", "nobody", "nothing", "nor", "without", "n't"})


@lru_cache(maxsize=4)
def blank_pipeline(with_sentences: bool = False):  # noqa: ANN201 - spaCy Language
    """A blank English pipeline (tokenizer only, plus a rule-based sentencizer if asked)."""
    import spacy

    name = os.environ.get("THEMES_SPACY_PIPELINE")
    if name:
        try:
            nlp = spacy.load(name, exclude=["ner"])
        except OSError:
            nlp = spacy.blank("en")
    else:
        nlp = spacy.blank("en")
    if with_sentences and "sentencizer" not in nlp.pipe_names and "parser" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def _lemma_lookup():  # noqa: ANN202 - spaCy Table
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


_LEMMA_CACHE: dict[str, str] = {}


def lemma(word: str) -> str:
    """The lookup lemma of a lower-cased word ("workers" -> "worker", "was" -> "be")."""
    found = _LEMMA_CACHE.get(word)
    if found is None:
        # The table is keyed by string hash; cache per process because complaints reuse words.
        found = str(_lemma_lookup().get(word, word)).lower()
        if len(_LEMMA_CACHE) < 500_000:
            _LEMMA_CACHE[word] = found
    return found


class Analyzer:
    """Turn complaint text into features: normalised word lemmas and their n-grams.

    ``tokenizer="spacy"`` uses spaCy's English tokenizer rules and lookup lemmas;
    ``tokenizer="regex"`` splits on non-word characters with no lemmas (kept for comparison,
    see ``bench/tokenizers.py``).
    """

    def __init__(self, *, tokenizer: str = "spacy", ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.tokenizer = tokenizer
        self.ngram_range = ngram_range

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        if self.tokenizer == "spacy":
            return _spacy_words(texts)
        if self.tokenizer == "regex":
            return [_regex_words(t) for t in texts]
        raise ValueError(f"tokenizer must be 'spacy' or 'regex', got {self.tokenizer!r}")

    def features(self, texts: Sequence[str]) -> list[list[str]]:
        return self.ngrams(self.words(texts))

    def ngrams(self, word_lists: Sequence[list[str]]) -> list[list[str]]:
        low, high = self.ngram_range
        out = []
        for words in word_lists:
            feats = list(words) if low <= 1 else []
            for n in range(max(2, low), high + 1):
                feats.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
            out.append(feats)
        return out

    def __call__(self, text: str) -> list[str]:
        return self.features([text])[0]


def _regex_words(text: str) -> list[str]:
    return [_DIGITS.sub("0", w) for w in _WORD.findall(text.lower())]


def _spacy_words(texts: Sequence[str]) -> list[list[str]]:
    return spacy_arrays(texts)[0].lists()


class Sentence(NamedTuple):
    """One sentence: its character span in the text and its range in the text's words."""

    start: int
    end: int
    first: int
    stop: int


@dataclass
class WordArrays:
    """The words of a batch of texts as arrays, for the fast paths of features and evidence.

    ``ids`` holds every text's words in order, all texts concatenated, as indexes into
    ``vocab`` (the batch's distinct words); text ``i`` owns ``ids[bounds[i]:bounds[i + 1]]``.
    """

    vocab: list[str]
    ids: np.ndarray
    bounds: np.ndarray

    def lists(self) -> list[list[str]]:
        vocab, ids = self.vocab, self.ids.tolist()
        b = self.bounds.tolist()
        return [[vocab[i] for i in ids[b[k] : b[k + 1]]] for k in range(len(b) - 1)]


@dataclass
class SentenceArrays:
    """The sentences of a batch of texts as arrays: text ``i`` owns sentences
    ``bounds[i]:bounds[i + 1]``; each has a character span (``start``, ``end``) in its text and
    a range (``first``, ``stop``) in its text's words."""

    bounds: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    stop: np.ndarray

    def of(self, i: int) -> list[Sentence]:
        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        return [
            Sentence(*row)
            for row in zip(
                self.start[a:b].tolist(), self.end[a:b].tolist(), self.first[a:b].tolist(),
                self.stop[a:b].tolist(), strict=True,
            )
        ]

    def lists(self) -> list[list[Sentence]]:
        return [self.of(i) for i in range(len(self.bounds) - 1)]


def tokenise_with_sentences(texts: Sequence[str]) -> tuple[list[list[str]], list[list[Sentence]]]:
    """Feature words (as :meth:`Analyzer.words` with the spaCy tokenizer) and sentences of each
    text, from one spaCy pass (see :func:`spacy_arrays`)."""
    words, sentences = spacy_arrays(texts, with_sentences=True)
    return words.lists(), sentences.lists()


def spacy_arrays(
    texts: Sequence[str], *, with_sentences: bool = False
) -> tuple[WordArrays, SentenceArrays | None]:
    """Words (as :meth:`Analyzer.words` with the spaCy tokenizer) and, if asked, sentences of
    a batch of texts, from one pass of spaCy's tokenizer and no Python work per token.

    Each distinct lower-case token id is normalised once per process (tokenising is most of
    classify's time); everything per token is array work over the whole batch. Sentences follow
    spaCy's rule-based sentencizer (``Sentencizer``: a sentence starts at the first token that
    is not punctuation after one of its sentence-ending characters), a line break also ends
    one, and they never include surrounding white space. ``tests/test_text.py`` checks both
    against spaCy's own components.
    """
    from spacy.attrs import IDX, LENGTH, LOWER

    nlp = blank_pipeline()
    attrs = [LOWER, IDX, LENGTH] if with_sentences else [LOWER]
    tables = [doc.to_array(attrs) for doc in nlp.tokenizer.pipe([str(t) for t in texts], batch_size=256)]
    n = len(tables)
    lengths = np.fromiter((len(t) for t in tables), dtype=np.int64, count=n)
    # One attribute comes back as a flat array; make every table rows x attributes.
    table = (
        np.concatenate(tables).reshape(-1, len(attrs)) if lengths.sum() else np.zeros((0, len(attrs)), dtype=np.uint64)
    )
    import pandas as pd

    # A hash factorisation: several times faster than np.unique's sort on a chunk's tokens.
    inverse, keys = pd.factorize(table[:, 0])
    strings, cache, kinds = nlp.vocab.strings, _WORD_CACHE, _KINDS
    vocab: dict[str, int] = {}
    key_word = np.empty(len(keys), dtype=np.int64)
    key_kind = np.empty(len(keys), dtype=np.int8)
    for k, key in enumerate(keys.tolist()):
        word = cache.get(key, _UNSEEN)
        if word is _UNSEEN:
            word = _cache_word(key, strings[key])
        key_word[k] = -1 if word is None else vocab.setdefault(word, len(vocab))
        if with_sentences:
            kind = kinds.get(key)
            key_kind[k] = _cache_kind(key, strings[key]) if kind is None else kind
    token_word = key_word[inverse]
    is_word = token_word >= 0
    doc_of = np.repeat(np.arange(n), lengths)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(doc_of[is_word], minlength=n))]).astype(np.int64)
    words = WordArrays(list(vocab), token_word[is_word], bounds)
    if not with_sentences:
        return words, None
    return words, _sentence_arrays(key_kind[inverse], is_word, doc_of, lengths, table, bounds)


def _sentence_arrays(kind, is_word, doc_of, lengths, table, word_bounds) -> SentenceArrays:  # noqa: ANN001
    n, size = len(lengths), len(kind)
    pos = np.arange(size)
    doc_start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    ender_or_punct = (kind == _ENDER) | (kind == _PUNCT)
    # A token starts a sentence when it is not punctuation and a sentence-ending character
    # came after the last such token (within its text); the first token of a text does too.
    last_other = np.maximum.accumulate(np.where(~ender_or_punct, pos, -1)) if size else pos
    before = np.concatenate([[-1], last_other[:-1]]) if size else pos
    low = np.maximum(before, doc_start - 1)
    enders = np.concatenate([[0], np.cumsum(kind == _ENDER)])
    starts = (~ender_or_punct & (enders[pos] - enders[low + 1] > 0)) | (pos == doc_start)
    sentence_of = np.cumsum(starts | (kind == _BREAK)) - 1
    content = np.flatnonzero((kind != _SPACE) & (kind != _BREAK))
    of = sentence_of[content]
    new = np.concatenate([[True], of[1:] != of[:-1]]) if len(of) else np.zeros(0, dtype=bool)
    firsts = content[new]
    lasts = content[np.concatenate([new[1:], [True]])] if len(of) else firsts
    words_before = np.cumsum(is_word) - is_word
    docs = doc_of[firsts]
    return SentenceArrays(
        bounds=np.concatenate([[0], np.cumsum(np.bincount(docs, minlength=n))]).astype(np.int64),
        start=table[firsts, 1].astype(np.int64),
        end=(table[lasts, 1] + table[lasts, 2]).astype(np.int64),
        first=words_before[firsts] - word_bounds[docs],
        stop=words_before[lasts] + is_word[lasts] - word_bounds[docs],
    )


def _cache_word(key: int, lower: str) -> str | None:
    word = _normalise(lower)
    if len(_WORD_CACHE) < 1_000_000:
        _WORD_CACHE[key] = word
    return word


def _cache_kind(key: int, lower: str) -> int:
    from spacy.pipeline.sentencizer import Sentencizer

    if lower.isspace():
        kind = _BREAK if "\n" in lower or "\r" in lower else _SPACE
    elif lower in Sentencizer.default_punct_chars:
        kind = _ENDER
    elif blank_pipeline().vocab[lower].is_punct:
        kind = _PUNCT
    else:
        kind = _OTHER
    if len(_KINDS) < 1_000_000:
        _KINDS[key] = kind
    return kind


_UNSEEN = object()
_WORD_CACHE: dict[int, str | None] = {}
# Token kinds for sentence splitting, by lower-case id.
_OTHER, _SPACE, _BREAK, _ENDER, _PUNCT = range(5)
_KINDS: dict[int, int] = {}


def _normalise(lower: str) -> str | None:
    """A lower-cased token as a feature word: None for punctuation, digits as 0, else its lemma."""
    if not _KEEP.search(lower) and not lower.isdigit():
        return None
    if lower.isdigit() or _DIGITS.search(lower):
        return _DIGITS.sub("0", lower)
    return lemma(lower)


class Tokens:
    """Texts split into words once, shared by every model (and by evidence) that tokenises
    alike; with ``sentences=True`` their sentences come from the same spaCy pass."""

    def __init__(self, texts: Sequence[str], *, sentences: bool = False) -> None:
        self.texts = list(texts)
        self._words: dict[str, list[list[str]]] = {}
        self.arrays, self.sentences = spacy_arrays(self.texts, with_sentences=sentences)

    def words(self, tokenizer: str) -> list[list[str]]:
        """Each text's words as ``Analyzer(tokenizer=tokenizer)`` sees them."""
        if tokenizer not in self._words:
            self._words[tokenizer] = (
                self.arrays.lists() if tokenizer == "spacy" else Analyzer(tokenizer=tokenizer).words(self.texts)
            )
        return self._words[tokenizer]

    def _sentence_index(self, rows: Sequence[int]) -> np.ndarray:
        """Indexes into :attr:`sentences` of the sentences of ``rows``, in order."""
        assert self.sentences is not None, "tokenise with sentences=True first"
        rows = np.asarray(rows, dtype=np.int64)
        first, stop = self.sentences.bounds[rows], self.sentences.bounds[rows + 1]
        return _ranges(first, stop)

    def sentence_arrays(self, rows: Sequence[int]) -> WordArrays:
        """The sentences of ``rows``, in order, as texts of their own (spaCy words)."""
        rows = np.asarray(rows, dtype=np.int64)
        which = self._sentence_index(rows)
        # The sentences of a text cover its words in order, so the rows' words, kept whole,
        # are the sentences' words; only the boundaries are new.
        take = _ranges(self.arrays.bounds[rows], self.arrays.bounds[rows + 1])
        sizes = self.sentences.stop[which] - self.sentences.first[which]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return WordArrays(self.arrays.vocab, self.arrays.ids[take], bounds)

    def sentence_words(self, tokenizer: str, rows: Sequence[int]) -> list[list[str]]:
        """The words of each sentence of ``rows``, in order, one list per sentence."""
        if tokenizer == "spacy":
            return self.sentence_arrays(rows).lists()
        return Analyzer(tokenizer=tokenizer).words(self.sentence_texts(rows))

    def sentence_texts(self, rows: Sequence[int]) -> list[str]:
        rows = np.asarray(rows, dtype=np.int64)
        sentences = self.sentences
        counts = sentences.bounds[rows + 1] - sentences.bounds[rows]
        owner = np.repeat(rows, counts).tolist()
        which = self._sentence_index(rows)
        return [
            self.texts[i][a:b]
            for i, a, b in zip(owner, sentences.start[which].tolist(), sentences.end[which].tolist(), strict=True)
        ]


def _ranges(first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The integers of [first[k], stop[k]) for every k, concatenated."""
    size = stop - first
    return np.arange(size.sum()) + np.repeat(first - (np.cumsum(size) - size), size)


def identity(features: list[str]) -> list[str]:
    """Analyzer for a vectoriser fed with features already computed (module-level: picklable)."""
    return features


# -- sentences -------------------------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of one complaint (see :func:`tokenise_with_sentences`)."""
    return [(s.start, s.end) for s in tokenise_with_sentences([text])[1][0]]


def negations() -> frozenset[str]:
    return _NEGATIONS
