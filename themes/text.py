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
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

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
    return [words for words, _ in _spacy_tokens(texts, with_sentences=False)]


def _spacy_tokens(
    texts: Sequence[str], *, with_sentences: bool
) -> Iterable[tuple[list[str], list[Sentence]]]:
    """Each text's feature words and, if asked, its sentences, from one pass of spaCy's tokenizer."""
    from spacy.attrs import LOWER

    nlp = blank_pipeline()
    strings = nlp.vocab.strings
    cache = _WORD_CACHE
    for doc in nlp.tokenizer.pipe([str(t) for t in texts], batch_size=256):
        # Reading lower-case ids as one array avoids making a Token object per word, and each
        # distinct id is normalised once per process: tokenising is most of classify's time.
        keys = doc.to_array(LOWER).tolist()
        words: list[str] = []
        if not with_sentences:
            for key in keys:
                word = cache.get(key, _UNSEEN)
                if word is _UNSEEN:
                    word = _cache_word(key, strings[key])
                if word is not None:
                    words.append(word)
            yield words, []
            continue
        yield words, _sentences(doc, keys, words, strings)


def _sentences(doc, keys: list[int], words: list[str], strings) -> list[Sentence]:  # noqa: ANN001
    """Fill ``words`` and return the sentences of ``doc``.

    Sentences follow spaCy's rule-based sentencizer (``Sentencizer``: a sentence starts at the
    first token that is not punctuation after one of its sentence-ending characters), applied
    to token kinds cached per word, which makes it several times faster than running the
    component; a line break also ends a sentence. ``tests/test_text.py`` checks that the spans
    match the component's.
    """
    cache, kinds = _WORD_CACHE, _KINDS
    spans: list[Sentence] = []
    first_token = last_token = first_word = -1
    seen_end = False
    for i, key in enumerate(keys):
        word = cache.get(key, _UNSEEN)
        if word is _UNSEEN:
            word = _cache_word(key, strings[key])
        kind = kinds.get(key)
        if kind is None:
            kind = _cache_kind(key, strings[key])
        starts = seen_end and kind != _ENDER and kind != _PUNCT
        if starts:
            seen_end = False
        elif kind == _ENDER:
            seen_end = True
        if first_token >= 0 and (starts or kind == _BREAK):
            spans.append(_sentence(doc, first_token, last_token, first_word, len(words)))
            first_token = -1
        if kind == _SPACE or kind == _BREAK:
            continue
        if first_token < 0:
            first_token, first_word = i, len(words)
        last_token = i
        if word is not None:
            words.append(word)
    if first_token >= 0:
        spans.append(_sentence(doc, first_token, last_token, first_word, len(words)))
    return spans


def _sentence(doc, first: int, last: int, first_word: int, stop_word: int) -> Sentence:  # noqa: ANN001
    end = doc[last]
    return Sentence(doc[first].idx, end.idx + len(end.text), first_word, stop_word)


class Sentence(NamedTuple):
    """One sentence: its character span in the text and its range in the text's words."""

    start: int
    end: int
    first: int
    stop: int


def tokenise_with_sentences(texts: Sequence[str]) -> tuple[list[list[str]], list[list[Sentence]]]:
    """Feature words (as :meth:`Analyzer.words` with the spaCy tokenizer) and sentences of each
    text, from one pass of spaCy's tokenizer and rule-based sentencizer.

    Sentences end where the sentencizer says and at every line break, and never include
    surrounding white space.
    """
    words, spans = [], []
    for w, s in _spacy_tokens(texts, with_sentences=True):
        words.append(w)
        spans.append(s)
    return words, spans


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
        self.sentences: list[list[Sentence]] | None = None
        if sentences:
            self._words["spacy"], self.sentences = tokenise_with_sentences(self.texts)

    def words(self, tokenizer: str) -> list[list[str]]:
        """Each text's words as ``Analyzer(tokenizer=tokenizer)`` sees them."""
        if tokenizer not in self._words:
            self._words[tokenizer] = Analyzer(tokenizer=tokenizer).words(self.texts)
        return self._words[tokenizer]

    def sentence_words(self, tokenizer: str, rows: Sequence[int]) -> list[list[str]]:
        """The words of each sentence of ``rows``, in order, one list per sentence."""
        assert self.sentences is not None, "tokenise with sentences=True first"
        if tokenizer == "spacy":
            words = self.words("spacy")
            return [words[i][s.first : s.stop] for i in rows for s in self.sentences[i]]
        pieces = [self.texts[i][s.start : s.end] for i in rows for s in self.sentences[i]]
        return Analyzer(tokenizer=tokenizer).words(pieces)


def identity(features: list[str]) -> list[str]:
    """Analyzer for a vectoriser fed with features already computed (module-level: picklable)."""
    return features


# -- sentences -------------------------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of one complaint (see :func:`tokenise_with_sentences`)."""
    return [(s.start, s.end) for s in tokenise_with_sentences([text])[1][0]]


def negations() -> frozenset[str]:
    return _NEGATIONS
