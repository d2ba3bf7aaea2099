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
    from spacy.attrs import LOWER

    nlp = blank_pipeline()
    strings = nlp.vocab.strings
    cache = _WORD_CACHE
    out = []
    for doc in nlp.tokenizer.pipe([str(t) for t in texts], batch_size=256):
        # Reading lower-case ids as one array avoids making a Token object per word, and each
        # distinct id is normalised once per process: tokenising is most of classify's time.
        words = []
        for key in doc.to_array(LOWER).tolist():
            word = cache.get(key, _UNSEEN)
            if word is _UNSEEN:
                word = _normalise(strings[key])
                if len(cache) < 1_000_000:
                    cache[key] = word
            if word is not None:
                words.append(word)
        out.append(words)
    return out


_UNSEEN = object()
_WORD_CACHE: dict[int, str | None] = {}


def _normalise(lower: str) -> str | None:
    """A lower-cased token as a feature word: None for punctuation, digits as 0, else its lemma."""
    if not _KEEP.search(lower) and not lower.isdigit():
        return None
    if lower.isdigit() or _DIGITS.search(lower):
        return _DIGITS.sub("0", lower)
    return lemma(lower)


def identity(features: list[str]) -> list[str]:
    """Analyzer for a vectoriser fed with features already computed (module-level: picklable)."""
    return features


# -- sentences -------------------------------------------------------------------------------

_BREAKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)|\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of one complaint.

    Line breaks end a sentence first (letters and bullet lists often lack full stops), then
    spaCy's rule-based sentencizer splits each line.
    """
    nlp = blank_pipeline(with_sentences=True)
    spans: list[tuple[int, int]] = []
    start = 0
    for match in list(_BREAKS.finditer(text)) + [None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            for sent in nlp(chunk).sents:
                s, e = sent.start_char, sent.end_char
                piece = chunk[s:e]
                if piece.strip():
                    lead = len(piece) - len(piece.lstrip())
                    trail = len(piece.rstrip())
                    spans.append((start + s + lead, start + s + trail))
        if match:
            start = match.end()
    return spans


def negations() -> frozenset[str]:
    return _NEGATIONS
